"""Every page type of Levée, named by its URL pattern, and how a browser test reaches one on
the demo: who visits it (nobody logged in, the demo's resident Marie Martin, the agent of
CCFI) and the arguments of its URL. `test_page_types.py` fails when a named pattern of the
URLconfs is neither here nor in NOT_PAGES (with the reason), so a new page is checked at
320 px and by axe from the day it is added (`test_browser_every_page_fits_a_phone.py`)."""

from collections.abc import Callable
from dataclasses import dataclass, field

ANONYMOUS, RESIDENT, LOGIN, AGENT = "anonymous", "resident", "login", "agent"


@dataclass(frozen=True)
class PageType:
    name: str
    visitor: str
    kwargs: Callable = field(default=lambda w: {})
    query: str = ""
    status: int = 200  # a link no longer valid says so with 400


def _slug(w):
    return {"slug": w.slug}


def _kind(slug):
    return lambda w: {"slug": w.slug, "kind_slug": slug}


PAGE_TYPES = [
    # Public pages.
    PageType("authorities:platform_home", ANONYMOUS),
    PageType("authorities:home", ANONYMOUS, _slug),
    PageType("authorities:cgu", ANONYMOUS, _slug),
    PageType("authorities:legal_notice", ANONYMOUS, _slug),
    PageType("authorities:personal_data", ANONYMOUS, _slug),
    PageType("authorities:accessibility", ANONYMOUS, _slug),
    PageType("authorities:accessibility_platform", ANONYMOUS),
    PageType("api_docs", ANONYMOUS),
    PageType("accounts:login_platform", ANONYMOUS),
    PageType("accounts:login", ANONYMOUS, _slug),
    PageType("accounts:signup", ANONYMOUS, _slug),
    PageType("accounts:signup_done", ANONYMOUS, _slug),
    PageType("accounts:activate", ANONYMOUS, lambda w: {**_slug(w), **w.activation}, status=400),
    PageType("accounts:password_reset", ANONYMOUS, _slug),
    PageType("accounts:password_reset_confirm", ANONYMOUS, lambda w: {**_slug(w), **w.reset}),
    # The opening request: Pilat Rhodanien asks for a proof, CCFI has its own list.
    PageType("accounts:opening_start", ANONYMOUS, lambda w: {"slug": w.pilat}),
    PageType(
        "accounts:opening_form",
        ANONYMOUS,
        lambda w: {"slug": w.pilat, "insee": "42168", "postal_code": "42410"},
    ),
    PageType("accounts:opening_submitted", ANONYMOUS, lambda w: {"slug": w.pilat}),
    PageType(
        "accounts:opening_confirm",
        ANONYMOUS,
        lambda w: {"slug": w.pilat, "token": "perime"},
        status=400,
    ),
    PageType("requests:move_in", ANONYMOUS, _slug),
    PageType("requests:move_in_submitted", ANONYMOUS, _slug),
    PageType(
        "requests:move_in_confirm", ANONYMOUS, lambda w: {**_slug(w), "token": "perime"}, status=400
    ),
    PageType(
        "requests:move_in_follow", ANONYMOUS, lambda w: {**_slug(w), "token": "perime"}, status=400
    ),
    PageType(
        "requests:email_confirm", ANONYMOUS, lambda w: {**_slug(w), "token": "perime"}, status=400
    ),
    PageType("calendars:authority", ANONYMOUS, _slug),
    PageType("calendars:commune", ANONYMOUS, lambda w: {**_slug(w), "insee": "59043"}),
    PageType("calendars:year", ANONYMOUS, lambda w: {**_slug(w), "insee": "59043", "year": w.year}),
    PageType(
        "calendars:reminder_unsubscribe",
        ANONYMOUS,
        lambda w: {**_slug(w), "token": w.reminder_token},
    ),
    PageType(
        "billing:usage_alert_unsubscribe",
        ANONYMOUS,
        lambda w: {**_slug(w), "token": w.alert_token},
    ),
    PageType("backoffice:login", ANONYMOUS),
    PageType("ecocito:login", ANONYMOUS),
    PageType("ecocito:login_authority", ANONYMOUS, _slug),
    PageType("backoffice:password_set", ANONYMOUS, lambda w: w.invitation),
    # The resident's space.
    PageType("space:home", RESIDENT, _slug),
    PageType("ecocito:collecte", RESIDENT),
    PageType("ecocito:collecte_authority", RESIDENT, _slug),
    PageType("space:informations", RESIDENT, _slug),
    PageType("space:profile", RESIDENT, _slug),
    PageType("tokens:create", RESIDENT, _slug),
    PageType("privacy:login_delete", RESIDENT, _slug),
    PageType("accounts:password_change", RESIDENT, _slug),
    PageType("accounts:associate_commune", RESIDENT, _slug),
    PageType("accounts:associate_key", RESIDENT, _slug),
    PageType("accounts:associate_confirm", RESIDENT, _slug),
    PageType("accounts:dissociate", RESIDENT, lambda w: {**_slug(w), "account_pk": w.account.pk}),
    PageType("requests:key_request", RESIDENT, _slug),
    PageType("requests:services", RESIDENT, _slug),
    PageType("requests:request_form", RESIDENT, _kind("modifier-mes-coordonnees")),
    PageType("requests:request_form", RESIDENT, _kind("modifier-mes-informations-personnelles")),
    PageType("requests:request_form", RESIDENT, _kind("je-signale-mon-demenagement")),
    PageType("requests:request_form", RESIDENT, _kind("je-resilie-mon-abonnement")),
    PageType("requests:request_form", RESIDENT, _kind("je-choisis-le-prelevement-automatique")),
    PageType("requests:request_form", RESIDENT, _kind("j-arrete-le-prelevement-automatique")),
    PageType("requests:request_form", RESIDENT, _kind("demande-d-intervention-sur-mon-bac")),
    PageType("requests:request_form", RESIDENT, _kind("nous-contacter")),
    PageType(
        "requests:request_form",
        RESIDENT,
        _kind("contester-une-levee"),
        query="?levee={lift_pk}",
    ),
    PageType("requests:tracking", RESIDENT, _slug),
    PageType("requests:detail", RESIDENT, lambda w: {**_slug(w), "pk": w.request.pk}),
    PageType("collection:production", RESIDENT, _slug),
    PageType("billing:invoices", RESIDENT, _slug),
    PageType("payments:result", RESIDENT, lambda w: {**_slug(w), "payment_pk": w.payment.pk}),
    PageType("calendars:space", RESIDENT, _slug),
    # A login without an account yet.
    PageType("space:no_account", LOGIN),
    # The back office.
    PageType("backoffice:dashboard", AGENT),
    PageType("requests:bo_queue", AGENT),
    PageType("requests:bo_detail", AGENT, lambda w: {"pk": w.request.pk}),
    PageType("backoffice:opening_detail", AGENT, lambda w: {"pk": w.opening.pk}),
    PageType("backoffice:accounts", AGENT, query="?q=martin"),
    PageType("backoffice:account_detail", AGENT, lambda w: {"pk": w.account.pk}),
    PageType("backoffice:account_lifts", AGENT, lambda w: {"pk": w.account.pk}),
    PageType("backoffice:account_bin_add", AGENT, lambda w: {"pk": w.account.pk}),
    PageType(
        "backoffice:account_bin_replace", AGENT, lambda w: {"pk": w.account.pk, "bin_pk": w.bin.pk}
    ),
    PageType(
        "backoffice:account_bin_remove", AGENT, lambda w: {"pk": w.account.pk, "bin_pk": w.bin.pk}
    ),
    PageType("backoffice:agents", AGENT),
    PageType("backoffice:api_keys", AGENT),
    PageType("backoffice:api_key_revoke", AGENT, lambda w: {"pk": w.api_key.pk}),
    PageType("backoffice:webhooks", AGENT),
    PageType("backoffice:webhook_detail", AGENT, lambda w: {"pk": w.webhook.pk}),
    PageType("backoffice:audit_log", AGENT),
    PageType("backoffice:imports", AGENT),
    PageType("backoffice:import_help", AGENT),
    PageType("backoffice:import_detail", AGENT, lambda w: {"pk": w.batch.pk}),
    PageType("billing_bo:runs", AGENT),
    PageType("billing_bo:run_create", AGENT),
    PageType("billing_bo:run_detail", AGENT, lambda w: {"pk": w.run.pk}),
    PageType("billing_bo:invoice_detail", AGENT, lambda w: {"pk": w.invoice.pk}),
    PageType("billing_bo:credit_note_create", AGENT, lambda w: {"pk": w.invoice.pk}),
    PageType("billing_bo:tariffs", AGENT),
    PageType("billing_bo:tariff_create", AGENT),
    PageType("billing_bo:tariff_detail", AGENT, lambda w: {"pk": w.tariff.pk}),
    PageType("billing_bo:tariff_edit", AGENT, lambda w: {"pk": w.tariff.pk}),
    PageType("billing_bo:settings", AGENT),
    PageType("billing_bo:payments", AGENT),
    PageType("billing_bo:payments_to_check", AGENT),
    PageType("billing_bo:collections", AGENT),
    PageType("billing_bo:collection_import", AGENT, lambda w: {"pk": w.collection_import.pk}),
    PageType("billing_bo:outstanding", AGENT),
    PageType("treasury_bo:roles", AGENT),
    PageType("treasury_bo:accounting_settings", AGENT),
    PageType("payments_bo:debit_files", AGENT),
    PageType("calendars:bo_schedules", AGENT),
    PageType("calendars:bo_schedule_create", AGENT),
    PageType("calendars:bo_schedule", AGENT, lambda w: {"pk": w.schedule.pk}),
    PageType("calendars:bo_schedule_delete", AGENT, lambda w: {"pk": w.schedule.pk}),
    PageType("calendars:bo_holiday_policy", AGENT),
    PageType("calendars:bo_sectors", AGENT),
    PageType("calendars:bo_sector", AGENT, lambda w: {"pk": w.sector.pk}),
    PageType("calendars:bo_sector_delete", AGENT, lambda w: {"pk": w.sector.pk}),
]

# Checked at 320 px and by axe in a test of their own, which reaches them the way a person
# does (their URLs carry a state that only that way builds).
CHECKED_ELSEWHERE = {
    "payments:sandbox_debt": "test_browser_phone_width.py, paying online in the sandbox",
    "payments:sandbox_card": "test_browser_phone_width.py, paying online in the sandbox",
    "twofactor:enrol": "test_browser_phone_width.py, two-factor authentication",
    "twofactor:recovery_codes": "test_browser_phone_width.py, two-factor authentication",
    "twofactor:verify": "test_browser_phone_width.py, two-factor authentication",
    **dict.fromkeys(
        [
            "identity:franceconnect_link",
            "identity:franceconnect_callback",  # its refusal page (a wrong state)
            "identity:proconnect_callback",
            "identity:logout_callback",
            "identity:simulation_authorize",
            "identity:simulation_logout",
        ],
        "levee/identity/tests/test_browser_identity.py, FranceConnect and ProConnect",
    ),
    "tokens:revoke": "levee/tokens/tests/test_browser_tokens.py, a token's life",
}

_ACTION = "an action (POST only): it answers with a redirect to a page checked here"
_FILE = "a file, not a page (CSV, PDF, ICS, JSON, CSS or an attachment)"
_REDIRECT = "a redirect to a page checked here, never a page of its own"

NOT_PAGES = {
    # Actions.
    **dict.fromkeys(
        [
            "backoffice:logout",
            "backoffice:switch_authority",
            "backoffice:opening_accept",
            "backoffice:opening_refuse",
            "backoffice:account_key_regenerate",
            "backoffice:account_dissociate",
            "backoffice:account_on_behalf_start",
            "backoffice:on_behalf_stop",
            "backoffice:agent_role",
            "backoffice:agent_deactivate",
            "backoffice:agent_reactivate",
            "backoffice:agent_invitation",
            "backoffice:agent_second_factor_reset",
            "backoffice:proconnect_policy",
            "identity:franceconnect_start",
            "identity:franceconnect_cancel",
            "identity:franceconnect_unlink",
            "identity:proconnect_start",
            "backoffice:webhook_disable",
            "backoffice:import_retry",
            "billing_bo:run_resume",
            "billing_bo:sequence_start",
            "billing_bo:payment_review",
            "billing_bo:payment_record",
            "billing_bo:credit_note_refund_done",
            "backoffice:account_plan_set",
            "treasury_bo:generate",
            "treasury_bo:generate_credit",
            "treasury_bo:transmit",
            "treasury_bo:accept",
            "treasury_bo:reject",
            "treasury_bo:acknowledgement",
            "payments_bo:generate",
            "payments_bo:transmit",
            "payments_bo:rejects",
            "payments:pay",
            "payments:abandon",
            "payments:notify",
            "payments:sandbox_debit",
            "accounts:logout_platform",
            "accounts:logout",
            "accounts:activation_resend",
            "accounts:associate_cancel",
            "calendars:bo_exception_remove",
            "calendars:bo_exception_add",
            "calendars:space_link",
            "calendars:space_link_revoke",
            "requests:bo_accept",
            "requests:bo_refuse",
            "requests:bo_complement",
            "requests:answer",
            "requests:email_link_resend",
            "requests:move_in_answer",
            "space:switch_account",
            "twofactor:recovery_codes_renew",
            "twofactor:space_disable",
        ],
        _ACTION,
    ),
    # Files.
    **dict.fromkeys(
        [
            "backoffice:opening_proof",
            "backoffice:audit_log_export",
            "backoffice:import_report",
            "billing_bo:run_invoices_csv",
            "billing_bo:payments_csv",
            "billing_bo:outstanding_csv",
            "treasury_bo:download",
            "payments_bo:download",
            "billing:duplicata",
            "billing:credit_note_pdf",
            "billing_bo:credit_note_pdf",
            "privacy:data_json",
            "privacy:data_csv",
            "collection:lifts_csv",
            "collection:dropoffs_csv",
            "calendars:account_ics",
            "calendars:commune_ics",
            "requests:bo_attachment",
            "requests:attachment",
            "requests:move_in_attachment",
            "authorities:commune_search",
            "authorities:theme_css",
            "ecocito:get_collecte",
            "ecocito:get_collecte_authority",
            "ecocito:get_apport",
            "ecocito:get_apport_authority",
            "ecocito:lift_statistics",
            "ecocito:lift_statistics_authority",
            "ecocito:dropoff_statistics",
            "ecocito:dropoff_statistics_authority",
        ],
        _FILE,
    ),
    # Redirects and fragments.
    **dict.fromkeys(
        [
            "payments:return",
            "requests:mine",
            "calendars:space_reminders",  # to its form in « Mon calendrier de collecte »
            "twofactor:space_enable",  # to the enrolment, twofactor:enrol
            "ecocito:logout",  # to ecocito:login
            "ecocito:logout_authority",
        ],
        _REDIRECT,
    ),
    "backoffice:import_progress": "a fragment of the import's page, polled by it (checked there)",
    "billing_bo:run_progress": "a fragment of the run's page, polled by it (checked there)",
    "treasury_bo:generation_progress": (
        "a fragment of « Titres et rôles », polled by it (checked there)"
    ),
}


def _api_endpoints() -> dict[str, str]:
    """Every named URL of the API (its namespace `api:`): JSON, or an invoice's PDF."""
    from levee.api.api import api

    patterns, _app, namespace = api.urls
    return {
        f"{namespace}:{p.name}": "an endpoint of the API: JSON (or a PDF), not a page"
        for p in patterns
        if getattr(p, "name", None)
    }


NOT_PAGES.update(_api_endpoints())
