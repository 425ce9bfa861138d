"""« Jetons d'accès personnels » of « Mon profil »: create one (its secret shown once),
revoke one. Reserved to the resident himself: a token reads his data as his login does,
so an agent at the counter never creates nor revokes one (`not_on_behalf`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from levee.space.access import space_authority
from levee.space.on_behalf import not_on_behalf
from levee.space.views import account_from_request, space_context

from .access import get_token_for_user
from .forms import TokenCreateForm
from .services import token_create, token_revoke


@never_cache
@login_required
@not_on_behalf
def create(request, slug):
    """« Créer un jeton »: the form, then the page that shows the secret once (rendered,
    never redirected to, so the secret is kept nowhere, not even in the session)."""
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    form = TokenCreateForm(request.POST if request.method == "POST" else None)
    context = space_context(request, authority, account)
    if request.method == "POST" and form.is_valid():
        created = token_create(
            user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
        )
        return render(
            request,
            "tokens/created.html",
            {
                **context,
                "token": created.token,
                "secret": created.secret,
                "api_base": request.build_absolute_uri("/api/v1/"),
            },
        )
    return render(request, "tokens/create.html", {**context, "form": form})


@login_required
@not_on_behalf
def revoke(request, slug, pk):
    """« Révoquer »: asks for confirmation, then every call with the token is refused."""
    authority = space_authority(request, slug)
    account = account_from_request(request, authority)
    token = get_token_for_user(request.user, pk)
    if request.method == "POST":
        if token_revoke(user=request.user, token_id=token.pk):
            messages.success(request, f"Le jeton « {token.name} » est révoqué.")
        return redirect(reverse("space:profile", args=[authority.slug]) + "#jetons")
    return render(
        request,
        "tokens/revoke.html",
        {**space_context(request, authority, account), "token": token},
    )
