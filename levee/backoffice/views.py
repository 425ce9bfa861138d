import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
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
from levee.billing.selectors import HouseholdBin, bac_plans_offered, household_bin_on
from levee.billing.selectors_backoffice import invoices_for_account, payments_of_account
from levee.collection.models import Flux
from levee.collection.selectors import bins_for_account, lifts_for_account
from levee.collection.services import bin_add, bin_remove, bin_replace
from levee.identity import selectors as identity_selectors
from levee.identity import views as identity_views
from levee.lib.downloads import csv_response
from levee.payments.selectors_mandates import mandates_of_account
from levee.requests.selectors import queue_summary, requests_of_account
from levee.space import on_behalf
from levee.subscribers.models import SubscriptionKind
from levee.subscribers.selectors import accounts_search, subscriptions_of_account
from levee.subscribers.services import PlanRefused, subscription_plan_set
from levee.twofactor.access import second_factor_redirect

from .access import (
    SESSION_KEY,
    account_by_code_for_agent,
    account_candidate_for_agent,
    agent_required,
    get_account_access_for_agent,
    get_account_for_agent,
    get_bin_for_agent,
    get_opening_request_for_agent,
    get_subscription_for_agent,
)
from .forms import (
    AcceptForm,
    AgentLoginForm,
    AuditFilterForm,
    BinAddForm,
    BinRemoveForm,
    BinReplaceForm,
    PlanForm,
    RefuseForm,
    errors_tie,
)

GENERIC_LOGIN_ERROR = "Adresse email ou mot de passe incorrect, ou accès agent non autorisé."


PROCONNECT_REQUIRED = (
    "Votre collectivité demande à ses agents de se connecter avec ProConnect : utilisez le "
    "bouton « S'identifier avec ProConnect »."
)


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
        elif identity_selectors.proconnect_required_for_agent_login(attempt.user):
            form.add_error(None, PROCONNECT_REQUIRED)
        else:
            auth_login(request, attempt.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.set_expiry(0)
            # His password opens this session now, not the FranceConnect identity it held.
            request.session.pop(identity_views.SESSION_KEY, None)
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
    """A session opened with ProConnect ends at ProConnect too (`id_token_hint`)."""
    identity_views.remember_provider_session(request)
    auth_logout(request)
    landing = reverse("backoffice:login")
    return redirect(identity_views.logout_at_provider(request, landing=landing) or landing)


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


def _subscription_rows(request, subscriptions, bins, *, bound=None) -> list[dict]:
    """Each subscription with its « Forfait » as billing reads it (its own plan, else the
    volume of its household-waste bin) and, for a « bac » one, the form that sets it
    (`bound`: the one the agent sent back with an error)."""
    plans = bac_plans_offered(authority=request.agent.authority, year=timezone.localdate().year)
    today = timezone.localdate()
    rows = []
    for s in subscriptions:
        row = {"subscription": s, "form": None, "by_bin": None}
        if s.kind == SubscriptionKind.BAC:
            household = household_bin_on(
                [
                    HouseholdBin(
                        b.pk, b.subscription_id, b.volume_litres, b.delivered_on, b.removed_on
                    )
                    for b in bins
                    if b.subscription_id == s.pk and b.flux == Flux.ORDURES_MENAGERES
                ],
                min(today, s.ended_on) if s.ended_on else today,
            )
            row["by_bin"] = household.volume_litres if household else None
            if bound is not None and bound.prefix == f"forfait-{s.pk}":
                row["form"] = bound
            else:
                row["form"] = PlanForm(
                    prefix=f"forfait-{s.pk}", plans=plans, current=s.plan_volume_litres
                )
        rows.append(row)
    return rows


@agent_required
def account_detail(request, pk):
    """An account as the agent needs it at the counter: identification, logins,
    subscriptions, bins, recent lifts, invoices and payments, requests, mandates and the
    Journal's entries, each with the actions on it; a fixed number of queries."""
    account = get_account_for_agent(request, pk)
    return _account_page(request, account)


def _account_page(request, account, *, plan_form=None, status=200):
    bins = list(bins_for_account(account))
    lifts = list(lifts_for_account(account)[:RECENT])
    subscriptions = list(subscriptions_of_account(account))
    return render(
        request,
        "backoffice/account_detail.html",
        {
            "account": account,
            "accesses": accesses_of_account(account),
            "subscriptions": subscriptions,
            "subscription_rows": _subscription_rows(request, subscriptions, bins, bound=plan_form),
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
        status=status,
    )


@agent_required(roles.ACCOUNTS)
@require_POST
def account_plan_set(request, pk, subscription_pk):
    """« Forfait » of one of the account's « bac » subscriptions."""
    account = get_account_for_agent(request, pk)
    subscription = get_subscription_for_agent(request, account, subscription_pk)
    form = PlanForm(
        request.POST,
        prefix=f"forfait-{subscription.pk}",
        plans=bac_plans_offered(authority=request.agent.authority, year=timezone.localdate().year),
        current=subscription.plan_volume_litres,
    )
    if form.is_valid():
        try:
            changed = subscription_plan_set(
                subscription=subscription,
                plan_volume_litres=form.cleaned_data["plan_volume_litres"],
                agent_user=request.user,
            )
        except PlanRefused as refusal:
            errors_tie(form, ValidationError({"plan_volume_litres": refusal.message}))
        else:
            volume = form.cleaned_data["plan_volume_litres"]
            if not changed:
                messages.info(
                    request, f"Le forfait de l'abonnement {subscription.reference} est inchangé."
                )
            elif volume:
                messages.success(
                    request,
                    f"Forfait de l'abonnement {subscription.reference} : bac de {volume} L.",
                )
            else:
                messages.success(
                    request,
                    f"L'abonnement {subscription.reference} est facturé selon le volume de son "
                    "bac d'ordures ménagères.",
                )
            return redirect(
                reverse("backoffice:account_detail", args=[account.pk]) + "#account-subscriptions"
            )
    return _account_page(request, account, plan_form=form, status=400)


def _bin_page(request, account, form, *, title, action, bin=None, submit, status=200):
    return render(
        request,
        "backoffice/account_bin_form.html",
        {
            "account": account,
            "form": form,
            "title": title,
            "action": action,
            "bin": bin,
            "submit": submit,
        },
        status=status,
    )


def _plan_differs(request, new_bin) -> None:
    """A household-waste bin of another volume than the plan chosen: the plan still bills,
    so the agent is told, and changes it if it must follow."""
    subscription = new_bin.subscription
    plan = subscription.plan_volume_litres
    if new_bin.flux == Flux.ORDURES_MENAGERES and plan and plan != new_bin.volume_litres:
        messages.warning(
            request,
            f"Le forfait de l'abonnement {subscription.reference} reste « bac de {plan} L » : "
            f"changez-le sous le tableau des abonnements s'il doit suivre le nouveau bac de "
            f"{new_bin.volume_litres} L.",
        )


def _to_bins(account):
    return redirect(reverse("backoffice:account_detail", args=[account.pk]) + "#account-bins")


@agent_required(roles.ACCOUNTS)
def account_bin_add(request, pk):
    """« Ajouter un bac » to one of the account's subscriptions."""
    account = get_account_for_agent(request, pk)
    subscriptions = list(subscriptions_of_account(account))
    form = BinAddForm(request.POST or None, subscriptions=subscriptions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = bin_add(
                subscription=data["subscription"],
                flux=data["flux"],
                volume_litres=data["volume_litres"],
                chip_number=data["chip_number"],
                tank_number=data["tank_number"],
                delivered_on=data["delivered_on"],
                agent_user=request.user,
            )
        except ValidationError as refusal:
            errors_tie(form, refusal)
        else:
            messages.success(
                request,
                f"Bac {added} ajouté à l'abonnement {added.subscription.reference}, livré le "
                f"{added.delivered_on:%d/%m/%Y}.",
            )
            _plan_differs(request, added)
            return _to_bins(account)
    return _bin_page(
        request,
        account,
        form,
        title="Ajouter un bac",
        action=reverse("backoffice:account_bin_add", args=[account.pk]),
        submit="Ajouter le bac",
        status=400 if form.is_bound else 200,
    )


@agent_required(roles.ACCOUNTS)
def account_bin_replace(request, pk, bin_pk):
    """« Remplacer » a bin in service: removed on a day, a new one delivered that day."""
    account = get_account_for_agent(request, pk)
    old = get_bin_for_agent(request, account, bin_pk)
    form = BinReplaceForm(request.POST or None, initial={"volume_litres": old.volume_litres})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = bin_replace(
                bin=old,
                replaced_on=data["replaced_on"],
                volume_litres=data["volume_litres"],
                chip_number=data["chip_number"],
                tank_number=data["tank_number"],
                agent_user=request.user,
            )
        except ValidationError as refusal:
            errors_tie(form, refusal)
        else:
            messages.success(
                request,
                f"Bac {old} remplacé le {new.delivered_on:%d/%m/%Y} par le bac {new}.",
            )
            _plan_differs(request, new)
            return _to_bins(account)
    return _bin_page(
        request,
        account,
        form,
        title=f"Remplacer le bac {old}",
        action=reverse("backoffice:account_bin_replace", args=[account.pk, old.pk]),
        bin=old,
        submit="Remplacer le bac",
        status=400 if form.is_bound else 200,
    )


@agent_required(roles.ACCOUNTS)
def account_bin_remove(request, pk, bin_pk):
    """« Retirer » a bin in service on a day."""
    account = get_account_for_agent(request, pk)
    bin = get_bin_for_agent(request, account, bin_pk)
    form = BinRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bin_remove(bin=bin, removed_on=form.cleaned_data["removed_on"], agent_user=request.user)
        except ValidationError as refusal:
            errors_tie(form, refusal)
        else:
            messages.success(
                request, f"Bac {bin} retiré le {form.cleaned_data['removed_on']:%d/%m/%Y}."
            )
            return _to_bins(account)
    return _bin_page(
        request,
        account,
        form,
        title=f"Retirer le bac {bin}",
        action=reverse("backoffice:account_bin_remove", args=[account.pk, bin.pk]),
        bin=bin,
        submit="Retirer le bac",
        status=400 if form.is_bound else 200,
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
                    line.actor_email,
                    line.text,
                    line.account.code if line.account is not None else "",
                    line.object_label,
                    line.entry.action,
                ]
            if len(chunk) < 500:
                return

    day = timezone.localdate().isoformat()
    return csv_response(rows(), f"journal-{day}.csv", AUDIT_CSV_HEADER)
