"""« Contester une levée »: from a lift of « Mes bacs/levées », a reason and a message; the
agent answers in the thread.

Accepting may cancel the lift, when the agent ticks it: the lift is deleted (the audit log
keeps its values). A lift has no status to mark it cancelled, and every reading of lifts
(counts, charts, averages, and the invoices to come) would have to learn to skip one;
deleted, it no longer counts anywhere. Its bin and time are kept (`CancelledLift`, by
`lift_cancel`): importing the same truck file again does not bring it back. The agent may
also accept without cancelling (a weight contested, answered in his message), or refuse."""

import datetime

from django import forms

from levee.billing.selectors import invoices_of_lift
from levee.collection.models import Lift
from levee.collection.services import lift_cancel

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
        """An invoice already counted the lift: cancelling it does not change that invoice
        (the correction, a credit note, is another step)."""
        lift = None
        if account is not None:
            lift = self.subject_load(account=account, key=service_request.subject or "")
        if lift is None:
            return []
        return [
            f"Cette levée figure déjà sur la facture n° {invoice.number} du "
            f"{invoice.issued_on:%d/%m/%Y} : l'annuler ne modifie pas cette facture ; un avoir "
            f"sera nécessaire."
            for invoice in invoices_of_lift(lift)
        ]

    def accepted_notice(self, service_request) -> str:
        billed = service_request.outcome.get("billed_invoices", [])
        return " ".join(
            f"La levée annulée figure sur la facture n° {invoice['number']} du "
            f"{datetime.date.fromisoformat(invoice['issued_on']):%d/%m/%Y} : cette facture n'est "
            f"pas modifiée ; un avoir sera nécessaire."
            for invoice in billed
        )

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
        # the credit note to come).
        billed = [
            {"number": invoice.number, "issued_on": invoice.issued_on.isoformat()}
            for invoice in invoices_of_lift(lift)
        ]
        lift_cancel(lift=lift, cancelled_by=agent_user)
        return Applied(
            after={
                "lift_deleted": values,
                "cancelled": True,
                **({"billed_invoices": billed} if billed else {}),
            },
            note=f"Levée du {label} annulée.",
            outcome={"lift_cancelled": True, **({"billed_invoices": billed} if billed else {})},
        )
