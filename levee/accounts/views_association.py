"""« Associer un autre compte » (flow 12, seed 002): commune, clé d'activation, then the
account found, each step with « Annuler »; and dissociation from « Mon profil »."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from levee.authorities.forms import CommunePickerForm
from levee.authorities.selectors import authority_get_by_slug, commune_choice
from levee.lib import throttle
from levee.lib.forms import Form
from levee.space.on_behalf import not_on_behalf
from levee.space.views import account_from_request, space_context
from levee.subscribers.selectors import account_for_key, subscription_first

from . import services
from .access import get_access_for_user, get_account_for_association
from .selectors import access_exists, access_first

SESSION_KEY = "association"
LOCKED = (
    "Trop de clés d'activation erronées : l'association de comptes est bloquée pendant une "
    "heure. Réessayez plus tard, ou contactez votre collectivité."
)


class KeyForm(Form):
    key = forms.CharField(
        label="Clé d'activation",
        max_length=40,
        help_text=(
            "Cette clé vous a été transmise par votre collectivité, inscrite sur une facture ou tout "
            "autre document personnel (c'est aussi l'« identifiant portail »)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


def mask(value: str) -> str:
    """« DUPONT » → « D*****T »: enough to recognise one's own account, not to learn another's."""
    words = []
    for word in value.split():
        words.append(word if len(word) <= 2 else word[0] + "*" * (len(word) - 2) + word[-1])
    return " ".join(words)


def _context(request, slug, **extra):
    authority = authority_get_by_slug(slug)
    account = account_from_request(request, authority)
    return {**space_context(request, authority, account), **extra}


@login_required
@not_on_behalf
def associate_commune(request, slug):
    context = _context(request, slug)
    bound = "q" in request.GET or "commune" in request.GET
    picker = CommunePickerForm(request.GET if bound else None)
    if bound and picker.is_valid() and picker.choice:
        choice = picker.choice
        if choice.authority_slug is None:
            picker.add_error(
                "q",
                f"La commune de {choice.name} n'est desservie par aucune collectivité de la "
                "plateforme.",
            )
        else:
            request.session[SESSION_KEY] = {
                "insee": choice.insee,
                "postal_code": choice.postal_code,
            }
            return redirect("accounts:associate_key", context["authority"].slug)
    return render(request, "accounts/associate_commune.html", {**context, "picker": picker})


def _chosen_commune(request):
    data = request.session.get(SESSION_KEY) or {}
    if not data.get("insee"):
        return None
    return commune_choice(data["insee"], data["postal_code"])


@login_required
@not_on_behalf
def associate_key(request, slug):
    context = _context(request, slug)
    commune = _chosen_commune(request)
    if commune is None or commune.authority_slug is None:
        return redirect("accounts:associate_commune", context["authority"].slug)
    form = KeyForm(request.POST or None)
    locked = throttle.is_blocked(throttle.ASSOCIATION, str(request.user.pk))
    if request.method == "POST" and form.is_valid():
        if locked:
            form.add_error("key", LOCKED)
        else:
            typed = "".join(form.cleaned_data["key"].split()).upper()
            account = account_for_key(
                authority_slug=commune.authority_slug, insee=commune.insee, key=typed
            )
            if account is None:
                attempts = throttle.hit(throttle.ASSOCIATION, str(request.user.pk))
                form.add_error(
                    "key",
                    LOCKED
                    if attempts >= throttle.ASSOCIATION.max_attempts
                    else "Cette clé d'activation ne correspond à aucun compte de cette commune. Vérifiez-la sur votre facture.",
                )
            elif access_exists(user=request.user, account=account):
                form.add_error("key", "Ce compte est déjà associé à votre espace.")
            else:
                request.session[SESSION_KEY] = {
                    **request.session[SESSION_KEY],
                    "account": account.pk,
                }
                return redirect("accounts:associate_confirm", context["authority"].slug)
    return render(
        request,
        "accounts/associate_key.html",
        {**context, "form": form, "commune": commune, "locked": locked},
    )


@login_required
@not_on_behalf
def associate_confirm(request, slug):
    context = _context(request, slug)
    data = request.session.get(SESSION_KEY) or {}
    found = get_account_for_association(data.get("account"))
    if found is None:
        return redirect("accounts:associate_commune", context["authority"].slug)
    subscription = subscription_first(found)
    if request.method == "POST":
        services.account_access_grant(user=request.user, account=found)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, "Le nouveau compte est maintenant associé !")
        home = reverse("space:home", args=[found.authority.slug])  # no /<slug>/ on its host
        return redirect(f"{home}?compte={found.pk}")
    return render(
        request,
        "accounts/associate_confirm.html",
        {
            **context,
            "found": found,
            "found_holder": mask(found.holder_name.upper()),
            "found_address": mask(subscription.address_line.upper()) if subscription else "",
        },
    )


@login_required
@not_on_behalf
def associate_cancel(request, slug):
    request.session.pop(SESSION_KEY, None)
    return redirect("space:profile", slug)


@login_required
@not_on_behalf
def dissociate(request, slug, account_pk):
    context = _context(request, slug)
    access = get_access_for_user(request, account_pk)
    if request.method == "POST":
        services.account_access_revoke(user=request.user, account=access.account)
        messages.success(
            request, f"Le compte {access.account.code} n'est plus associé à votre espace."
        )
        remaining = access_first(request.user)
        if remaining is None:
            return redirect("space:no_account")
        return redirect("space:profile", remaining.authority.slug)
    return render(request, "accounts/dissociate_confirm.html", {**context, "access": access})
