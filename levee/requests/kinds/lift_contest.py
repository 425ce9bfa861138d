"""« Contester une levée »: from a lift of « Mes bacs/levées », a reason and a message; the
agent answers in the thread.

Accepting may cancel the lift, when the agent ticks it: the lift is deleted (the audit log
keeps its values). A lift already billed: « Émettre un avoir pour cette levée » (ticked by
default) reduces each invoice that counted it by what the lift cost it
(`billing.services_credit_notes.credit_note_for_lift`): the price of an extra lift, and its
weight when the invoice charges it; a lift within the plan's included ones cost nothing and
gets no avoir. A lift has no status to mark it cancelled, and every reading of lifts
(counts, charts, averages, and the invoices to come) would have to learn to skip one;
deleted, it no longer counts anywhere. Its bin and time are kept (`CancelledLift`, by
`lift_cancel`): importing the same truck file again does not bring it back. The agent may
also accept without cancelling (a weight contested, answered in his message), or refuse."""

import datetime

from django import forms

from levee.billing.pricing import vat_of
from levee.billing.selectors import invoices_of_lift
from levee.billing.selectors_credit_notes import lift_credit_ht_cents
from levee.billing.services_credit_notes import CreditNoteRefused, credit_note_for_lift
from levee.collection.models import Lift
from levee.collection.services import lift_cancel
from levee.lib.templatetags.levee_format import euros

from ..forms import MESSAGE_MAX_LENGTH, AcceptForm, RequestForm, text_clean
from .base import Applied, ApplyRefused, Group, RequestType
from .bin_intervention import bin_label
from .common import datetime_fr

REASONS = [
    ("non_sorti", "Mon bac n'était pas sorti ce jour-là"),
    ("pas_mon_bac", "Ce bac n'est pas (ou plus) le mien"),
    ("doublon", "La levée est comptée deux fois"),
    ("poids", "Le poids est anormal"),
    ("autre", "Autre motif"),
]


def lift_label(lift: Lift) -> str:
    weight = f"{lift.net_weight_kg.normalize():f}".replace(".", ",")
    return f"{datetime_fr(lift.lifted_at)} — {bin_label(lift.bin)} — {weight} kg"


class LiftContestForm(RequestForm):
    compare_with_current = False

    reason = forms.ChoiceField(
        label="Motif de la contestation",
        choices=[("", "-- Sélectionner --"), *REASONS],
        error_messages={"required": "Choisissez le motif de la contestation."},
    )
    message = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Expliquez pourquoi vous contestez cette levée."},
    )

    def initial_from(self, current: dict) -> dict:
        return {}

    def clean_message(self):
        return text_clean(
            self.cleaned_data["message"],
            required_message="Expliquez pourquoi vous contestez cette levée.",
        )

    def values(self) -> dict:
        return {
            "lift_id": self.current["lift_id"],
            "lift": self.current["lift"],
            "reason": self.cleaned_data["reason"],
            "message": self.cleaned_data["message"],
        }


class ContestAcceptForm(AcceptForm):
    cancel_lift = forms.BooleanField(
        label="Annuler cette levée : elle est supprimée et ne compte plus",
        required=False,
    )
    credit_note = forms.BooleanField(
        label="Émettre un avoir pour cette levée",
        required=False,
        initial=True,
    )

    def __init__(self, data=None, *, service_request):
        super().__init__(data, service_request=service_request)
        lift = _contested_lift(service_request)
        billed = invoices_of_lift(lift) if lift is not None else []
        credited = [
            invoice
            for invoice in billed
            if lift_credit_ht_cents(invoice, weight_grams=lift.net_weight_grams) > 0
        ]
        if not credited:  # nothing billed, or within the plan: no avoir to offer
            del self.fields["credit_note"]
            return
        self.fields["credit_note"].help_text = (
            "Avec « Annuler cette levée » : "
            + " ; ".join(
                _credit_preview(invoice, weight_grams=lift.net_weight_grams) for invoice in billed
            )
            + "."
        )

    def clean(self):
        data = super().clean()
        if data.get("credit_note") and not data.get("cancel_lift"):
            self.add_error(
                "credit_note",
                "Cochez aussi « Annuler cette levée » : l'avoir reprend le prix d'une levée "
                "annulée.",
            )
        return data


def _contested_lift(service_request) -> Lift | None:
    account = service_request.account
    if account is None or not (service_request.subject or "").isdigit():
        return None
    return LiftContest().subject_load(account=account, key=service_request.subject)


def _credit_preview(invoice, *, weight_grams: int) -> str:
    ht = lift_credit_ht_cents(invoice, weight_grams=weight_grams)
    if ht <= 0:
        return (
            f"la levée est comprise dans le forfait de la facture n° {invoice.number} : aucun "
            "avoir n'est émis"
        )
    return (
        f"un avoir réduit la facture n° {invoice.number} de "
        f"{euros(ht + vat_of(ht, invoice.vat_rate_bp))}, le prix de la levée"
    )


def _billed_notice(invoice: dict) -> str:
    said = (
        f"La levée annulée figure sur la facture n° {invoice['number']} du "
        f"{datetime.date.fromisoformat(invoice['issued_on']):%d/%m/%Y} : "
    )
    if invoice.get("credit_note"):
        return (
            said + f"l'avoir n° {invoice['credit_note']} la réduit de "
            f"{euros(invoice.get('credit_cents', 0))}."
        )
    if invoice.get("within_plan"):
        return said + "la levée était comprise dans le forfait, aucun avoir n'est nécessaire."
    return said + "cette facture n'est pas modifiée ; un avoir sera nécessaire."


class LiftContest(RequestType):
    key = "lift_contest"
    slug = "contester-une-levee"
    title = "Contester une levée"
    heading = "Contester une levée"
    intro = "Je conteste une levée de mon bac : j'explique pourquoi à ma collectivité."
    tracking_label = "Contestation d'une levée"
    group = Group.OTHER
    listed = False  # asked from a lift of « Mes bacs/levées »
    subject_param = "levee"
    back_to = "collection:production"
    template = "requests/kinds/lift_contest.html"
    form_class = LiftContestForm
    labels = {"lift": "Levée contestée"}
    changes_values = False
    accept_form_class = ContestAcceptForm
    accept_help = (
        "Cochez « Annuler cette levée » pour la supprimer (ses valeurs restent dans le journal "
        "d'audit, et un nouvel import du même fichier ne la fait pas revenir) ; sinon la "
        "contestation est acceptée sans changer la levée. L'usager reçoit votre message par "
        "email."
    )

    def subject_load(self, *, account, key: str):
        if not key.isdigit() or len(key) > 18:
            return None
        return (
            Lift.objects.filter(
                authority_id=account.authority_id, bin__account=account, pk=int(key)
            )
            .select_related("bin")
            .first()
        )

    def subject_key(self, requested: dict) -> str:
        return str(requested["lift_id"])

    def current(self, *, account, user, subject=None) -> dict:
        if subject is None:
            return {"lift_id": None, "lift": ""}
        return {"lift_id": subject.pk, "lift": lift_label(subject)}

    def form(self, *, data=None, files=None, account, user, subject=None):
        return self.form_class(
            data, files, current=self.current(account=account, user=user, subject=subject)
        )

    def details(self, service_request) -> list[tuple[str, str]]:
        requested = service_request.requested
        return [
            ("Levée contestée", requested.get("lift", "")),
            ("Motif", dict(REASONS).get(requested.get("reason"), "")),
            ("Message", requested.get("message", "")),
        ]

    def consequences(self, service_request, *, account) -> list[str]:
        """An invoice already counted the lift: cancelling it does not change that invoice;
        its avoir does (« Émettre un avoir pour cette levée »)."""
        lift = None
        if account is not None:
            lift = self.subject_load(account=account, key=service_request.subject or "")
        if lift is None:
            return []
        said = []
        for invoice in invoices_of_lift(lift):
            start = (
                f"Cette levée figure déjà sur la facture n° {invoice.number} du "
                f"{invoice.issued_on:%d/%m/%Y} : "
            )
            if lift_credit_ht_cents(invoice, weight_grams=lift.net_weight_grams) <= 0:
                said.append(
                    start + "elle était comprise dans le forfait, l'annuler ne change rien à "
                    "cette facture et aucun avoir n'est nécessaire."
                )
            else:
                said.append(
                    start + "l'annuler ne modifie pas cette facture ; un avoir sera nécessaire."
                )
        return said

    def accepted_notice(self, service_request) -> str:
        billed = service_request.outcome.get("billed_invoices", [])
        return " ".join(_billed_notice(invoice) for invoice in billed)

    def accepted_sentence(self, service_request) -> str:
        if service_request.outcome.get("lift_cancelled"):
            return "la levée est annulée : elle ne compte plus"
        return ""

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        requested = service_request.requested
        if not decision.get("cancel_lift"):
            return Applied(after={"lift": requested["lift"], "cancelled": False})
        lift = self.subject_load(account=account, key=str(requested["lift_id"]))
        if lift is None:
            raise ApplyRefused(
                "Cette levée n'existe plus : décochez « Annuler cette levée » pour accepter."
            )
        values = {
            "id": lift.pk,
            "bin": bin_label(lift.bin),
            "bin_id": lift.bin_id,
            "lifted_at": lift.lifted_at.isoformat(),
            "net_weight_grams": lift.net_weight_grams,
            "vehicle": lift.vehicle,
            "import_batch_id": lift.import_batch_id,
        }
        label = lift_label(lift)
        # Read before the lift goes: which invoices counted it (kept for the agent, and for
        # their avoirs).
        invoices = invoices_of_lift(lift)
        billed = [
            {"number": invoice.number, "issued_on": invoice.issued_on.isoformat()}
            for invoice in invoices
        ]
        lift_cancel(lift=lift, cancelled_by=agent_user)
        outcome_billed = [dict(entry) for entry in billed]
        numbers = []
        for invoice, entry in zip(invoices, outcome_billed, strict=True):
            if lift_credit_ht_cents(invoice, weight_grams=values["net_weight_grams"]) <= 0:
                entry["within_plan"] = True  # nothing to credit, whatever the agent ticked
        if decision.get("credit_note"):
            for invoice, entry in zip(invoices, outcome_billed, strict=True):
                try:
                    note = credit_note_for_lift(
                        invoice=invoice,
                        weight_grams=values["net_weight_grams"],
                        service_request=service_request,
                        by=agent_user,
                    )
                except CreditNoteRefused as refused:
                    raise ApplyRefused(refused.message) from None
                if note is None:
                    entry["within_plan"] = True
                else:
                    entry["credit_note"] = note.number
                    entry["credit_cents"] = note.total_cents
                    numbers.append(note.number)
        return Applied(
            after={
                "lift_deleted": values,
                "cancelled": True,
                **({"billed_invoices": billed} if billed else {}),
                **({"credit_notes": numbers} if numbers else {}),
            },
            note=f"Levée du {label} annulée.",
            outcome={
                "lift_cancelled": True,
                **({"billed_invoices": outcome_billed} if billed else {}),
            },
        )
