"""Forms shared by every request type, and those of the thread and of the agents' decisions."""

import datetime

from django import forms

from levee.lib.forms import Form
from levee.lib.uploads import check_proof

from .models import RequestStatus

MESSAGE_MAX_LENGTH = 5000


def collapse(value: str) -> str:
    """A typed text with its runs of white space made one space."""
    return " ".join((value or "").split())


class RequestForm(Form):
    """The form of a request type: pre-filled with today's values (`current`, the keys of
    the type's `current()`), it refuses to send a request that changes nothing."""

    nothing_changed = (
        "Vous n'avez rien modifié : corrigez ce qui est faux, puis cliquez sur « Valider »."
    )

    def __init__(self, data=None, files=None, *, current: dict, user=None):
        self.current = current
        self.user = user
        super().__init__(data, files, initial=self.initial_from(current))

    def initial_from(self, current: dict) -> dict:
        return dict(current)

    def values(self) -> dict:
        """The values asked, JSON-able, with the keys of `current` (on a valid form)."""
        return {key: self.cleaned_data.get(key) for key in self.current}

    def clean(self):
        cleaned = super().clean()
        if not self.errors and self.values() == self.comparable(self.current):
            raise forms.ValidationError(self.nothing_changed, code="unchanged")
        return cleaned

    def comparable(self, current: dict) -> dict:
        return {k: collapse(v) if isinstance(v, str) else v for k, v in current.items()}


class AttachmentMixin:
    """An optional attachment: PDF, JPEG or PNG, checked by content like a proof."""

    attachment_content_type = ""

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            self.attachment_content_type = check_proof(upload).content_type
        return upload


def attachment_field() -> forms.FileField:
    return forms.FileField(
        label="Pièce jointe (facultative)",
        required=False,
        help_text="PDF, JPEG ou PNG, 5 Mo au plus.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


class MessageForm(AttachmentMixin, Form):
    """The resident's answer to « Demander un complément », or the agent's question."""

    body = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Écrivez votre message."},
    )
    attachment = attachment_field()

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Écrivez votre message.", code="required")
        return body


class ComplementForm(MessageForm):
    body = forms.CharField(
        label="Ce qu'il manque (envoyé à l'usager)",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Écrivez ce que l'usager doit compléter."},
    )


class RefuseForm(Form):
    reason = forms.CharField(
        label="Motif du refus (envoyé à l'usager)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Indiquez le motif du refus : l'usager le recevra."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Indiquez le motif du refus : l'usager le recevra.")
        return reason


AGES = [
    ("", "Toutes"),
    ("7", "Moins de 7 jours"),
    ("7-30", "De 7 à 30 jours"),
    ("30", "Plus de 30 jours"),
]
OPEN = "ouvertes"


class QueueFilterForm(Form):
    """The filters of the agents' work queue; a value that is not offered is ignored."""

    type = forms.ChoiceField(label="Type", required=False)
    statut = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[
            (OPEN, "À traiter (en cours ou en attente)"),
            *RequestStatus.choices,
            ("", "Tous"),
        ],
    )
    commune = forms.ChoiceField(label="Commune", required=False)
    anciennete = forms.ChoiceField(label="Ancienneté", required=False, choices=AGES)

    def __init__(self, data, *, types, communes):
        data = data.copy()
        data.setdefault("statut", OPEN)
        super().__init__(data)
        self.fields["type"].choices = [("", "Tous"), *[(t.key, t.title) for t in types]]
        self.fields["commune"].choices = [("", "Toutes"), *[(c.insee, c.name) for c in communes]]

    def filters(self) -> dict:
        """The valid filters; a tampered one falls back to its default."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name, "")
            for name in ("type", "statut", "commune", "anciennete")
            if name not in self.errors
        }


def age_bounds(value: str, *, today: datetime.date) -> tuple:
    """(created after, created before) for an « Ancienneté » choice."""
    week, month = datetime.timedelta(days=7), datetime.timedelta(days=30)
    if value == "7":
        return today - week, None
    if value == "7-30":
        return today - month, today - week
    if value == "30":
        return None, today - month
    return None, None
