"""The audit log read as French sentences (« Journal des actions », its CSV export, an
account's page): « Pierrick Dupont : adresse de facturation 29 → 30 ROUTE DE MÉTEREN ».

Every action code written by `audit_write` has its sentence in `SENTENCES` (a test reads the
code base's codes); dates and times are said in Paris time. `entries_describe` reads the
objects a page of entries names (agents, accounts, requests, communes) in a fixed number of
queries, whatever the number of entries."""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from levee.lib.templatetags.levee_format import day_fr
from levee.lib.text import plural_fr

from .models import AuditEntry

ARROW = " → "
EMPTY = "—"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Keys of before/after that are no model field (or whose field name says little).
KEY_LABELS = {
    "status": "statut",
    "role": "rôle",
    "is_active": "actif",
    "email": "email",
    "login": "identifiant",
    "reason": "motif",
    "message": "message",
    "holiday_policy": "jours fériés",
    "first_value": "premier numéro",
    "vat_rate_bp": "TVA",
    "note": "motif",
    "paperless_invoices": "factures uniquement par email",
    "second_factor": "double authentification",
}
BILLING_ADDRESS_KEYS = (
    "billing_apartment",
    "billing_staircase",
    "billing_floor",
    "billing_building",
    "billing_number",
    "billing_number_suffix",
    "billing_street",
    "billing_line2",
    "billing_po_box",
    "billing_postal_code",
    "billing_city",
    "billing_city_complement",
)


@dataclass
class Known:
    """The objects the entries of a page name, read once for the whole page."""

    agents: dict
    accounts: dict
    requests: dict
    communes: dict


@dataclass
class Line:
    """One entry as the Journal shows it."""

    entry: AuditEntry
    at: datetime.datetime  # Paris time
    actor: str
    text: str  # what was done, without the actor
    account: object | None  # the account the entry is about, when there is one

    @property
    def object_label(self) -> str:
        """« demande n° 3 », « compte usager 00243 »: what the entry is about, in French (the
        CSV's « Objet »); an account by its code, as agents know it, never its row id."""
        if self.entry.object_type == ACCOUNT and self.account is not None:
            return f"{self.account._meta.verbose_name} {self.account.code}"
        return object_label(self.entry.object_type, self.entry.object_id)

    @property
    def sentence(self) -> str:
        return f"{self.actor} : {self.text}"

    @property
    def actor_email(self) -> str:
        """The login's email (the CSV's « Email de l'agent »); for a key, its creator's."""
        entry = self.entry
        user = entry.actor if entry.actor_id else entry.api_key.created_by
        return user.email


def person_name(user) -> str:
    """« Pierrick Dupont », or the login's email when it has no name."""
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return name or user.email


def actor_name(entry: AuditEntry) -> str:
    """Who wrote the entry: a login's name, or « Clé API Camions (créée par Pierrick
    Dupont) » for an authority's software calling the API with its key."""
    if entry.actor_id is not None:
        return person_name(entry.actor)
    key = entry.api_key
    return f"Clé API {key.name} (créée par {person_name(key.created_by)})"


def paris(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value)


def plain(value) -> str:
    """A stored value as people read it: oui/non, French dates, Paris times."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value) or EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{k} {plain(v)}" for k, v in value.items()) or EMPTY
    if isinstance(value, str):
        if len(value) == 10 and (day := _date(value)) is not None:
            return day.strftime("%d/%m/%Y")
        if len(value) > 10 and "T" in value and (moment := _datetime(value)) is not None:
            return paris(moment).strftime("%d/%m/%Y à %H:%M")
    return str(value)


def _date(value: str):
    """The date an ISO string (« 2026-12-20 ») stores; None for any other text (a phone
    number is ten digits too)."""
    if not ISO_DATE.fullmatch(value):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _datetime(value: str):
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def euros(cents) -> str:
    if cents is None:
        return EMPTY
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{rest:02d} €"


def _field(model, key):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def field_label(model, key: str) -> str:
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    field = _field(model, key)
    if field is not None and getattr(field, "verbose_name", None):
        return str(field.verbose_name)
    return key.replace("_", " ")


def field_value(model, key: str, value, known: Known | None = None) -> str:
    """A value of `model`'s field `key`: its choice's label, a commune's name, cents in €."""
    if key.endswith("_cents") and isinstance(value, int):
        return euros(value)
    if key == "vat_rate_bp" and isinstance(value, int):
        return f"{value / 100:g} %".replace(".", ",")
    if key == "role":
        from levee.agents.roles import AgentRole

        return str(dict(AgentRole.choices).get(value, plain(value)))
    field = _field(model, key)
    if key == "commune" and known is not None and value in known.communes:
        return known.communes[value]
    if field is not None and field.choices and not isinstance(value, (list, dict)):
        return str(dict(field.flatchoices).get(value, plain(value)))
    return plain(value)


def changes(model, before: dict, after: dict, known: Known | None = None, *, keys=None) -> str:
    """« rôle Accueil → Administrateur, actif oui → non »: each key whose value changed."""
    keys = keys or list(dict.fromkeys([*before, *after]))
    parts = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = field_label(model, key)
        if key not in before:
            parts.append(f"{label} {field_value(model, key, new, known)}")
        elif key not in after:
            parts.append(f"{label} {field_value(model, key, old, known)} supprimé")
        else:
            parts.append(
                f"{label} {field_value(model, key, old, known)}{ARROW}"
                f"{field_value(model, key, new, known)}"
            )
    return ", ".join(parts)


def values_listed(model, values: dict, known: Known | None = None, *, keys=None) -> str:
    """« flux Verre, jour lundi »: the values of a created or deleted object."""
    keys = keys or list(values)
    return ", ".join(
        f"{field_label(model, key)} {field_value(model, key, values[key], known)}"
        for key in keys
        if key in values and values[key] not in (None, "", [], {})
    )


def elided(before: str, after: str) -> str:
    """« 29 ROUTE DE MÉTEREN » and « 30 ROUTE DE MÉTEREN » → « 29 → 30 ROUTE DE MÉTEREN »:
    the words both end with are said once."""
    old, new = before.split(), after.split()
    common = 0
    while common < min(len(old), len(new)) - 1 and old[-1 - common] == new[-1 - common]:
        common += 1
    if not common:
        return f"{before or EMPTY}{ARROW}{after or EMPTY}"
    tail = " ".join(old[len(old) - common :])
    return f"{' '.join(old[: len(old) - common])}{ARROW}{' '.join(new[: len(new) - common])} {tail}"


def address_line(values: dict) -> str:
    """The billing address of a request's values, on one line as the account says it."""
    number = " ".join(
        p for p in (values.get("billing_number"), values.get("billing_number_suffix")) if p
    )
    street = " ".join(p for p in (number, values.get("billing_street")) if p)
    labelled = [
        f"{label} {values[key]}"
        for label, key in (
            ("App.", "billing_apartment"),
            ("Esc.", "billing_staircase"),
            ("Etg.", "billing_floor"),
            ("Bât.", "billing_building"),
        )
        if values.get(key)
    ]
    town = " ".join(
        p
        for p in (
            values.get("billing_postal_code"),
            values.get("billing_city"),
            values.get("billing_city_complement"),
        )
        if p
    )
    parts = [*labelled, street, values.get("billing_line2"), values.get("billing_po_box"), town]
    return ", ".join(str(p) for p in parts if p).upper()


# --- one sentence per action code ------------------------------------------------------


def _model(entry):
    try:
        return apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        return None


def _account_name(entry, known, code=None) -> str:
    account = known.accounts.get(entry.object_id) if entry.object_type == ACCOUNT else None
    if account is not None:
        return f"compte {account.code} ({account.holder_name.upper()})"
    return f"compte {code}" if code else "compte"


def _plan_volume(volume) -> str:
    return f"bac de {volume} L" if volume else "selon le volume du bac"


def _agent_name(entry, known, email=None) -> str:
    agent = known.agents.get(entry.object_id)
    if agent is not None:
        return person_name(agent.user)
    return email or f"agent n° {entry.object_id}"


def _request(entry, known, kind=None) -> str:
    found = known.requests.get(entry.object_id)
    kind = kind or (found.kind if found else "")
    label = _request_label(kind)
    return f"demande n° {entry.object_id} « {label} »" if label else f"demande n° {entry.object_id}"


def _request_label(kind: str) -> str:
    from levee.requests.registry import request_type_get

    try:
        return request_type_get(kind).tracking_label
    except (KeyError, LookupError, ValueError):
        return kind


# What the request types put in `applied` beside their own `labels` (the subscription
# ended, the bins removed, the account created): never an English key on the screen.
APPLIED_LABELS = {
    "subscription": "abonnement",
    "new_subscription": "nouvel abonnement",
    "ended_on": "fin de l'abonnement",
    "subscribed_on": "début de l'abonnement",
    "billing": "adresse de facturation",
    "address": "adresse d'habitation",
    "account": "compte",
    "key_sent_to": "clé d'activation envoyée à",
    "bin": "bac",
    "intervention": "intervention",
    "lift": "levée contestée",
    "rum": "mandat",
    "creditor_identifier": "ICS",
    "revoked": "en remplacement du mandat",
    "signed_on": "signé le",
}
# Keys said by their value alone (a count, a yes/no), as a whole French phrase.
APPLIED_PHRASES = {
    "bins_removed": lambda v: (
        f"{plural_fr(len(v), 'bac retiré')} ({and_fr(v)})" if v else "aucun bac retiré"
    ),
    "invoices_debited": lambda v: plural_fr(int(v or 0), "facture prélevée"),
    "debits_cancelled": lambda v: plural_fr(int(v or 0), "prélèvement prévu annulé"),
    "invoices_payable": lambda v: plural_fr(int(v or 0), "facture") + " de nouveau à régler",
    "answered": lambda v: "message traité" if v else "",
    "cancelled": lambda v: "levée annulée" if v else "levée maintenue",
    "billed_invoices": lambda v: (
        f"déjà comptée sur {plural_fr(len(v), 'facture')} ({and_fr(_invoice_fr(i) for i in v)})"
    ),
    "credit_notes": lambda v: f"{plural_fr(len(v), 'avoir')} émis ({and_fr(v)})",
    "lift_deleted": lambda v: "",  # said by « levée annulée »; its values stay in the entry
}
ADDRESS_KEYS = ("billing", "address", "dwelling")


def _invoice_fr(invoice) -> str:
    """An invoice as an entry keeps it: its number, or {number, issued_on} (« 2600240000233
    du 03/12/2026 »)."""
    if not isinstance(invoice, dict):
        return str(invoice)
    number = invoice.get("number", "")
    try:
        issued_on = datetime.date.fromisoformat(invoice.get("issued_on") or "")
    except ValueError:
        return number
    return f"{number} du {issued_on:%d/%m/%Y}"


def and_fr(values) -> str:
    """« A », « A et B », « A, B et C »."""
    values = [str(v) for v in values if v not in (None, "")]
    if len(values) < 2:
        return "".join(values)
    return f"{', '.join(values[:-1])} et {values[-1]}"


def day_long(value) -> str:
    """« 2026-12-01 » → « 1er décembre 2026 »; anything else as `plain` says it."""
    day = _date(value) if isinstance(value, str) and len(value) == 10 else None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        day = value
    return day_fr(day) if day is not None else plain(value)


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _request_values(kind: str, before: dict, after: dict) -> str:
    """What an accepted request changed, as its type labels it; the billing address as one
    line (« adresse de facturation 29 → 30 ROUTE DE MÉTEREN »); dates, lists and counts in
    French (« fin de l'abonnement 1er décembre 2026, 2 bacs retirés (A et B) »)."""
    from levee.requests.registry import request_type_get

    try:
        request_type = request_type_get(kind)
    except (KeyError, LookupError, ValueError):
        request_type = None
    labels = {**APPLIED_LABELS, **dict(getattr(request_type, "labels", {}) or {})}
    parts = []
    address_keys = [k for k in BILLING_ADDRESS_KEYS if k in after]
    if address_keys:
        old = address_line(before)
        new = address_line({**before, **{k: after[k] for k in address_keys}})
        if old != new:
            parts.append(f"adresse de facturation {elided(old, new)}")
    for key, new in after.items():
        if key in address_keys:
            continue
        if key == "dwelling" and isinstance(new, dict):
            parts.append(
                f"adresse d'habitation {elided(new.get('before', ''), new.get('after', ''))}"
            )
            continue
        if key in APPLIED_PHRASES:
            phrase = APPLIED_PHRASES[key](new)
            if phrase:
                parts.append(phrase)
            continue
        label = _lower_first(labels[key]) if key in labels else ""
        if key == "billing":
            label = "adresse de facturation"
        shown = _request_display(request_type, key, new)
        if before.get(key) not in (None, "", new):  # an empty « before » says nothing
            old = _request_display(request_type, key, before[key])
            change = elided(old, shown) if key in ADDRESS_KEYS else f"{old}{ARROW}{shown}"
            parts.append(f"{label} {change}".strip())
        else:
            parts.append(f"{label} {shown}".strip())
    return ", ".join(parts)


def _request_display(request_type, key: str, value) -> str:
    """A value of a request in French: a date written out, a list joined, oui/non."""
    if isinstance(value, str) and len(value) == 10 and _date(value) is not None:
        return day_long(value)
    if isinstance(value, (list, tuple)):
        return and_fr(value) or EMPTY
    if isinstance(value, (bool, dict)) or value is None:
        return plain(value)
    shown = request_type.display(key, value) if request_type is not None else plain(value)
    return shown or EMPTY


def object_label(object_type: str, object_id: str) -> str:
    """« demande n° 3 », « facturation n° 2 »: the model's French name and the id."""
    try:
        name = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = "objet"
    return f"{name} n° {object_id}"


def _run_kind(value) -> str:
    from levee.billing.models import RunKind

    return str(dict(RunKind.choices).get(value, plain(value))).lower()


def _import_kind(value) -> str:
    from levee.collection.models import ImportKind

    return str(dict(ImportKind.choices).get(value, plain(value))).lower()


def _schedule(entry, values: dict, known) -> str:
    model = _model(entry)
    flux = field_value(model, "flux", values.get("flux"), known) if values.get("flux") else ""
    commune = known.communes.get(values.get("commune"), values.get("commune") or "")
    where = f" de {commune}" if commune else ""
    if values.get("sector"):
        where += f" (secteur {values['sector']})"
    return f"collecte {flux.lower()}{where}" if flux else f"règle de collecte n° {entry.object_id}"


ACCOUNT = "subscribers.Account"


def _on_behalf_stop(e, b, a, k):
    expired = " (accès déjà expiré)" if a.get("expired") else ""
    return f"sortie de l'espace de l'usager, {_account_name(e, k, b.get('account'))}{expired}"


def _opening_accept(e, b, a, k):
    created = ", compte créé" if a.get("account_created") else ""
    return (
        f"demande d'ouverture de compte n° {e.object_id} validée : rattachée au compte "
        f"{a.get('account', EMPTY)}{created}"
    )


def _tariff(e, b, a, k):
    if not b:
        return f"grille tarifaire {a.get('year', '')} créée (version {a.get('version', 1)})"
    note = f" : {a['note']}" if a.get("note") else ""
    vat = ""
    if b.get("vat_rate_bp") != a.get("vat_rate_bp"):
        vat = ", " + changes(None, {"vat_rate_bp": b.get("vat_rate_bp")}, a, keys=["vat_rate_bp"])
    plans = ", grille des forfaits modifiée" if b.get("plans") != a.get("plans") else ""
    return (
        f"grille tarifaire {a.get('year', '')} : version {b.get('version')}{ARROW}"
        f"{a.get('version')}{vat}{plans}{note}"
    )


def _billing_run(e, b, a, k):
    return (
        f"{_run_kind(a.get('kind'))} lancée pour {a.get('period', '')} (grille version "
        f"{a.get('tariff_version', EMPTY)}, factures du {plain(a.get('issued_on'))}, échéance "
        f"{plain(a.get('due_on'))})"
    )


def _scopes(values) -> str:
    """The scopes of a key as the screen names them (« Envoyer des levées »)."""
    labels = dict(apps.get_model("integrations.ApiKey").scope_choices())
    return ", ".join(labels.get(v, str(v)) for v in values or []) or EMPTY


def _events(values) -> str:
    labels = dict(apps.get_model("integrations.WebhookEndpoint").event_choices())
    return ", ".join(labels.get(v, str(v)) for v in values or []) or EMPTY


def _payment_review(e, b, a, k):
    paid = a.get("paid_amount_cents")
    said = f", payé selon le service {euros(paid)}" if paid is not None else ""
    return f"règlement n° {e.object_id} marqué vérifié ({euros(a.get('amount_cents'))}{said})"


SENTENCES: dict[str, Callable] = {
    # Integrations: the authority's API keys and webhooks
    "api_key.create": lambda e, b, a, k: (
        f"clé d'API « {a.get('name', '')} » créée, droits : {_scopes(a.get('scopes'))}"
        + (f", expire le {plain(a.get('expires_at'))}" if a.get("expires_at") else "")
    ),
    "api_key.revoke": lambda e, b, a, k: f"clé d'API « {b.get('name', '')} » révoquée",
    "webhook.create": lambda e, b, a, k: (
        f"webhook {a.get('url', '')} enregistré, événements : {_events(a.get('events'))}"
    ),
    "webhook.disable": lambda e, b, a, k: f"webhook {b.get('url', '')} désactivé",
    # Imports
    "import.upload": lambda e, b, a, k: (
        f"import {_import_kind(a.get('kind'))} du fichier « {a.get('filename', '')} »"
    ),
    "import.retry": lambda e, b, a, k: f"import n° {e.object_id} relancé",
    "import.api_push": lambda e, b, a, k: (
        f"envoi par l'API (import {_import_kind(a.get('kind'))} n° {e.object_id}) : "
        f"{a.get('received', 0)} élément(s) reçu(s), {a.get('imported', 0)} importé(s), "
        f"{a.get('rejected', 0)} rejeté(s)"
    ),
    # Agents
    "agent.add": lambda e, b, a, k: (
        f"agent {a.get('email') or _agent_name(e, k)} ajouté, rôle "
        f"{field_value(None, 'role', a.get('role'))}"
    ),
    "agent.reactivate": lambda e, b, a, k: (
        f"agent {_agent_name(e, k)} réactivé, rôle {field_value(None, 'role', a.get('role'))}"
    ),
    "agent.role_set": lambda e, b, a, k: (
        f"rôle de {_agent_name(e, k)} : {field_value(None, 'role', b.get('role'))}{ARROW}"
        f"{field_value(None, 'role', a.get('role'))}"
    ),
    "agent.deactivate": lambda e, b, a, k: f"agent {_agent_name(e, k)} désactivé",
    "agent.invite": lambda e, b, a, k: (
        f"nouveau lien pour choisir son mot de passe envoyé à {a.get('email', _agent_name(e, k))}"
    ),
    "agent.change": lambda e, b, a, k: (
        f"agent {_agent_name(e, k)} modifié depuis l'administration : {changes(_model(e), b, a, k)}"
    ),
    "agent.second_factor_reset": lambda e, b, a, k: (
        f"double authentification de {_agent_name(e, k, b.get('email'))} réinitialisée"
    ),
    # Openings and accounts
    "opening_request.accept": _opening_accept,
    "opening_request.refuse": lambda e, b, a, k: (
        f"demande d'ouverture de compte n° {e.object_id} refusée, motif : {a.get('reason', EMPTY)}"
    ),
    "account.key_regenerate": lambda e, b, a, k: (
        f"clé d'activation du {_account_name(e, k)} régénérée"
    ),
    "account.act_on_behalf_start": lambda e, b, a, k: (
        f"ouverture de l'espace de l'usager, {_account_name(e, k, a.get('account'))}, "
        f"jusqu'au {plain(a.get('expires_at'))}"
    ),
    "account.act_on_behalf_stop": _on_behalf_stop,
    "account.paperless_update": lambda e, b, a, k: (
        f"{_account_name(e, k)} : factures uniquement par email "
        f"{plain(b.get('paperless_invoices'))}{ARROW}{plain(a.get('paperless_invoices'))}"
    ),
    "account.bin_add": lambda e, b, a, k: (
        f"bac {a.get('bin', EMPTY)} livré le {plain(a.get('delivered_on'))} ajouté à "
        f"l'abonnement {a.get('subscription', EMPTY)} du {_account_name(e, k)}"
    ),
    "account.bin_replace": lambda e, b, a, k: (
        f"bac {b.get('bin', EMPTY)} de l'abonnement {a.get('subscription', EMPTY)} du "
        f"{_account_name(e, k)} remplacé le {plain(a.get('delivered_on'))} par le bac "
        f"{a.get('bin', EMPTY)}"
    ),
    "account.bin_remove": lambda e, b, a, k: (
        f"bac {b.get('bin', EMPTY)} de l'abonnement {b.get('subscription', EMPTY)} du "
        f"{_account_name(e, k)} retiré le {plain(a.get('removed_on'))}"
    ),
    "account.plan_set": lambda e, b, a, k: (
        f"forfait de l'abonnement {a.get('subscription', EMPTY)} du {_account_name(e, k)} : "
        f"{_plan_volume(b.get('plan_volume_litres'))}{ARROW}"
        f"{_plan_volume(a.get('plan_volume_litres'))}"
    ),
    "account.associate": lambda e, b, a, k: (
        f"identifiant {a.get('login', EMPTY)} associé au {_account_name(e, k)}"
    ),
    "account.dissociate": lambda e, b, a, k: (
        f"identifiant {b.get('login', EMPTY)} dissocié du {_account_name(e, k)}"
    ),
    # Requests
    "service_request.create_on_behalf": lambda e, b, a, k: (
        f"{_request(e, k, a.get('kind'))} faite au guichet pour le compte {a.get('account', EMPTY)}"
    ),
    "service_request.accept": lambda e, b, a, k: (
        _request_values(b.get("kind", ""), b.get("values") or {}, a.get("applied") or {})
        + (" (" if (a.get("applied") or {}) else "")
        + f"{_request(e, k, b.get('kind'))} acceptée"
        + (")" if (a.get("applied") or {}) else "")
        + (f", message : « {a['message']} »" if a.get("message") else "")
    ),
    "service_request.refuse": lambda e, b, a, k: (
        f"{_request(e, k, b.get('kind'))} refusée, motif : {a.get('reason', EMPTY)}"
    ),
    "service_request.complement_ask": lambda e, b, a, k: (
        f"complément demandé pour la {_request(e, k, b.get('kind'))} : « {a.get('message', '')} »"
    ),
    # Billing and payments
    "billing_settings.update": lambda e, b, a, k: (
        f"réglages de facturation : {changes(_model(e), b, a, k)}"
    ),
    "invoice_sequence.first_value_set": lambda e, b, a, k: (
        f"premier numéro de facture {a.get('year', '')} : "
        + (f"{b['first_value']}{ARROW}" if b.get("first_value") is not None else "")
        + f"{a.get('first_value', EMPTY)}"
    ),
    "billing_run.create": _billing_run,
    "billing_run.resume": lambda e, b, a, k: (
        f"facturation n° {e.object_id} relancée (elle était "
        f"{field_value(_model(e), 'status', b.get('status')).lower()})"
    ),
    "tariff.create": _tariff,
    "tariff.version_create": _tariff,
    "payment.review": _payment_review,
    "credit_note.issue": lambda e, b, a, k: (
        f"avoir {a.get('number', EMPTY)} émis sur la facture {a.get('invoice', EMPTY)} : "
        f"{field_value(apps.get_model('billing.CreditNote'), 'kind', a.get('kind')).lower()} de "
        f"{euros(a.get('total_cents'))}, motif "
        f"« {field_value(apps.get_model('billing.CreditNote'), 'reason', a.get('reason'))} »"
        + (", facture réglée" if a.get("settled") else "")
        + (f", à rembourser {euros(a['refund_cents'])}" if a.get("refund_cents") else "")
    ),
    "credit_note.refund_review": lambda e, b, a, k: (
        f"remboursement de l'avoir {a.get('number', EMPTY)} ({euros(a.get('refund_cents'))}) "
        "marqué vérifié"
    ),
    "payment.record": lambda e, b, a, k: (
        f"règlement de {euros(a.get('amount_cents'))} enregistré sur la facture "
        f"{a.get('invoice', EMPTY)} : "
        f"{field_value(apps.get_model('payments.Payment'), 'method', a.get('method')).lower()}"
        + (f" n° {a['reference']}" if a.get("reference") else "")
        + f" du {plain(a.get('paid_on'))}"
        + (", facture réglée" if a.get("settled") else "")
        + (
            f", reste à payer {euros(a['left_cents'])}"
            if not a.get("settled") and a.get("left_cents")
            else ""
        )
        + (f", trop-perçu de {euros(a['excess_cents'])}" if a.get("excess_cents") else "")
    ),
    "collections.import": lambda e, b, a, k: (
        f"encaissements du comptable importés ({a.get('filename', EMPTY)}) : "
        f"{plain(a.get('applied', EMPTY))} règlements enregistrés sur "
        f"{plain(a.get('lines', EMPTY))} lignes, {euros(a.get('applied_cents'))}"
    ),
    "public_accounting_settings.update": lambda e, b, a, k: (
        f"réglages de comptabilité publique : {changes(_model(e), b, a, k)}"
    ),
    "pes_file.generate": lambda e, b, a, k: (
        f"fichier PES du bordereau {a.get('bordereau', EMPTY)} ({a.get('year', '')}) généré"
        f" : {plain(a.get('pieces', EMPTY))} "
        + ("avoirs en annulation-réduction" if a.get("kind") == "annulation" else "factures")
    ),
    "pes_file.transmit": lambda e, b, a, k: (
        f"fichier PES du bordereau {a.get('bordereau', EMPTY)} transmis au comptable public"
    ),
    "pes_file.accept": lambda e, b, a, k: (
        f"fichier PES du bordereau {a.get('bordereau', EMPTY)} accepté par le comptable public"
    ),
    "pes_file.reject": lambda e, b, a, k: (
        f"fichier PES du bordereau {a.get('bordereau', EMPTY)} rejeté par le comptable public"
        f", motif : {a.get('reason', EMPTY)}"
    ),
    "debit_file.generate": lambda e, b, a, k: (
        f"fichier de prélèvements {a.get('name', EMPTY)} généré : "
        f"{plain(a.get('count', EMPTY))} prélèvements dus jusqu'au {plain(a.get('up_to'))}"
    ),
    "debit_file.replace": lambda e, b, a, k: (
        f"fichier de prélèvements {b.get('name', EMPTY)} remplacé avant sa transmission"
    ),
    "debit_file.transmit": lambda e, b, a, k: (
        f"fichier de prélèvements n° {e.object_id} transmis à la banque : "
        f"{plain(a.get('debits', EMPTY))} prélèvements"
    ),
    "debit_rejects.import": lambda e, b, a, k: (
        f"rejets de prélèvement importés ({a.get('filename', EMPTY)}) : "
        f"{plain(a.get('applied', EMPTY))} appliqués sur {plain(a.get('lines', EMPTY))} lignes"
    ),
    # Logins with the State's identities (levee/identity)
    "authority.proconnect_required": lambda e, b, a, k: (
        "connexion des agents : ProConnect exigé"
        if a.get("required")
        else "connexion des agents : ProConnect n'est plus exigé, le mot de passe suffit"
    ),
    # Calendars
    "calendar.holiday_policy": lambda e, b, a, k: (
        f"collectes des jours fériés : {field_value(_model(e), 'holiday_policy', b.get('holiday_policy'))}"
        f"{ARROW}{field_value(_model(e), 'holiday_policy', a.get('holiday_policy'))}"
    ),
    "calendar.schedule_create": lambda e, b, a, k: (
        f"{_schedule(e, a, k)} créée : {values_listed(_model(e), a, k)}"
    ),
    "calendar.schedule_update": lambda e, b, a, k: (
        f"{_schedule(e, {**b, **a}, k)} modifiée : {changes(_model(e), b, a, k)}"
    ),
    "calendar.schedule_delete": lambda e, b, a, k: (
        f"{_schedule(e, b, k)} supprimée ({values_listed(_model(e), b, k)})"
    ),
    "calendar.exception_add": lambda e, b, a, k: (
        f"exception au calendrier (règle n° {e.object_id}) : "
        f"{values_listed(apps.get_model('calendars.ScheduleException'), a, k)}"
    ),
    "calendar.exception_remove": lambda e, b, a, k: (
        f"exception au calendrier retirée (règle n° {e.object_id}) : "
        f"{values_listed(apps.get_model('calendars.ScheduleException'), b, k)}"
    ),
    "calendar.sector_create": lambda e, b, a, k: (
        f"secteur « {a.get('name', '')} » créé : {values_listed(_model(e), a, k)}"
    ),
    "calendar.sector_update": lambda e, b, a, k: (
        f"secteur n° {e.object_id} modifié : {changes(_model(e), b, a, k)}"
    ),
    "calendar.sector_delete": lambda e, b, a, k: (
        f"secteur « {b.get('name', '')} » supprimé : {values_listed(_model(e), b, k)}"
    ),
}


def entry_text(entry: AuditEntry, known: Known | None = None) -> str:
    """What the entry says was done, without who (« adresse de facturation 29 → 30 … »)."""
    known = known or entries_known([entry])
    sentence = SENTENCES.get(entry.action)
    before, after = entry.before or {}, entry.after or {}
    if sentence is None:  # a code written before its sentence: still readable
        detail = changes(_model(entry), before, after, known)
        return f"action « {entry.action} »" + (f" : {detail}" if detail else "")
    return sentence(entry, before, after, known)


def entries_known(entries: Iterable[AuditEntry]) -> Known:
    """The agents, accounts, requests and communes the entries name: four queries at most."""
    ids: dict[str, set] = {"agents.Agent": set(), ACCOUNT: set(), "requests.ServiceRequest": set()}
    insees: set = set()
    authority_ids = set()
    for entry in entries:
        authority_ids.add(entry.authority_id)
        if entry.object_type in ids and entry.object_id.isdigit():
            ids[entry.object_type].add(int(entry.object_id))
        for values in (entry.before or {}, entry.after or {}):
            if isinstance(values, dict) and isinstance(values.get("commune"), str):
                insees.add(values["commune"])
    known = Known(agents={}, accounts={}, requests={}, communes={})
    if ids["agents.Agent"]:
        Agent = apps.get_model("agents.Agent")
        known.agents = {
            str(a.pk): a
            for a in Agent.objects.filter(
                authority_id__in=authority_ids, pk__in=ids["agents.Agent"]
            ).select_related("user")
        }
    if ids[ACCOUNT]:
        Account = apps.get_model(ACCOUNT)
        known.accounts = {
            str(a.pk): a
            for a in Account.objects.filter(authority_id__in=authority_ids, pk__in=ids[ACCOUNT])
        }
    if ids["requests.ServiceRequest"]:
        ServiceRequest = apps.get_model("requests.ServiceRequest")
        known.requests = {
            str(r.pk): r
            for r in ServiceRequest.objects.filter(
                authority_id__in=authority_ids, pk__in=ids["requests.ServiceRequest"]
            ).select_related("account")
        }
    if insees:
        Commune = apps.get_model("authorities.Commune")
        known.communes = dict(Commune.objects.filter(insee__in=insees).values_list("insee", "name"))
    return known


def entries_describe(entries: Iterable[AuditEntry]) -> list[Line]:
    """The entries (actor selected) as the Journal's lines, in their order."""
    entries = list(entries)
    known = entries_known(entries)
    lines = []
    for entry in entries:
        account = None
        if entry.object_type == ACCOUNT:
            account = known.accounts.get(entry.object_id)
        elif entry.object_type == "requests.ServiceRequest":
            found = known.requests.get(entry.object_id)
            account = found.account if found is not None else None
        lines.append(
            Line(
                entry=entry,
                at=paris(entry.created_at),
                actor=actor_name(entry),
                text=entry_text(entry, known),
                account=account,
            )
        )
    return lines
