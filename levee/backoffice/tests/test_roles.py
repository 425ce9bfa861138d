"""The roles' matrix: for every action of the back office, each role is allowed or refused;
a refused post answers 403 and changes nothing, and the page does not offer it."""

import datetime
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp.plugins.otp_totp.models import TOTPDevice

from levee.accounts.models import AccountAccess, AccountOpeningRequest, User
from levee.agents import roles
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.authorities.models import Commune
from levee.backoffice.access import agent_required
from levee.billing.models import (
    BillingRun,
    BillingSettings,
    CreditNoteKind,
    CreditNoteReason,
    Invoice,
    InvoiceSequence,
    RunStatus,
    Tariff,
    TariffPlan,
)
from levee.billing.services import billing_run_create, billing_run_execute
from levee.billing.services_credit_notes import credit_note_issue
from levee.billing.tariffs import tariff_version_create
from levee.billing.tests.bo_world import PLANS, tariff_post
from levee.calendars.models import (
    CalendarSettings,
    CollectionSchedule,
    ScheduleException,
    Sector,
)
from levee.calendars.rules import Weekday
from levee.calendars.tests.conftest import make_schedule, schedule_post
from levee.collection.models import ImportBatch, ImportKind, ImportStatus
from levee.collection.services import import_upload
from levee.collection.tests.conftest import make_bin
from levee.integrations.services import api_key_create, webhook_endpoint_create
from levee.mailing.models import OutboxMessage
from levee.payments.recorded import payment_record
from levee.payments.tests.conftest import make_invoice
from levee.subscribers.models import Account
from levee.treasury.models import PublicAccountingSettings
from testkit import ccfi_world, make_opening_request, make_user

pytestmark = pytest.mark.django_db

ALL = frozenset(AgentRole)
LIFTS = "horodatage;puce;cuve;flux;poids_kg;vehicule\n2024-03-05 07:12;E0040001;;om;12,5;BOM-12\n"
WATCHED = [
    Account,
    AccountAccess,
    AccountOpeningRequest,
    Agent,
    AuditEntry,
    BillingRun,
    BillingSettings,
    CalendarSettings,
    CollectionSchedule,
    ImportBatch,
    Invoice,
    InvoiceSequence,
    OutboxMessage,
    PublicAccountingSettings,
    ScheduleException,
    Sector,
    Tariff,
    TariffPlan,
    User,
]


def text(response) -> str:
    return unescape(response.content.decode())


def db_state() -> dict:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in WATCHED}


@pytest.fixture
def world():
    """CCFI with an account reached by a login, a pending opening request, a failed import,
    a schedule with an exception, a sector, another agent, the 2023 tariff grid and a failed
    billing run with its invoice; and one agent per role."""
    ccfi, account = ccfi_world()
    bailleul = Commune.objects.get(insee="59043")
    hazebrouck = Commune.objects.get(insee="59295")
    resident = make_user("dupont59@gmail.com", accounts=[account])
    opening = make_opening_request(
        ccfi, bailleul, make_user("paul.martin@example.org", active=False)
    )
    agents = {
        role: Agent.objects.create(
            authority=ccfi, user=make_user(f"{role}@flandre.example.org"), role=role
        )
        for role in AgentRole
    }
    batch = import_upload(
        authority=ccfi,
        kind=ImportKind.LIFTS,
        upload=SimpleUploadedFile("levees.csv", LIFTS.encode()),
        agent_user=agents[AgentRole.FACTURATION].user,
    )
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.FAILED)
    schedule = make_schedule(ccfi, bailleul)
    exception = ScheduleException.objects.create(
        authority=ccfi, schedule=schedule, date=datetime.date(2026, 6, 2), kind="cancelled"
    )
    sector = Sector.objects.create(
        authority=ccfi, commune=hazebrouck, name="Nord", streets="rue de la Gare"
    )
    colleague = Agent.objects.create(
        authority=ccfi, user=make_user("collegue@flandre.example.org"), role=AgentRole.ACCUEIL
    )
    TOTPDevice.objects.create(user=colleague.user, confirmed=True)  # his second factor
    former = Agent.objects.create(
        authority=ccfi,
        user=make_user("ancien@flandre.example.org"),
        role=AgentRole.ACCUEIL,
        is_active=False,
    )
    invited = Agent.objects.create(
        authority=ccfi,
        user=User.objects.create_user("invite@flandre.example.org", None),
        role=AgentRole.CONSULTATION,
    )
    household_bin = make_bin(account, chip="E0040001")
    tariff = tariff_version_create(
        authority=ccfi, year=2023, vat_rate_bp=0, plans=PLANS, note="", agent_user=invited.user
    )
    run = billing_run_create(
        authority=ccfi,
        kind="simulation",
        year=2023,
        half=None,
        issued_on=datetime.date(2023, 7, 2),
    )
    billing_run_execute(run_id=run.pk)
    BillingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    open_invoice = make_invoice(account)  # an issued invoice, to record a payment on
    # A paid invoice reduced by an avoir: what was paid beyond is to refund.
    paid_invoice = make_invoice(account, number="2300240069929")
    payment_record(
        invoice=paid_invoice,
        method="cheque",
        paid_on=datetime.date(2024, 3, 1),
        reference="7654321",
        amount_cents=8794,
        by=invited.user,
    )
    refunded = credit_note_issue(
        invoice=paid_invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=100,
        reason=CreditNoteReason.TARIFF_ERROR,
        by=invited.user,
    )
    api_key, _ = api_key_create(
        authority=ccfi, name="Camions", scopes=["lifts:write"], created_by=invited.user
    )
    webhook, _ = webhook_endpoint_create(
        authority=ccfi,
        url="https://logiciel.example.org/levee",
        events=["payment.confirmed"],
        created_by=invited.user,
    )
    return {
        "agents": agents,
        "api_key": api_key.pk,
        "webhook": webhook.pk,
        "account": account.pk,
        "subscription": household_bin.subscription_id,
        "bin": household_bin.pk,
        "tariff": tariff.pk,
        "run": run.pk,
        "invoice": Invoice.objects.get(run=run).pk,
        "open_invoice": open_invoice.pk,
        "credit_note": refunded.pk,
        "access": AccountAccess.objects.get(user=resident).pk,
        "opening": opening.pk,
        "batch": batch.pk,
        "schedule": schedule.pk,
        "exception": exception.pk,
        "sector": sector.pk,
        "bailleul": bailleul,
        "hazebrouck": hazebrouck,
        "colleague": colleague.pk,
        "former": former.pk,
        "invited": invited.pk,
    }


# (url, data, roles allowed): every post of the back office, with valid data.
ACTIONS = {
    "opening_accept": ("ouvertures/{opening}/valider/", lambda w: {"account": "new"}, "ACCOUNTS"),
    "opening_refuse": (
        "ouvertures/{opening}/refuser/",
        lambda w: {"reason": "Justificatif illisible"},
        "ACCOUNTS",
    ),
    "account_key_regenerate": ("comptes/{account}/nouvelle-cle/", lambda w: {}, "ACCOUNTS"),
    "account_dissociate": ("comptes/{account}/dissocier/{access}/", lambda w: {}, "ACCOUNTS"),
    "account_on_behalf_start": ("comptes/{account}/ouvrir-espace/", lambda w: {}, "ACCOUNTS"),
    "account_plan_set": (
        "comptes/{account}/abonnements/{subscription}/forfait/",
        lambda w: {f"forfait-{w['subscription']}-plan_volume_litres": "120"},
        "ACCOUNTS",
    ),
    "account_bin_add": (
        "comptes/{account}/bacs/ajouter/",
        lambda w: {
            "subscription": w["subscription"],
            "flux": "recyclables",
            "volume_litres": "240",
            "chip_number": "E0040002",
            "delivered_on": "2024-03-01",
        },
        "ACCOUNTS",
    ),
    "account_bin_replace": (
        "comptes/{account}/bacs/{bin}/remplacer/",
        lambda w: {"replaced_on": "2024-03-01", "volume_litres": "240", "chip_number": "E0040003"},
        "ACCOUNTS",
    ),
    "account_bin_remove": (
        "comptes/{account}/bacs/{bin}/retirer/",
        lambda w: {"removed_on": "2024-03-01"},
        "ACCOUNTS",
    ),
    "import_upload": (
        "imports/",
        lambda w: {
            "kind": "lifts",
            "file": SimpleUploadedFile("mars.csv", LIFTS.encode(), content_type="text/csv"),
        },
        "IMPORTS",
    ),
    "import_retry": ("imports/{batch}/relancer/", lambda w: {}, "IMPORTS"),
    "schedule_create": (
        "calendriers/nouveau/",
        lambda w: schedule_post(w["hazebrouck"]),
        "CALENDARS",
    ),
    "schedule_update": (
        "calendriers/{schedule}/",
        lambda w: schedule_post(w["bailleul"], weekday=Weekday.FRIDAY),
        "CALENDARS",
    ),
    "schedule_delete": ("calendriers/{schedule}/supprimer/", lambda w: {}, "CALENDARS"),
    "exception_add": (
        "calendriers/{schedule}/exceptions/",
        lambda w: {"exception-date": "2026-06-09", "exception-kind": "cancelled"},
        "CALENDARS",
    ),
    "exception_remove": (
        "calendriers/exceptions/{exception}/supprimer/",
        lambda w: {},
        "CALENDARS",
    ),
    "holiday_policy": (
        "calendriers/jours-feries/",
        lambda w: {"holiday_policy": "cancelled"},
        "SETTINGS",
    ),
    "sector_create": (
        "calendriers/secteurs/",
        lambda w: {"commune": w["bailleul"].pk, "name": "Sud", "streets": "rue de Lille"},
        "CALENDARS",
    ),
    "sector_update": (
        "calendriers/secteurs/{sector}/",
        lambda w: {"commune": w["hazebrouck"].pk, "name": "Nord", "streets": "rue Pasteur"},
        "CALENDARS",
    ),
    "sector_delete": ("calendriers/secteurs/{sector}/supprimer/", lambda w: {}, "CALENDARS"),
    "agent_add": (
        "agents/",
        lambda w: {"email": "nouvel.agent@flandre.example.org", "role": AgentRole.ACCUEIL},
        "AGENTS",
    ),
    "agent_role": ("agents/{colleague}/role/", lambda w: {"role": "facturation"}, "AGENTS"),
    "agent_deactivate": ("agents/{colleague}/desactiver/", lambda w: {}, "AGENTS"),
    "agent_reactivate": ("agents/{former}/reactiver/", lambda w: {}, "AGENTS"),
    "agent_invitation": ("agents/{invited}/invitation/", lambda w: {}, "AGENTS"),
    "agent_second_factor_reset": (
        "agents/{colleague}/double-authentification/",
        lambda w: {},
        "AGENTS",
    ),
    # « Exiger ProConnect pour les agents de la collectivité » (levee/identity).
    "proconnect_policy": ("agents/proconnect/", lambda w: {"required": "on"}, "AGENTS"),
    "api_key_create": (
        "cles-api/",
        lambda w: {"name": "Logiciel de facturation", "scopes": ["invoices:read"]},
        "INTEGRATIONS",
    ),
    "api_key_revoke": ("cles-api/{api_key}/revoquer/", lambda w: {"confirm": "on"}, "INTEGRATIONS"),
    "webhook_create": (
        "webhooks/",
        lambda w: {"url": "https://facturation.example.org/levee", "events": ["account.opened"]},
        "INTEGRATIONS",
    ),
    "webhook_disable": ("webhooks/{webhook}/desactiver/", lambda w: {}, "INTEGRATIONS"),
    "tariff_create": ("facturation/tarifs/nouvelle-grille/", lambda w: tariff_post(), "BILLING"),
    "tariff_edit": (
        "facturation/tarifs/{tariff}/modifier/",
        lambda w: tariff_post(note="Délibération du 12 mars", based_on="1"),
        "BILLING",
    ),
    "billing_settings": (
        "facturation/reglages/",
        lambda w: {
            "due_days": "20",
            "online_payment_grace_days": "30",
            "reminder_before_days": "5",
            "reminder_after_days": "10",
            "treasury_name": "SGC",
        },
        "BILLING",
    ),
    "sequence_start": (
        "facturation/reglages/numerotation/",
        lambda w: {"year": "2025", "first_value": "7"},
        "BILLING",
    ),
    "run_create": (
        "facturation/nouvelle/",
        lambda w: {"kind": "simulation", "year": "2023", "period": "s1", "issued_on": "2023-07-02"},
        "BILLING",
    ),
    "run_resume": ("facturation/{run}/reprendre/", lambda w: {}, "BILLING"),
    "payment_record": (
        "facturation/factures/{open_invoice}/reglement/",
        lambda w: {
            "method": "cheque",
            "paid_on": "2024-03-01",
            "reference": "1234567",
            "amount": "87,94",
        },
        "BILLING",
    ),
    "credit_note_create": (
        "facturation/factures/{open_invoice}/avoir/",
        lambda w: {
            "kind": "reduction",
            "amount": "1,00",
            "reason": "erreur_tarif",
            "text": "",
            "confirm": "on",
        },
        "BILLING",
    ),
    "credit_note_refund_done": (
        "facturation/avoirs/{credit_note}/rembourse/",
        lambda w: {},
        "BILLING",
    ),
    "collections_import": (
        "facturation/reglements/encaissements/",
        lambda w: {
            "file": SimpleUploadedFile(
                "encaissements.csv",
                b"facture;date;montant;mode;reference\n2300240069928;01/03/2024;87,94;cheque;1\n",
                content_type="text/csv",
            )
        },
        "BILLING",
    ),
    # « Comptabilité publique »; the rôle's files: levee/treasury/tests/test_views_backoffice.py.
    "accounting_settings": (
        "comptabilite-publique/reglages/",
        lambda w: {"collection_mode": "regie", "pieces_per_file": "5000", "role_object": "REOM"},
        "BILLING",
    ),
}
CASES = [(name, role) for name in ACTIONS for role in AgentRole]


@pytest.mark.parametrize("action, role", CASES)
def test_each_action_is_done_by_its_roles_and_refused_to_the_others(
    client, world, action, role, django_capture_on_commit_callbacks, settings
):
    url, data, group = ACTIONS[action]
    allowed = role in getattr(roles, group)
    client.force_login(world["agents"][role].user)
    if action == "proconnect_policy":  # required only from a session opened with ProConnect
        settings.IDENTITY_SIMULATION = settings.EMBEDDED = True  # ProConnect offered
        session = client.session
        session["identity_session"] = {"provider": "proconnect", "id_token": ""}
        session.save()
    before = db_state()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/backoffice/" + url.format(**world), data(world))
    if allowed:
        assert response.status_code == 302, text(response)
        assert db_state() != before
    else:
        assert response.status_code == 403
        assert "Accès refusé" in text(response)
        assert db_state() == before


def test_every_view_of_the_back_office_is_in_the_matrix(world):
    """A new view of the back office (or of the calendars' and billing's agents' pages) needs its line in
    ACTIONS or PAGES below (or in OPEN_TO_EVERY_AGENT): its roles are a decision."""
    from django.urls import get_resolver, resolve

    def names(patterns, namespace=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from names(p.url_patterns, p.namespace or namespace)
            elif p.name:
                yield f"{namespace}:{p.name}"

    views = {
        n
        for n in names(get_resolver().url_patterns)
        if n.startswith(("backoffice:", "calendars:bo_", "billing_bo:"))
    }
    urls = [u for u, *_ in ACTIONS.values()] + [u for u, *_ in PAGES] + [u for u, _ in FORM_PAGES]
    covered = {resolve("/backoffice/" + u.format(**world)).view_name for u in urls}
    assert views - covered - OPEN_TO_EVERY_AGENT == set()


OPEN_TO_EVERY_AGENT = {
    "backoffice:login",
    "backoffice:logout",
    "backoffice:password_set",
    "backoffice:switch_authority",
    "backoffice:accounts",
    "backoffice:opening_proof",
    "backoffice:import_help",
    "backoffice:import_report",
    # « Quitter » the resident's space: leaving is always possible (levee/space/on_behalf.py).
    "backoffice:on_behalf_stop",
    "backoffice:audit_log",
    # The Journal's CSV: every agent reads the Journal, so every agent exports it.
    "backoffice:audit_log_export",
    # « Toutes les levées » of an account: a list without an action.
    "backoffice:account_lifts",
    # Billing pages without an action: an invoice, the run's CSV, the payments' export.
    "billing_bo:invoice_detail",
    "billing_bo:run_invoices_csv",
    "billing_bo:payments",
    "billing_bo:payments_csv",
    # « Paiements à vérifier »: the list reads for every agent, and marking one checked is
    # the « Facturation » roles' only (levee/payments/tests/test_payment_checks.py).
    "billing_bo:payments_to_check",
    "billing_bo:payment_review",
    # An import of the accountant's collections: its report, without an action.
    "billing_bo:collection_import",
    # An avoir's PDF: read as its invoice is, by every agent.
    "billing_bo:credit_note_pdf",
}


# (url, marker of an action offered, group that gets it); every role reads the page.
PAGES = [
    ("", "Traiter", "ACCOUNTS"),
    ("ouvertures/{opening}/", "/valider/", "ACCOUNTS"),
    ("comptes/{account}/", "/nouvelle-cle/", "ACCOUNTS"),
    ("comptes/{account}/", "/dissocier/", "ACCOUNTS"),
    ("comptes/{account}/", "/ouvrir-espace/", "ACCOUNTS"),
    ("comptes/{account}/", "/bacs/ajouter/", "ACCOUNTS"),
    ("comptes/{account}/", "/remplacer/", "ACCOUNTS"),
    ("comptes/{account}/", "/retirer/", "ACCOUNTS"),
    ("comptes/{account}/", "/forfait/", "ACCOUNTS"),
    ("imports/", 'enctype="multipart/form-data"', "IMPORTS"),
    ("imports/{batch}/", "/relancer/", "IMPORTS"),
    ("imports/{batch}/progression/", "/relancer/", "IMPORTS"),
    ("calendriers/", "/calendriers/nouveau/", "CALENDARS"),
    ("calendriers/", "Modifier la règle des jours fériés", "SETTINGS"),
    ("calendriers/{schedule}/", "Ajouter l'exception", "CALENDARS"),
    ("calendriers/{schedule}/", "/supprimer/", "CALENDARS"),
    ("calendriers/jours-feries/", ">Enregistrer</button>", "SETTINGS"),
    ("calendriers/secteurs/", "Créer le secteur", "CALENDARS"),
    ("calendriers/secteurs/{sector}/", "Supprimer ce secteur", "CALENDARS"),
    ("comptes/", 'href="/backoffice/agents/"', "AGENTS"),
    ("comptes/", 'href="/backoffice/cles-api/"', "INTEGRATIONS"),
    ("facturation/", "/facturation/nouvelle/", "BILLING"),
    ("facturation/tarifs/", "/nouvelle-grille/", "BILLING"),
    ("facturation/tarifs/{tariff}/", "/modifier/", "BILLING"),
    ("facturation/reglages/", "Enregistrer les réglages", "BILLING"),
    ("facturation/reglages/", "/numerotation/", "BILLING"),
    ("facturation/{run}/", "/reprendre/", "BILLING"),
    ("facturation/{run}/progression/", "/reprendre/", "BILLING"),
    ("facturation/factures/{open_invoice}/", "Enregistrer le règlement", "BILLING"),
    ("facturation/reglements/encaissements/", 'enctype="multipart/form-data"', "BILLING"),
    ("comptabilite-publique/reglages/", "Enregistrer les réglages", "BILLING"),
    ("comptabilite-publique/", 'enctype="multipart/form-data"', "BILLING"),
]


@pytest.mark.parametrize("role", list(AgentRole))
@pytest.mark.parametrize("url, marker, group", PAGES)
def test_every_role_reads_the_pages_and_sees_only_the_actions_it_may_do(
    client, world, role, url, marker, group
):
    client.force_login(world["agents"][role].user)
    response = client.get("/backoffice/" + url.format(**world))
    assert response.status_code == 200
    assert (marker in text(response)) == (role in getattr(roles, group))


FORM_PAGES = [
    ("comptes/{account}/bacs/ajouter/", "ACCOUNTS"),
    ("comptes/{account}/bacs/{bin}/remplacer/", "ACCOUNTS"),
    ("comptes/{account}/bacs/{bin}/retirer/", "ACCOUNTS"),
    ("calendriers/nouveau/", "CALENDARS"),
    ("calendriers/{schedule}/supprimer/", "CALENDARS"),
    ("calendriers/secteurs/{sector}/supprimer/", "CALENDARS"),
    ("agents/", "AGENTS"),
    ("cles-api/", "INTEGRATIONS"),
    ("cles-api/{api_key}/revoquer/", "INTEGRATIONS"),
    ("webhooks/", "INTEGRATIONS"),
    ("webhooks/{webhook}/", "INTEGRATIONS"),
    ("facturation/tarifs/nouvelle-grille/", "BILLING"),
    ("facturation/tarifs/{tariff}/modifier/", "BILLING"),
    ("facturation/nouvelle/", "BILLING"),
    # « Restes à recouvrer » and its CSV: the follow-up of the debts, for those who bill.
    ("facturation/restes-a-recouvrer/", "BILLING"),
    ("facturation/restes-a-recouvrer/export.csv", "BILLING"),
]


@pytest.mark.parametrize("role", list(AgentRole))
@pytest.mark.parametrize("url, group", FORM_PAGES)
def test_the_pages_made_only_of_an_action_are_refused_to_the_other_roles(
    client, world, role, url, group
):
    client.force_login(world["agents"][role].user)
    response = client.get("/backoffice/" + url.format(**world))
    assert response.status_code == (200 if role in getattr(roles, group) else 403)


def test_the_403_page_names_the_roles_that_may_and_the_agents_own(client, world):
    client.force_login(world["agents"][AgentRole.CONSULTATION].user)
    page = text(client.post(f"/backoffice/comptes/{world['account']}/nouvelle-cle/"))
    assert "réservée aux rôles « Accueil » et « Administrateur »" in page
    assert "Votre rôle dans la Communauté de Communes Flandre Intérieure est « Consultation »" in (
        page
    )
    assert "Rien n'a été modifié." in page


def test_consultation_reads_a_schedule_and_a_sector_without_their_forms(client, world):
    client.force_login(world["agents"][AgentRole.CONSULTATION].user)
    page = text(client.get(f"/backoffice/calendriers/{world['schedule']}/"))
    assert "Tous les mardis" in page and "<select" not in page
    page = text(client.get(f"/backoffice/calendriers/secteurs/{world['sector']}/"))
    assert "rue de la Gare" in page and "<textarea" not in page
    page = text(client.get("/backoffice/calendriers/jours-feries/"))
    assert "Jours fériés : collecte reportée au lendemain." in page


def test_the_header_shows_the_agents_role(client, world):
    client.force_login(world["agents"][AgentRole.FACTURATION].user)
    assert "facturation@flandre.example.org — Facturation" in text(client.get("/backoffice/"))


def test_a_role_is_checked_in_the_authority_the_agent_works_on(client, world):
    """One login, two authorities, two roles: the role of the authority chosen counts."""
    from testkit import pilat_world

    pilat, _ = pilat_world()
    user = world["agents"][AgentRole.CONSULTATION].user
    Agent.objects.create(authority=pilat, user=user, role=AgentRole.ADMINISTRATEUR)
    client.force_login(user)
    client.post("/backoffice/collectivite/", {"authority": pilat.pk})
    assert client.get("/backoffice/agents/").status_code == 200
    ccfi = Agent.objects.get(pk=world["colleague"]).authority
    client.post("/backoffice/collectivite/", {"authority": ccfi.pk})
    assert client.get("/backoffice/agents/").status_code == 403


def test_agent_required_refuses_unknown_roles():
    with pytest.raises(ValueError):
        agent_required("chef")
    with pytest.raises(ValueError):
        agent_required(writes=())
