"""« Mon profil » → « Télécharger mes données » and « Supprimer mon identifiant »: the
logged-in resident's own, never an agent's acting on his behalf."""

import json

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from levee.accounts.authentication import credentials_check, throttled_message
from levee.authorities.selectors import authority_get_by_slug
from levee.lib.downloads import csv_response
from levee.space.on_behalf import not_on_behalf

from .forms import LoginDeleteForm
from .selectors import login_erasable, personal_data_of, personal_data_rows
from .services import LoginIsAgent, login_erase


def _filename(extension: str) -> str:
    return f"mes-donnees-{timezone.localdate():%Y-%m-%d}.{extension}"


@login_required
@not_on_behalf
def data_json(request, slug):
    """« Télécharger mes données (JSON) »."""
    authority_get_by_slug(slug)
    body = json.dumps(personal_data_of(request.user), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@not_on_behalf
def data_csv(request, slug):
    """« Télécharger mes données (CSV) »: one row per value, for a spreadsheet."""
    authority_get_by_slug(slug)
    response = csv_response(
        personal_data_rows(personal_data_of(request.user)),
        _filename("csv"),
        ["rubrique", "élément", "valeur"],
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@not_on_behalf
def login_delete(request, slug):
    """« Supprimer mon identifiant »: the password again, then the login is erased and
    its session ends."""
    authority = authority_get_by_slug(slug)
    context = {"authority": authority, "refused": not login_erasable(request.user)}
    form = LoginDeleteForm(request.POST or None)
    if request.method == "POST" and not context["refused"] and form.is_valid():
        user = request.user
        attempt = credentials_check(
            request,
            email=user.email,
            password=form.cleaned_data["password"],
            accept=lambda found: found.pk == user.pk,
        )
        if attempt.throttled:
            form.add_error("password", throttled_message(seconds=attempt.retry_after))
        elif attempt.user is None:
            form.add_error("password", "Mot de passe incorrect.")
            if attempt.retry_after:  # this failure starts a wait: say so now
                form.add_error("password", throttled_message(seconds=attempt.retry_after))
        else:
            try:
                login_erase(user=user, authority=authority)
            except LoginIsAgent:
                context["refused"] = True
            else:
                auth_logout(request)
                messages.success(
                    request,
                    "Votre identifiant est supprimé. Un email de confirmation vous est envoyé.",
                )
                return redirect("authorities:home", authority.slug)
    status = 403 if context["refused"] and request.method == "POST" else 200
    return render(request, "privacy/login_delete.html", {**context, "form": form}, status=status)
