"""« Je résilie mon abonnement » (flow 10): the date, the reason and a proof. On acceptance
the running subscription ends at that date, and its bins in service are taken out that day
as for a move (an ended subscription keeps no bin in service)."""

from django import forms
from django.utils import timezone

from ..forms import MESSAGE_MAX_LENGTH, proof_field, text_clean
from .base import Applied, Group
from .common import PROOF_HELP, date_field, date_fr
from .ending import EndingForm, EndingType, bins_removed, ends_sentence

REASONS = [
    ("deces", "Décès du titulaire"),
    ("logement_vide", "Logement vendu, vide ou démoli"),
    ("regroupement", "Regroupement avec un autre foyer déjà abonné"),
    ("collectif", "Passage à un bac collectif (immeuble, résidence)"),
    ("autre", "Autre motif (précisez-le)"),
]


class TerminationForm(EndingForm):
    ended_on = date_field(
        "Date de résiliation",
        required_message="Indiquez la date de résiliation.",
        help_text="Le dernier jour de votre abonnement.",
    )
    reason = forms.ChoiceField(
        label="Motif de la résiliation",
        choices=[("", "-- Sélectionner --"), *REASONS],
        error_messages={"required": "Choisissez le motif de la résiliation."},
    )
    details = forms.CharField(
        label="Précisions",
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Obligatoires pour « Autre motif ».",
    )
    proof = proof_field(
        "Justificatif",
        required_message="Joignez votre justificatif.",
        help_text="Acte de décès, attestation de vente, attestation du syndic… : " + PROOF_HELP,
    )

    def clean_details(self):
        return text_clean(self.cleaned_data.get("details", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == "autre" and not cleaned.get("details"):
            self.add_error("details", "Précisez le motif de la résiliation.")
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "ended_on": data["ended_on"].isoformat(),
            "reason": data["reason"],
            "details": data["details"],
        }


class Termination(EndingType):
    key = "termination"
    slug = "je-resilie-mon-abonnement"
    title = "Je résilie mon abonnement"
    heading = "Je résilie mon abonnement"
    intro = "Je demande la fin de mon abonnement : j'indique sa date, son motif et un justificatif."
    tracking_label = "Résiliation de mon abonnement"
    group = Group.ACCOUNT
    template = "requests/kinds/termination.html"
    form_class = TerminationForm
    accept_help = (
        "L'abonnement prend fin à la date demandée et ses bacs sont retirés ; l'usager est "
        "informé par email."
    )

    def form(self, *, data=None, files=None, account, user, subject=None):
        return self.form_class(data, files, current=self.current(account=account, user=user))

    def details(self, service_request) -> list[tuple[str, str]]:
        requested = service_request.requested
        rows = [("Motif", dict(REASONS).get(requested.get("reason"), ""))]
        if requested.get("details"):
            rows.append(("Précisions", requested["details"]))
        return rows

    def consequences(self, service_request, *, account) -> list[str]:
        return self._end_consequences(service_request, account)

    def accepted_sentence(self, service_request) -> str:
        return f"votre abonnement prend fin le {date_fr(service_request.requested['ended_on'])}"

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        subscription, on, bins = self._end(service_request, account)
        later = on >= timezone.localdate()
        return Applied(
            after={
                "subscription": subscription.reference,
                "ended_on": on.isoformat(),
                "bins_removed": bins,
            },
            note=f"{ends_sentence(subscription.reference, on, ended='résilié au')}"
            f"{bins_removed(bins, later=later)}.",
        )
