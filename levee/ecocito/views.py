"""Ecocito-compatible endpoints (README « Compatibilité Ecocito »): the paths, parameters
and fields of Ecocito's resident portal, so that the home-automation scripts written for it
read Levée by changing only their host. Served at the platform's root (every account of the
login) and under /<slug>/ (that authority's accounts).

They log in with the same check and throttling as every login (`credentials_check`) and
read through the collection's selectors; nothing here writes but the session."""

import datetime
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from levee.accounts.authentication import credentials_check, throttled_message
from levee.accounts.views import _inactive_reason
from levee.collection.models import DropOffKind, Flux
from levee.collection.selectors import (
    dropoffs_for_accounts,
    fluxes_for_accounts,
    lifts_for_accounts,
    monthly_dropoffs_for_accounts,
    monthly_lifts_for_accounts,
)
from levee.twofactor.selectors import device_confirmed_exists, space_protected

from .access import ecocito_accounts, ecocito_authority, session_valid
from .forms import ALL_FLUX, ALL_FLUX_LABEL, ID_MATIERE, ListForm, MonthlyForm

LOGIN_ACTION = "/Usager/Profil/Connexion"  # as Ecocito writes it, whatever the prefix
WRONG_CREDENTIALS = "Identifiant ou mot de passe incorrect."
MISSING_CREDENTIALS = "Indiquez votre identifiant (adresse mail) et votre mot de passe."
FOREIGN_ORIGIN = "Connexion refusée : la demande vient d'un autre site."
SECOND_FACTOR = (
    "La double authentification est activée sur votre identifiant : cet accès ne la demande "
    "pas. Utilisez plutôt un jeton d'accès personnel, à créer dans « Mon profil »."
)
NO_SESSION = "Votre session n'est pas ouverte ou a expiré : connectez-vous."
LATEST_ROWS = 25
MONTH_NAMES = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
MONTH_NAMES += ["septembre", "octobre", "novembre", "décembre"]


def _text(message: str) -> str:
    """A message of ours for the HTML, its apostrophes left as they are (the clients and
    their tests read the text as written); none holds what a person typed."""
    return mark_safe(message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _login_page(request, authority, *, errors=(), notice="", status=200):
    return render(
        request,
        "ecocito/login.html",
        {
            "authority": authority,
            "action": LOGIN_ACTION,
            "errors": [_text(e) for e in errors],
            "notice": notice,
        },
        status=status,
    )


def ecocito_session_required(view):
    """Without a valid session, the login page (200, `<form action="/Usager/Profil/
    Connexion" …>`), as Ecocito answers, so that clients log in again."""

    @wraps(view)
    def wrapper(request, slug=None):
        authority = ecocito_authority(slug)
        if not session_valid(request):
            return _login_page(request, authority, notice=NO_SESSION)
        return view(request, authority, ecocito_accounts(request, authority))

    return wrapper


def _foreign_origin(request) -> bool:
    """The browser says the form was posted from another site (a login forced on the
    visitor): no CSRF token is asked of these clients, their `Origin` is checked instead.
    Scripts send none."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site") == "cross-site"
    own = f"{request.scheme}://{request.get_host()}"
    if origin == own or origin in settings.CSRF_TRUSTED_ORIGINS:
        return False
    parts = urlsplit(origin)
    return not (parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" == own)


def _truthy(value: str) -> bool:
    return (value or "").strip().lower() in {"true", "1", "on", "yes"}


@csrf_exempt
@sensitive_post_parameters("MotDePasse")
@require_http_methods(["GET", "HEAD", "POST"])
def login(request, slug=None):
    """POST `Identifiant`, `MotDePasse` (`MaintenirConnexion`, `FranceConnectActif`
    accepted): 200 with the session cookie, or 200 with Ecocito's
    `validation-summary-errors` and no cookie."""
    authority = ecocito_authority(slug)
    if request.method != "POST":
        return _login_page(request, authority)
    if _foreign_origin(request):
        return _login_page(request, authority, errors=[FOREIGN_ORIGIN], status=403)
    email = request.POST.get("Identifiant", "").strip()
    password = request.POST.get("MotDePasse", "")
    if not email or not password:
        return _login_page(request, authority, errors=[MISSING_CREDENTIALS])
    attempt = credentials_check(request, email=email, password=password)
    user = attempt.user
    errors = []
    if attempt.throttled:
        errors.append(throttled_message(seconds=attempt.retry_after))
    elif user is None:
        errors.append(WRONG_CREDENTIALS)
        if attempt.retry_after:  # this failure starts a wait: say so now
            errors.append(throttled_message(seconds=attempt.retry_after))
    elif not user.is_active:
        errors.append(_inactive_reason(user))
    elif space_protected(user) or device_confirmed_exists(user):
        # No code can be asked here: a token (read-only, revocable) stands for it.
        errors.append(SECOND_FACTOR)
    if errors:
        return _login_page(request, authority, errors=errors)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    remember = _truthy(request.POST.get("MaintenirConnexion", ""))
    request.session.set_expiry(settings.SESSION_COOKIE_AGE if remember else 0)
    return render(
        request,
        "ecocito/connected.html",
        {"authority": authority, "accesses": _space_links(ecocito_accounts(request, authority))},
    )


@require_GET
def logout(request, slug=None):
    """GET, as Ecocito's: the session ends, and the login page follows."""
    authority = ecocito_authority(slug)
    auth_logout(request)
    if authority is not None:
        return redirect("ecocito:login_authority", authority.slug)
    return redirect("ecocito:login")


def _space_links(accounts) -> list[dict]:
    """One « Mes bacs/levées » link per authority of `accounts`."""
    links, seen = [], set()
    for account in accounts:
        if account.authority_id not in seen:
            seen.add(account.authority_id)
            links.append(
                {
                    "name": account.authority.name,
                    "url": reverse("collection:production", args=[account.authority.slug]),
                }
            )
    return links


def _bad_request(form) -> JsonResponse:
    errors = {name: [str(e) for e in messages] for name, messages in form.errors.items()}
    first = next(iter(errors.values()))[0]
    return JsonResponse(
        {"message": first, "erreurs": errors}, status=400, json_dumps_params={"ensure_ascii": False}
    )


def nul_refused(request, parameter) -> JsonResponse:
    """A NUL in the query string (levee.lib.middleware): the 400 of a bad parameter."""
    message = "Le caractère nul (\\0, %00) n'est permis dans aucun paramètre."
    return JsonResponse(
        {"message": message, "erreurs": {parameter or "adresse": [message]}},
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


def _json(payload) -> JsonResponse:
    return JsonResponse(payload, safe=False, json_dumps_params={"ensure_ascii": False})


def _local(moment: datetime.datetime) -> str:
    """Ecocito's DATE_DONNEE: the local time (Paris), without an offset, to the second —
    what `datetime.fromisoformat` reads and the clients localise themselves."""
    return timezone.localtime(moment).replace(tzinfo=None).isoformat(timespec="seconds")


def _bounds(form) -> dict:
    """The dates asked, as the moments the selectors filter on: from the first day's
    midnight to the midnight after the last day, in Paris time."""
    bounds = {}
    zone = timezone.get_current_timezone()
    start, end = form.cleaned_data.get("dateDebut"), form.cleaned_data.get("dateFin")
    if start:
        bounds["start"] = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    if end:
        following = end + datetime.timedelta(days=1)
        bounds["end"] = datetime.datetime.combine(following, datetime.time.min, tzinfo=zone)
    return bounds


def _lift_row(lift, accounts_by_pk) -> dict:
    lift_bin = lift.bin
    account = accounts_by_pk[lift_bin.account_id]
    return {
        "DATE_DONNEE": _local(lift.lifted_at),
        "LIBELLE_ADRESSE": lift_bin.subscription.address_line.upper(),
        "QUANTITE_NETTE": lift.net_weight_grams / 1000,
        "NumeroCuve": lift_bin.tank_number,
        "NumeroPuce": lift_bin.chip_number,
        "ID_MATIERE": ID_MATIERE[lift_bin.flux],
        "LIBELLE_MATIERE": lift_bin.get_flux_display(),
        "CODE_USAGER": account.code,
        "COLLECTIVITE": account.authority.slug,
    }


def _dropoff_row(dropoff, accounts_by_pk) -> dict:
    account = accounts_by_pk[dropoff.account_id]
    weight = dropoff.weight_kg
    return {
        "DATE_DONNEE": _local(dropoff.occurred_at),
        "LIBELLE_ADRESSE": dropoff.site,
        "TYPE_APPORT": dropoff.get_kind_display(),
        "ID_MATIERE": ID_MATIERE.get(dropoff.flux, ALL_FLUX),
        "LIBELLE_MATIERE": dropoff.get_flux_display() if dropoff.flux else "",
        "QUANTITE": float(dropoff.quantity) if dropoff.quantity is not None else None,
        "UNITE": dropoff.get_quantity_unit_display() if dropoff.quantity_unit else "",
        "QUANTITE_NETTE": float(weight) if weight is not None else None,
        "NumeroBadge": dropoff.badge_number,
        "CODE_USAGER": account.code,
        "COLLECTIVITE": account.authority.slug,
    }


def _page(request, accounts, *, sortable, rows, row) -> JsonResponse:
    """`{"data": [...], "totalCount": n}` for the page `skip`/`take` of `rows(form, order)`."""
    form = ListForm(request.GET, sortable=sortable)
    if not form.is_valid():
        return _bad_request(form)
    queryset = rows(form, tuple(form.cleaned_data["sort"]))
    skip, take = form.cleaned_data["skip"], form.cleaned_data["take"]
    page = list(queryset[skip : skip + take]) if take else []
    by_pk = {a.pk: a for a in accounts}
    if not accounts:
        total = 0
    elif not skip and len(page) < take:
        total = len(page)  # the whole list is on this page: no count to make
    else:
        total = queryset.count()
    return _json({"data": [row(item, by_pk) for item in page], "totalCount": total})


@require_GET
@ecocito_session_required
def get_collecte(request, authority, accounts):
    """GET /Usager/Collecte/GetCollecte: the lifts, each naming its bin's address."""
    return _page(
        request,
        accounts,
        sortable={"DATE_DONNEE": "lifted_at", "QUANTITE_NETTE": "net_weight_grams"},
        rows=lambda form, order: lifts_for_accounts(
            accounts, flux=form.flux, order=order, **_bounds(form)
        ),
        row=_lift_row,
    )


@require_GET
@ecocito_session_required
def get_apport(request, authority, accounts):
    """GET /Usager/Apport/GetApport: the drop-offs (badge openings, déchèterie visits)."""
    return _page(
        request,
        accounts,
        sortable={"DATE_DONNEE": "occurred_at", "QUANTITE_NETTE": "weight_grams"},
        rows=lambda form, order: dropoffs_for_accounts(
            accounts, flux=form.flux, order=order, **_bounds(form)
        ),
        row=_dropoff_row,
    )


def _months(form):
    start, end = form.cleaned_data["dateDebut"], form.cleaned_data["dateFin"]
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _month(year: int, month: int, count: int) -> dict:
    return {
        "DATE_DONNEE": f"{datetime.date(year, month, 1).isoformat()}T00:00:00",
        "Annee": year,
        "Mois": month,
        "Libelle": f"{MONTH_NAMES[month - 1]} {year}",
        "Nombre": count,
    }


@require_GET
@ecocito_session_required
def lift_statistics(request, authority, accounts):
    """GET /Usager/Json/ObtenirStatistiqueLeveesMensuel: one row per month of the period,
    its number of lifts (`Nombre`) and their weight (`Quantite`, kg)."""
    form = MonthlyForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    totals = monthly_lifts_for_accounts(accounts, flux=form.flux, **_bounds(form))
    months = []
    for year, month in _months(form):
        count, grams = totals.get((year, month), (0, 0))
        months.append({**_month(year, month, count), "Quantite": grams / 1000})
    return _json(months)


@require_GET
@ecocito_session_required
def dropoff_statistics(request, authority, accounts):
    """GET /Usager/Json/ObtenirStatistiqueApportPAVMensuel: one row per month of the period,
    its number of badge openings at the drop-off containers (`Nombre`)."""
    form = MonthlyForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    counts = monthly_dropoffs_for_accounts(
        accounts, flux=form.flux, kind=DropOffKind.BADGE, **_bounds(form)
    )
    return _json([_month(y, m, counts.get((y, m), 0)) for y, m in _months(form)])


@require_GET
@ecocito_session_required
def collecte(request, authority, accounts):
    """GET /Usager/Collecte: the flux of the login's accounts in Ecocito's select
    (`Filtres.IdMatiere`, their fixed numbers), and the latest lifts of the one chosen."""
    fluxes = fluxes_for_accounts(accounts)
    options = [(ALL_FLUX, ALL_FLUX_LABEL)] + [(ID_MATIERE[f], Flux(f).label) for f in fluxes]
    asked = request.GET.get("Filtres.IdMatiere", "")
    chosen = next((n for n, _ in options if str(n) == asked.strip()), ALL_FLUX)
    flux = next((f for f in fluxes if ID_MATIERE[f] == chosen), None)
    by_pk = {a.pk: a for a in accounts}
    lifts = lifts_for_accounts(accounts, flux=flux)[:LATEST_ROWS]
    rows = [{**_lift_row(lift, by_pk), "at": timezone.localtime(lift.lifted_at)} for lift in lifts]
    return render(
        request,
        "ecocito/collecte.html",
        {
            "authority": authority,
            "options": options,
            "chosen": chosen,
            "rows": rows,
            "latest_rows": LATEST_ROWS,
            "links": _space_links(accounts),
        },
    )
