"""« Demande d'intervention sur mon bac » (flow 10): which bin, what is wanted, a
description and an optional photo.

Acceptance records the decision (the agent's message joins the thread) and changes no bin,
not even for « Changement de volume »: the new volume is another bin, with its own chip,
that the authority's service delivers later; the bin's volume decides what is billed and
which households it is compared with, so it changes when the new bin is delivered (the
subscriber import records it), not on the day an agent says yes."""

from django import forms

from levee.collection.models import Bin
from levee.collection.selectors import bins_for_account

from ..forms import MESSAGE_MAX_LENGTH, RequestForm, proof_check, proof_field, text_clean
from .base import Applied, Group, RequestType
from .common import date_fr

INTERVENTIONS = [
    ("reparation", "Réparation (couvercle, roues, poignée…)"),
    ("remplacement", "Remplacement d'un bac cassé ou brûlé"),
    ("volume", "Changement de volume"),
    ("vol", "Vol ou perte"),
    ("autre", "Autre intervention"),
]
VOLUMES = [80, 120, 140, 180, 240, 340, 360, 660, 770, 1100]


def bin_label(bin: Bin) -> str:
    """« Ordures ménagères 140 L — puce 250000001 » (« , retiré le … » once taken out)."""
    number = f"puce {bin.chip_number}" if bin.chip_number else f"cuve {bin.tank_number}"
    label = f"{bin.get_flux_display()} {bin.volume_litres} L — {number}"
    if bin.removed_on:
        label += f" (retiré le {date_fr(bin.removed_on)})"
    return label


class BinInterventionForm(RequestForm):
    compare_with_current = False
    photo_content_type = ""

    bin = forms.TypedChoiceField(
        label="Bac concerné",
        coerce=int,
        error_messages={
            "required": "Choisissez le bac concerné.",
            "invalid_choice": "Choisissez un de vos bacs dans la liste.",
        },
    )
    intervention = forms.ChoiceField(
        label="Intervention demandée",
        choices=[("", "-- Sélectionner --"), *INTERVENTIONS],
        error_messages={"required": "Choisissez l'intervention demandée."},
    )
    new_volume = forms.TypedChoiceField(
        label="Nouveau volume",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "-- Sélectionner --"), *[(v, f"{v} litres") for v in VOLUMES]],
        help_text="Seulement pour un changement de volume.",
    )
    description = forms.CharField(
        label="Description",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Décrivez ce qui se passe."},
    )
    photo = proof_field(
        "Photo (facultative)",
        help_text="JPEG ou PNG, 5 Mo au plus.",
        images_only=True,
    )

    def __init__(self, *args, bins, **kwargs):
        self.bins = {b.pk: b for b in bins}
        super().__init__(*args, **kwargs)
        self.fields["bin"].choices = [
            ("", "-- Sélectionner --"),
            *[(b.pk, bin_label(b)) for b in bins],
        ]

    def initial_from(self, current: dict) -> dict:
        return {}

    def clean_description(self):
        return text_clean(
            self.cleaned_data["description"], required_message="Décrivez ce qui se passe."
        )

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload:
            self.photo_content_type = proof_check(upload, images_only=True)
        return upload

    def clean(self):
        cleaned = super().clean()
        bin = self.bins.get(cleaned.get("bin"))
        volume = cleaned.get("new_volume")
        if cleaned.get("intervention") == "volume":
            if volume is None:
                self.add_error("new_volume", "Choisissez le nouveau volume.")
            elif bin is not None and volume == bin.volume_litres:
                self.add_error(
                    "new_volume",
                    f"Votre bac a déjà ce volume ({volume} litres) : choisissez-en un autre.",
                )
        elif volume is not None:
            self.add_error(
                "new_volume",
                "Le nouveau volume ne se choisit que pour un « Changement de volume ».",
            )
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        bin = self.bins[data["bin"]]
        volume = data["new_volume"] or bin.volume_litres
        return {
            "bin_id": bin.pk,
            "bin": bin_label(bin),
            "volume": f"{volume} L",
            "intervention": data["intervention"],
            "description": data["description"],
        }


class BinIntervention(RequestType):
    key = "bin_intervention"
    slug = "demande-d-intervention-sur-mon-bac"
    title = "Demande d'intervention sur mon bac"
    heading = "Demande d'intervention sur mon bac"
    intro = (
        "Mon bac est abîmé, volé, ou son volume ne me convient plus : je demande une intervention."
    )
    tracking_label = "Intervention sur mon bac"
    group = Group.OTHER
    template = "requests/kinds/bin_intervention.html"
    form_class = BinInterventionForm
    labels = {"bin": "Bac", "volume": "Volume"}
    changes_values = False
    accept_help = (
        "La décision est enregistrée et l'usager en est informé par email, avec votre message. "
        "Le bac n'est pas modifié ici : un nouveau volume s'enregistre à la livraison du nouveau "
        "bac (import des abonnés)."
    )

    def form(self, *, data=None, files=None, account, user, subject=None):
        bins = [b for b in bins_for_account(account) if b.removed_on is None]
        return self.form_class(data, files, current={}, bins=bins)

    def subject_key(self, requested: dict) -> str:
        return str(requested["bin_id"])

    def subject_load(self, *, account, key: str):
        if not key.isdigit():
            return None
        return Bin.objects.filter(
            authority_id=account.authority_id, account=account, pk=int(key)
        ).first()

    def current(self, *, account, user, subject=None) -> dict:
        if subject is None:
            return {"bin": "", "volume": ""}
        return {"bin": bin_label(subject), "volume": f"{subject.volume_litres} L"}

    def details(self, service_request) -> list[tuple[str, str]]:
        requested = service_request.requested
        rows = [
            ("Bac", requested.get("bin", "")),
            ("Intervention demandée", dict(INTERVENTIONS).get(requested.get("intervention"), "")),
        ]
        if requested.get("intervention") == "volume":
            rows.append(("Nouveau volume", requested.get("volume", "")))
        rows.append(("Description", requested.get("description", "")))
        return rows

    def opening_message(self, form) -> tuple[str, list]:
        photo = form.cleaned_data.get("photo")
        if not photo:
            return "", []
        return "Photo jointe à la demande.", [(photo, form.photo_content_type)]

    def accepted_sentence(self, service_request) -> str:
        return "le service des déchets va intervenir"

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        requested = service_request.requested
        intervention = dict(INTERVENTIONS).get(requested["intervention"], "")
        return Applied(
            after={"bin": requested["bin"], "intervention": requested["intervention"]},
            note=f"Intervention acceptée : {intervention}.",
        )
