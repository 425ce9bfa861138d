"""« Je choisis le prélèvement automatique » and « J'arrête le prélèvement automatique »
(« Paiement » in « Mes services »).

The first asks for a SEPA mandate: the schedule (monthly, or at each invoice's due date),
the account holder, the IBAN (checked with schwifty: checksum, length, country, the French
RIB key; SEPA countries only), the BIC (optional when schwifty derives it from the IBAN,
else checked against the IBAN's bank), the signature date and the authorisation of the
mandate text. On acceptance the mandate gets its RUM under the authority's ICS
(`levee.payments.mandates.mandate_create`), which an authority without ICS refuses.

The second revokes the active mandate: its planned debits are cancelled and the invoices
it was to pay are payable again.

The IBAN is kept whole in the request (the mandate needs it) but shown masked everywhere:
`display()` masks it, `current()` and the audit log hold the masked form only."""

import datetime

from django import forms
from django.utils import timezone
from schwifty import BIC, IBAN, registry
from schwifty.exceptions import (
    InvalidBBANChecksum,
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from levee.lib.text import iban_mask, plural_fr
from levee.payments.mandates import (
    DEBIT_DAY,
    MandateRefused,
    creditor_identifier_of,
    invoices_to_debit,
    mandate_create,
    mandate_revoke,
)
from levee.payments.models import DebitSchedule, DebitStatus, Mandate, MandateStatus
from levee.payments.selectors_mandates import mandate_active_of

from ..forms import RequestForm, collapse
from .base import Applied, ApplyRefused, Group, RequestType
from .common import date_field, date_fr

IBAN_INVALID = "Cet IBAN n'est pas valide : vérifiez-le sur votre RIB."
BIC_INVALID = (
    "Ce BIC n'est pas valide : il compte 8 ou 11 lettres et chiffres, par exemple AGRIFRPP "
    "ou AGRIFRPPXXX."
)
CONSENT_REQUIRED = (
    "Cochez la case pour autoriser le prélèvement : sans votre autorisation, le mandat ne "
    "peut pas être établi."
)


def iban_clean(value: str) -> str:
    """A typed IBAN → its compact form (« FR7630006000011234567890189 »), or a French
    ValidationError saying what is wrong with it."""
    raw = "".join((value or "").split()).upper()
    if len(raw) < 2 or not raw[:2].isalpha():
        raise forms.ValidationError(
            "Un IBAN commence par le code de son pays, par exemple FR76 pour la France.",
            code="invalid",
        )
    try:
        iban = IBAN(raw, validate_bban=True)
    except InvalidCountryCode:
        raise forms.ValidationError(
            f"Le code pays « {raw[:2]} » de cet IBAN n'existe pas : un IBAN commence par le code "
            "de son pays, par exemple FR76 pour la France.",
            code="country",
        )
    except InvalidLength:
        length = registry.get_iban_spec(raw[:2]).iban_length
        raise forms.ValidationError(
            f"Cet IBAN compte {len(raw)} caractères au lieu de {length} pour son pays : "
            "vérifiez-le sur votre RIB.",
            code="length",
        )
    except InvalidChecksumDigits:
        raise forms.ValidationError(
            "Cet IBAN n'est pas valide : sa clé de contrôle (les 2 chiffres après le code pays) "
            "ne correspond pas au reste. Vérifiez-le sur votre RIB.",
            code="checksum",
        )
    except InvalidBBANChecksum:
        raise forms.ValidationError(
            "Cet IBAN n'est pas valide : la clé RIB (ses 2 derniers chiffres) ne correspond pas "
            "au numéro de compte. Vérifiez-le sur votre RIB.",
            code="checksum",
        )
    except SchwiftyException:
        raise forms.ValidationError(IBAN_INVALID, code="invalid")
    if not iban.in_sepa_zone:
        raise forms.ValidationError(
            "Le prélèvement SEPA n'est possible que depuis un compte d'un pays de la zone SEPA "
            "(Union européenne, Islande, Liechtenstein, Norvège, Suisse, Royaume-Uni, Monaco…).",
            code="not_sepa",
        )
    return str(iban.compact)


def bic_of(iban: str) -> str:
    """The BIC schwifty knows for the IBAN's bank, "" when it does not know it."""
    bic = IBAN(iban).bic
    return str(bic.compact) if bic is not None else ""


def bic_matches(bic: str, iban: str) -> bool:
    """The BIC is one of the IBAN's bank (same institution and country); True when schwifty
    does not know the IBAN's bank."""
    parsed = IBAN(iban)
    try:
        candidates = BIC.candidates_from_bank_code(parsed.country_code, parsed.bank_code)
    except SchwiftyException:
        return True
    return not candidates or bic[:6] in {str(c)[:6] for c in candidates}


def creditor_name(authority) -> str:
    return authority.name


class DirectDebitForm(RequestForm):
    compare_with_current = False

    schedule = forms.ChoiceField(
        label="Échéancier",
        choices=DebitSchedule.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez votre échéancier de prélèvement.",
            "invalid_choice": "Choisissez un des deux échéanciers proposés.",
        },
    )
    holder_name = forms.CharField(
        label="Titulaire du compte",
        max_length=200,
        help_text="Le nom du titulaire tel qu'il figure sur votre RIB.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Indiquez le titulaire du compte."},
    )
    iban = forms.CharField(
        label="IBAN",
        max_length=50,
        help_text="Tel qu'il figure sur votre RIB, par exemple FR76 3000 6000 0112 3456 7890 189.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Indiquez l'IBAN du compte à débiter."},
    )
    bic = forms.CharField(
        label="BIC",
        max_length=15,
        required=False,
        help_text="8 ou 11 caractères, sur votre RIB ; facultatif quand il se déduit de l'IBAN.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    signed_on = date_field(
        "Date de signature",
        required_message="Indiquez la date de signature.",
        help_text="Le jour où vous signez ce mandat : aujourd'hui, en général.",
    )
    consent = forms.BooleanField(
        label="",  # set from the authority's name
        error_messages={"required": CONSENT_REQUIRED},
    )

    def __init__(self, *args, authority, active: Mandate | None, holder: str, **kwargs):
        self.authority = authority
        self.active = active
        self.holder = holder
        self.creditor_name = creditor_name(authority)
        self.creditor_identifier = creditor_identifier_of(authority)
        self.debit_day = DEBIT_DAY
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = (
            f"J'autorise {self.creditor_name} à envoyer des instructions à ma banque pour "
            "débiter mon compte, et ma banque à débiter mon compte conformément à ses "
            "instructions."
        )

    def initial_from(self, current: dict) -> dict:
        return {
            "schedule": current.get("schedule") or "",
            "holder_name": current.get("holder_name") or self.holder,
            "signed_on": timezone.localdate(),
        }

    def clean_holder_name(self):
        holder = collapse(self.cleaned_data["holder_name"])
        if not holder:
            raise forms.ValidationError("Indiquez le titulaire du compte.", code="required")
        return holder

    def clean_iban(self):
        return iban_clean(self.cleaned_data["iban"])

    def clean_bic(self):
        raw = "".join(self.cleaned_data.get("bic", "").split()).upper()
        if not raw:
            return ""
        try:
            return str(BIC(raw).compact)
        except SchwiftyException:
            raise forms.ValidationError(BIC_INVALID, code="invalid")

    def clean_signed_on(self):
        signed_on = self.cleaned_data["signed_on"]
        if signed_on > timezone.localdate():
            raise forms.ValidationError(
                "La date de signature ne peut pas être dans le futur : indiquez le jour où "
                "vous signez, aujourd'hui en général.",
                code="future",
            )
        return signed_on

    def clean(self):
        cleaned = super().clean()
        iban, bic = cleaned.get("iban"), cleaned.get("bic")
        if iban and "bic" not in self.errors:
            known = bic_of(iban)
            if not bic and not known:
                self.add_error(
                    "bic", "Indiquez le BIC de votre banque : il ne se déduit pas de cet IBAN."
                )
            elif not bic:
                cleaned["bic"] = known
            elif not bic_matches(bic, iban):
                bank = IBAN(iban).bank_name or "sa banque"
                self.add_error(
                    "bic",
                    f"Ce BIC ne correspond pas à la banque de l'IBAN ({bank}, BIC {known}) : "
                    "corrigez l'un ou l'autre, ou laissez le BIC vide.",
                )
        active = self.active
        if (
            active is not None
            and not self.errors
            and (iban, cleaned.get("schedule"), cleaned.get("holder_name"))
            == (active.iban, active.schedule, active.holder_name)
        ):
            raise forms.ValidationError(
                "Le prélèvement automatique est déjà en place avec ce compte, ce titulaire et "
                "cet échéancier : vous n'avez rien modifié.",
                code="unchanged",
            )
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "schedule": data["schedule"],
            "holder_name": data["holder_name"],
            "iban": data["iban"],
            "bic": data["bic"],
            "signed_on": data["signed_on"].isoformat(),
        }


def _mandate_values(mandate: Mandate | None) -> dict:
    if mandate is None:
        return dict.fromkeys(("schedule", "holder_name", "iban", "bic", "signed_on"), "")
    return {
        "schedule": mandate.schedule,
        "holder_name": mandate.holder_name,
        "iban": mandate.iban_masked,
        "bic": mandate.bic,
        "signed_on": mandate.signed_on.isoformat(),
    }


class DirectDebit(RequestType):
    key = "direct_debit"
    slug = "je-choisis-le-prelevement-automatique"
    title = "Je choisis le prélèvement automatique"
    heading = "Je choisis le prélèvement automatique"
    intro = (
        "Mes factures sont prélevées sur mon compte bancaire, chaque mois ou à leur échéance : "
        "je remplis et j'autorise le mandat de prélèvement SEPA."
    )
    tracking_label = "Prélèvement automatique"
    group = Group.PAYMENT
    template = "requests/kinds/direct_debit.html"
    form_class = DirectDebitForm
    labels = {
        "schedule": "Échéancier",
        "holder_name": "Titulaire du compte",
        "iban": "IBAN",
        "bic": "BIC",
        "signed_on": "Date de signature",
    }
    accept_help = (
        "Le mandat SEPA est créé avec sa référence unique (RUM) sous l'identifiant créancier "
        "(ICS) de la collectivité ; les abonnements passent en prélèvement et les factures à "
        "régler non échues sont prélevées selon l'échéancier choisi. L'usager est informé par "
        "email."
    )

    def form(self, *, data=None, files=None, account, user, subject=None):
        active = mandate_active_of(account)
        return self.form_class(
            data,
            files,
            current=_mandate_values(active),
            authority=account.authority,
            active=active,
            holder=account.holder_name,
        )

    def current(self, *, account, user, subject=None) -> dict:
        return _mandate_values(mandate_active_of(account) if account is not None else None)

    def display(self, key: str, value) -> str:
        if not value:
            return ""
        if key == "schedule":
            return DebitSchedule(value).label if value in DebitSchedule.values else str(value)
        if key == "iban":
            return iban_mask(value)
        if key == "signed_on":
            return date_fr(value)
        return str(value)

    def consequences(self, service_request, *, account) -> list[str]:
        ics = creditor_identifier_of(service_request.authority)
        if not ics:
            return [
                "L'identifiant créancier SEPA (ICS) de la collectivité n'est pas renseigné dans "
                "ses réglages de paiement : la demande ne pourra pas être acceptée tant qu'il ne "
                "l'est pas."
            ]
        sentences = [f"Le mandat sera émis sous l'identifiant créancier SEPA {ics}."]
        active = mandate_active_of(account)
        if active is not None:
            sentences.append(
                f"Le mandat actif {active.rum} sera révoqué ; ses prélèvements prévus passent "
                "au nouveau mandat."
            )
        count = invoices_to_debit(account, today=timezone.localdate()).count()
        if count:
            facture = plural_fr(count, "facture à régler non échue", "factures à régler non échues")
            sentences.append(f"{facture} {'sera prélevée' if count < 2 else 'seront prélevées'}.")
        return sentences

    def accepted_sentence(self, service_request) -> str:
        rum = service_request.outcome.get("rum", "")
        return (
            f"votre mandat de prélèvement {rum} est enregistré ; retrouvez votre échéancier de "
            "prélèvement dans « Mes informations »"
        )

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        requested = service_request.requested
        try:
            created = mandate_create(
                account=account,
                schedule=requested["schedule"],
                holder_name=requested["holder_name"],
                iban=requested["iban"],
                bic=requested["bic"],
                signed_on=datetime.date.fromisoformat(requested["signed_on"]),
                service_request=service_request,
            )
        except MandateRefused as refused:
            raise ApplyRefused(str(refused))
        mandate = created.mandate
        after = {
            "rum": mandate.rum,
            "creditor_identifier": mandate.creditor_identifier,
            "schedule": mandate.schedule,
            "iban": mandate.iban_masked,
            "bic": mandate.bic,
            "signed_on": requested["signed_on"],
            "invoices_debited": created.invoices_debited,
        }
        note = f"Mandat {mandate.rum} enregistré ({mandate.get_schedule_display()}, IBAN {mandate.iban_masked})"
        if created.replaced is not None:
            after["revoked"] = created.replaced.rum
            note += f", en remplacement du mandat {created.replaced.rum}"
        note += f" ; {plural_fr(created.invoices_debited, 'facture prélevée')}."
        return Applied(after=after, note=note, outcome={"rum": mandate.rum})


class DirectDebitStopForm(RequestForm):
    compare_with_current = False

    confirm = forms.BooleanField(
        label="Je demande l'arrêt du prélèvement automatique de mes factures.",
        error_messages={"required": "Cochez la case pour confirmer l'arrêt du prélèvement."},
    )

    def __init__(self, *args, active: Mandate | None, **kwargs):
        self.active = active
        super().__init__(*args, **kwargs)

    def initial_from(self, current: dict) -> dict:
        return {}

    def clean(self):
        cleaned = super().clean()
        if self.active is None:
            raise forms.ValidationError(
                "Vous n'avez pas de prélèvement automatique en cours : il n'y a rien à arrêter.",
                code="no_mandate",
            )
        return cleaned

    def values(self) -> dict:
        return {"direct_debit": "stopped", "rum": self.active.rum}


def _mandate_line(mandate: Mandate | None) -> str:
    if mandate is None:
        return ""
    return f"Mandat {mandate.rum} — {mandate.get_schedule_display()} — IBAN {mandate.iban_masked}"


class DirectDebitStop(RequestType):
    key = "direct_debit_stop"
    slug = "j-arrete-le-prelevement-automatique"
    title = "J'arrête le prélèvement automatique"
    heading = "J'arrête le prélèvement automatique"
    intro = (
        "Je demande l'arrêt du prélèvement de mes factures : les prélèvements prévus sont "
        "annulés et ces factures sont de nouveau à régler, en ligne depuis « Mes factures »."
    )
    tracking_label = "Arrêt du prélèvement automatique"
    group = Group.PAYMENT
    template = "requests/kinds/direct_debit_stop.html"
    form_class = DirectDebitStopForm
    labels = {"direct_debit": "Prélèvement automatique"}
    accept_help = (
        "Le mandat est révoqué, ses prélèvements prévus sont annulés et les factures qu'ils "
        "devaient régler redeviennent à régler ; l'usager est informé par email."
    )

    def form(self, *, data=None, files=None, account, user, subject=None):
        active = mandate_active_of(account)
        return self.form_class(
            data, files, current={"direct_debit": _mandate_line(active)}, active=active
        )

    def current(self, *, account, user, subject=None) -> dict:
        active = mandate_active_of(account) if account is not None else None
        return {"direct_debit": _mandate_line(active)}

    def display(self, key: str, value) -> str:
        if key == "direct_debit" and value == "stopped":
            return "Arrêté"
        return "" if value is None else str(value)

    def consequences(self, service_request, *, account) -> list[str]:
        active = mandate_active_of(account)
        if active is None:
            return [
                "Ce compte n'a plus de prélèvement automatique en cours : la demande ne pourra "
                "pas être acceptée, refusez-la."
            ]
        planned = active.debits.filter(status=DebitStatus.PLANNED).count()
        return [
            f"Le mandat {active.rum} sera révoqué : "
            f"{plural_fr(planned, 'prélèvement prévu')} {'annulé' if planned < 2 else 'annulés'}."
        ]

    def accepted_sentence(self, service_request) -> str:
        return (
            "le prélèvement automatique est arrêté : vos factures à régler le sont de nouveau, "
            "en ligne depuis « Mes factures »"
        )

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        active = (
            Mandate.objects.select_for_update()
            .filter(authority_id=account.authority_id, account=account, status=MandateStatus.ACTIVE)
            .first()
        )
        if active is None:
            raise ApplyRefused(
                "Ce compte n'a plus de prélèvement automatique en cours : refusez la demande."
            )
        revoked = mandate_revoke(mandate=active)
        return Applied(
            after={
                "rum": active.rum,
                "debits_cancelled": revoked.debits_cancelled,
                "invoices_payable": revoked.invoices_payable,
            },
            note=(
                f"Mandat {active.rum} révoqué ; "
                f"{plural_fr(revoked.debits_cancelled, 'prélèvement prévu annulé')}, "
                f"{plural_fr(revoked.invoices_payable, 'facture')} de nouveau à régler."
            ),
        )
