import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from levee.accounts.authentication import credentials_check, throttled_message
from levee.accounts.selectors import accesses_of_account
from levee.accounts.services import account_access_revoke
from levee.agents import roles, services
from levee.agents import selectors as agents_selectors
from levee.audit import selectors as audit_selectors
from levee.audit.sentences import entries_describe
from levee.billing.selectors_backoffice import invoices_for_account, payments_of_account
from levee.collection.selectors import bins_for_account, lifts_for_account
from levee.lib.downloads import csv_response
from levee.payments.selectors_mandates import mandates_of_account
from levee.requests.selectors import queue_summary, requests_of_account
from levee.space import on_behalf
from levee.subscribers.selectors import accounts_search, subscriptions_of_account
from levee.twofactor.access import second_factor_redirect

from .access import (
    SESSION_KEY,
    account_by_code_for_agent,
    account_candidate_for_agent,
    agent_required,
    get_account_access_for_agent,
    get_account_for_agent,
    get_opening_request_for_agent,
)
from .forms import AcceptForm, AgentLoginForm, AuditFilterForm, RefuseForm

GENERIC_LOGIN_ERROR = "Adresse email ou mot de passe incorrect, ou accès agent non autorisé."


def login(request):
    form = AgentLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = credentials_check(
            request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            accept=lambda user: (
                user.is_active
                and agents_selectors.agent_active_exists(user, in_active_authority=True)
            ),
        )
        if attempt.throttled:
            form.add_error(None, throttled_message(seconds=attempt.retry_after))
        elif attempt.user is None:
            form.add_error(None, GENERIC_LOGIN_ERROR)
            if attempt.retry_after:  # this failure starts a wait: say so now
                form.add_error(None, throttled_message(seconds=attempt.retry_after))
        else:
            auth_login(request, attempt.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.set_expiry(0)
            target = request.GET.get("next", "")
            if not (
                target.startswith("/backoffice/")
                and url_has_allowed_host_and_scheme(target, {request.get_host()})
            ):
                target = reverse("backoffice:dashboard")
            if settings.TWO_FACTOR_REQUIRED:
                return second_factor_redirect(request, target) or redirect(target)
            return redirect(target)
    return render(request, "backoffice/login.html", {"form": form})


@require_POST
def logout(request):
    auth_logout(request)
    return redirect("backoffice:login")


@agent_required
@require_POST
def switch_authority(request):
    wanted = request.POST.get("authority", "")
    for agent in request.agent_roles:
        if str(agent.authority_id) == wanted:
            request.session[SESSION_KEY] = agent.authority_id
    return redirect("backoffice:dashboard")


@agent_required
def dashboard(request):
    pending = list(agents_selectors.opening_requests_pending(authority=request.agent.authority))
    summary = queue_summary(request.agent.authority, now=timezone.now())
    return render(request, "backoffice/dashboard.html", {"pending": pending, "summary": summary})


@agent_required
def opening_detail(request, pk):
    opening = get_opening_request_for_agent(request, pk)
    query = request.GET.get("recherche", "")
    candidates = agents_selectors.account_candidates(
        authority=request.agent.authority, opening=opening, query=query
    )
    return render(
        request,
        "backoffice/opening_detail.html",
        {
            "opening": opening,
            "candidates": candidates,
            "query": query,
            "accept_form": AcceptForm(candidates=candidates),
            "refuse_form": RefuseForm(),
        },
    )


@agent_required
def opening_proof(request, pk):
    opening = get_opening_request_for_agent(request, pk)
    try:
        handle = opening.proof.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404
    response = FileResponse(handle, content_type=opening.proof_content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _detail_with_errors(request, opening, *, accept_form=None, refuse_form=None, status=200):
    candidates = agents_selectors.account_candidates(
        authority=request.agent.authority, opening=opening
    )
    return render(
        request,
        "backoffice/opening_detail.html",
        {
            "opening": opening,
            "candidates": candidates,
            "query": "",
            "accept_form": accept_form or AcceptForm(candidates=candidates),
            "refuse_form": refuse_form or RefuseForm(),
        },
        status=status,
    )


@agent_required(roles.ACCOUNTS)
@require_POST
def opening_accept(request, pk):
    opening = get_opening_request_for_agent(request, pk)
    # The candidates offered are those of the page the agent saw, or the one he searched.
    candidates = agents_selectors.account_candidates(
        authority=request.agent.authority, opening=opening, query=request.POST.get("recherche", "")
    )
    picked = request.POST.get("account", "")
    if picked.isdigit() and picked not in {str(c.pk) for c in candidates}:
        candidates += account_candidate_for_agent(request, int(picked))
    form = AcceptForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _detail_with_errors(request, opening, accept_form=form)
    try:
        account = services.opening_request_accept(
            opening_request=opening, agent_user=request.user, account=form.cleaned_data["account"]
        )
    except services.AlreadyDecided:
        messages.error(request, "Cette demande a déjà été traitée.")
        return redirect("backoffice:opening_detail", opening.pk)
    messages.success(
        request,
        f"Demande validée : {opening.last_name.upper()} {opening.first_name} est rattaché(e) au compte "
        f"{account.code}, et en est informé(e) par email.",
    )
    return redirect("backoffice:opening_detail", opening.pk)


@agent_required(roles.ACCOUNTS)
@require_POST
def opening_refuse(request, pk):
    opening = get_opening_request_for_agent(request, pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, opening, refuse_form=form)
    try:
        services.opening_request_refuse(
            opening_request=opening, agent_user=request.user, reason=form.cleaned_data["reason"]
        )
    except services.AlreadyDecided:
        messages.error(request, "Cette demande a déjà été traitée.")
        return redirect("backoffice:opening_detail", opening.pk)
    messages.success(
        request, "Demande refusée : la personne en est informée par email, avec le motif."
    )
    return redirect("backoffice:opening_detail", opening.pk)


@agent_required
def accounts(request):
    query = request.GET.get("q", "")
    found = accounts_search(authority=request.agent.authority, query=query)
    return render(request, "backoffice/accounts.html", {"accounts": found, "query": query})


RECENT = 10


@agent_required
def account_detail(request, pk):
    """An account as the agent needs it at the counter: identification, logins,
    subscriptions, bins, recent lifts, invoices and payments, requests, mandates and the
    Journal's entries, each with the actions on it; a fixed number of queries."""
    account = get_account_for_agent(request, pk)
    bins = list(bins_for_account(account))
    lifts = list(lifts_for_account(account)[:RECENT])
    return render(
        request,
        "backoffice/account_detail.html",
        {
            "account": account,
            "accesses": accesses_of_account(account),
            "subscriptions": subscriptions_of_account(account),
            "bins": bins,
            "lifts": lifts,
            "account_invoices": list(invoices_for_account(account)[:RECENT]),
            "payments": payments_of_account(account, limit=RECENT),
            "requests": requests_of_account(account)[:RECENT],
            "mandates": mandates_of_account(account),
            "audit_lines": entries_describe(
                audit_selectors.audit_entries_of_account(account, limit=RECENT)
            ),
        },
    )


@agent_required
def account_lifts(request, pk):
    """« Toutes les levées » of an account, newest first, paginated."""
    account = get_account_for_agent(request, pk)
    page = Paginator(lifts_for_account(account), 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/account_lifts.html", {"account": account, "page": page})


@agent_required(roles.ACCOUNTS)
@require_POST
def account_key_regenerate(request, pk):
    account = get_account_for_agent(request, pk)
    key = services.account_key_regenerate(account=account, agent_user=request.user)
    messages.success(request, f"Nouvelle clé d'activation : {key}. L'ancienne ne fonctionne plus.")
    return redirect("backoffice:account_detail", account.pk)


@agent_required(roles.ACCOUNTS)
@require_POST
def account_dissociate(request, pk, access_pk):
    account = get_account_for_agent(request, pk)
    access = get_account_access_for_agent(request, account, access_pk)
    account_access_revoke(user=access.user, account=account, by=request.user)
    messages.success(request, f"{access.user.email} n'a plus accès au compte {account.code}.")
    return redirect("backoffice:account_detail", account.pk)


@agent_required(roles.ACCOUNTS)
@require_POST
def account_on_behalf_start(request, pk):
    """« Ouvrir l'espace de l'usager »: the agent, still logged in as himself, acts on the
    resident's behalf in his space (on_behalf.py says what he may and may not do there)."""
    account = get_account_for_agent(request, pk)
    now = timezone.now()
    previous = on_behalf.marker_of(request)
    if previous is not None:
        services.account_on_behalf_stop(user=request.user, marker=previous, now=now)
    request.session[on_behalf.SESSION_KEY] = services.account_on_behalf_start(
        agent=request.agent, account=account, now=now
    )
    return redirect("space:home", request.agent.authority.slug)


@require_POST
def on_behalf_stop(request):
    """« Quitter »: back to the account's page of the back office. Open to whoever carries a
    marker, even an agent who lost his role since: leaving is always possible."""
    marker = on_behalf.marker_of(request)
    if marker is None or not request.user.is_authenticated:
        return redirect("backoffice:dashboard")
    account = services.account_on_behalf_stop(user=request.user, marker=marker, now=timezone.now())
    del request.session[on_behalf.SESSION_KEY]
    if account is None:
        return redirect("backoffice:dashboard")
    messages.success(
        request,
        f"Vous avez quitté l'espace de {account.holder_name.upper()} (code usager {account.code}).",
    )
    return redirect("backoffice:account_detail", account.pk)


def _audit_filtered(request):
    """The Journal's form and its entries, filtered as the form says (also for the CSV)."""
    authority = request.agent.authority
    form = AuditFilterForm(
        request.GET,
        actors=audit_selectors.audit_actors(authority),
        kinds=[(key, label) for key, (label, _) in audit_selectors.ACTION_KINDS.items()],
    )
    filters = form.filters()
    object_type, _, object_id = request.GET.get("objet", "").partition(":")
    if not object_id.isdigit():
        object_type = object_id = ""
    account = None
    if filters.get("compte"):
        account = account_by_code_for_agent(request, filters["compte"])
        if account is None:
            form.add_error("compte", "Aucun compte usager de la collectivité n'a ce code.")
    entries = audit_selectors.audit_entries(
        authority=authority,
        object_type=object_type,
        object_id=object_id,
        actor_id=int(filters["agent"]) if filters.get("agent") else None,
        account=account,
        kind=filters.get("type", ""),
        day_from=filters.get("du"),
        day_to=filters.get("au"),
    )
    if filters.get("compte") and account is None:
        entries = entries.none()
    return form, entries, bool(object_type)


@agent_required
def audit_log(request):
    """« Journal des actions », read by every agent: each action of an agent on the
    authority's data as a French sentence, in Paris time, filtered by agent, account, type
    of action and days; the application offers no way to change it. `?objet=<type>:<id>`
    keeps one object's lines."""
    form, entries, one_object = _audit_filtered(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/audit_log.html",
        {
            "page": page,
            "lines": entries_describe(page),
            "form": form,
            "filtered": one_object,
            "objet": request.GET.get("objet", ""),
        },
    )


AUDIT_CSV_HEADER = [
    "Date (heure de Paris)",
    "Agent",
    "Email de l'agent",
    "Action",
    "Compte usager",
    "Objet",
    "Code de l'action",
]


@agent_required
def audit_log_export(request):
    """« Exporter en CSV »: the Journal's lines as filtered, every one of them (read in
    chunks, each described in a fixed number of queries)."""
    _, entries, _ = _audit_filtered(request)

    def rows():
        for start in itertools.count(0, 500):
            chunk = list(entries[start : start + 500])
            for line in entries_describe(chunk):
                yield [
                    line.at.strftime("%d/%m/%Y %H:%M:%S"),
                    line.actor,
                    line.entry.actor.email,
                    line.text,
                    line.account.code if line.account is not None else "",
                    f"{line.entry.object_type} n° {line.entry.object_id}",
                    line.entry.action,
                ]
            if len(chunk) < 500:
                return

    day = timezone.localdate().isoformat()
    return csv_response(rows(), f"journal-{day}.csv", AUDIT_CSV_HEADER)
