"""Forms shared by every request type, and those of the thread and of the agents' decisions."""

from django import forms

from levee.authorities.forms import CHOOSE as COMMUNE_CHOOSE
from levee.authorities.forms import CommunePickerForm
from levee.lib.forms import Form
from levee.lib.uploads import check_proof

from .models import OPEN, QUEUE_STATUSES

MESSAGE_MAX_LENGTH = 5000


def collapse(value: str) -> str:
    """A typed text with its runs of white space made one space."""
    return " ".join((value or "").split())


class RequestForm(Form):
    """The form of a request type: pre-filled with today's values (`current`, the keys of
    the type's `current()`), it refuses to send a request that changes nothing (unless
    `compare_with_current` is False: a message, a move, which change no typed value)."""

    nothing_changed = (
        "Vous n'avez rien modifié : corrigez ce qui est faux, puis cliquez sur « Valider »."
    )
    compare_with_current = True

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
        if (
            self.compare_with_current
            and not self.errors
            and self.values() == self.comparable(self.current)
        ):
            raise forms.ValidationError(self.nothing_changed, code="unchanged")
        return cleaned

    def comparable(self, current: dict) -> dict:
        return {k: collapse(v) if isinstance(v, str) else v for k, v in current.items()}


def commune_picker(data, *, authority) -> CommunePickerForm:
    """The platform's one commune picker (levee.authorities.forms), kept to the communes the
    authority serves, for a request type whose form asks a commune (J'emménage). Its fields
    travel as `q`, `commune` and `liste` (templates/includes/commune_finder_field.html)."""
    return CommunePickerForm(data, authority=authority)


def commune_picker_required(picker) -> str:
    """Why a bound picker names no commune yet (empty when it does): its own error, or, when
    several communes match what was typed, the request to pick one in the list offered."""
    if picker.is_valid() and picker.choice is None:
        picker.add_error("q", COMMUNE_CHOOSE)
    return picker.error


def text_clean(value: str, *, required_message: str = "") -> str:
    """A typed text with its ends trimmed; blank when only spaces were typed (refused with
    `required_message` when given)."""
    value = (value or "").strip()
    if not value and required_message:
        raise forms.ValidationError(required_message, code="required")
    return value


def proof_field(label: str, *, help_text: str, required_message: str = "", images_only=False):
    """A file field for a proof; it is required when `required_message`, the whole sentence
    asking for it (« Joignez votre justificatif. »), is given."""
    accept = ".jpg,.jpeg,.png,image/jpeg,image/png"
    if not images_only:
        accept = ".pdf," + accept + ",application/pdf"
    return forms.FileField(
        label=label,
        required=bool(required_message),
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
        error_messages={"required": required_message},
    )


def proof_check(upload, *, images_only: bool = False) -> str:
    """The content type of an uploaded proof (PDF, JPEG, PNG by content, size limit), or a
    French ValidationError; a photo must be a JPEG or PNG image."""
    content_type = check_proof(upload).content_type
    if images_only and content_type == "application/pdf":
        raise forms.ValidationError(
            "La photo doit être une image JPEG ou PNG.", code="not_an_image"
        )
    return content_type


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleProofField(forms.FileField):
    """Several files in one input (Django's documented recipe), each checked like a proof."""

    def __init__(self, *args, max_files: int = 5, **kwargs):
        self.max_files = max_files
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, (list, tuple)) else [data]) if u]
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > self.max_files:
            raise forms.ValidationError(
                f"Joignez au plus {self.max_files} fichiers.", code="too_many"
            )
        checked = []
        for upload in uploads:
            try:
                checked.append((super().clean(upload, initial), check_proof(upload).content_type))
            except forms.ValidationError as error:
                raise forms.ValidationError(
                    [f"{upload.name} : {message}" for message in error.messages]
                )
        return checked


class AcceptForm(Form):
    """« Accepter »: an optional message to the resident, which joins the thread and the
    acceptance email. Types that need more subclass it (`accept_form_class`)."""

    message = forms.CharField(
        label="Message à l'usager (facultatif)",
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data=None, *, service_request):
        self.service_request = service_request
        super().__init__(data)

    def clean_message(self):
        return text_clean(self.cleaned_data.get("message", ""))


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


class QueueFilterForm(Form):
    """The filters of the agents' work queue; a value that is not offered is ignored."""

    type = forms.ChoiceField(label="Type", required=False)
    statut = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[
            (OPEN, "À traiter (en cours ou en attente)"),
            *[(s.value, s.label) for s in QUEUE_STATUSES],
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
