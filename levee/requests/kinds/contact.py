"""« Nous contacter » (Autres démarches): a subject, a message and attachments; the agent
answers in the thread, and accepting is answering: the request is then « TRAITÉ »."""

from django import forms

from ..forms import MESSAGE_MAX_LENGTH, AcceptForm, MultipleProofField, RequestForm, text_clean
from .base import Applied, Group, RequestType


class ContactForm(RequestForm):
    compare_with_current = False

    subject = forms.CharField(
        label="Objet",
        max_length=150,
        error_messages={"required": "Indiquez l'objet de votre message."},
    )
    message = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Écrivez votre message."},
    )
    attachments = MultipleProofField(
        label="Pièces jointes (facultatives)",
        required=False,
        help_text="Jusqu'à 5 fichiers PDF, JPEG ou PNG, 5 Mo au plus chacun.",
    )

    def initial_from(self, current: dict) -> dict:
        return {}

    def clean_subject(self):
        return " ".join(
            text_clean(
                self.cleaned_data["subject"],
                required_message="Indiquez l'objet de votre message.",
            ).split()
        )

    def clean_message(self):
        return text_clean(self.cleaned_data["message"], required_message="Écrivez votre message.")

    def values(self) -> dict:
        return {"subject": self.cleaned_data["subject"], "message": self.cleaned_data["message"]}


class ContactAcceptForm(AcceptForm):
    message = forms.CharField(
        label="Votre réponse (envoyée à l'usager)",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Écrivez votre réponse à l'usager."},
    )

    def clean_message(self):
        return text_clean(
            self.cleaned_data["message"], required_message="Écrivez votre réponse à l'usager."
        )


class Contact(RequestType):
    key = "contact"
    slug = "nous-contacter"
    title = "Nous contacter"
    heading = "Nous contacter"
    intro = "J'écris à ma collectivité : une question, une remarque, un problème."
    tracking_label = "Message"
    group = Group.OTHER
    template = "requests/kinds/contact.html"
    form_class = ContactForm
    labels = {}
    changes_values = False
    accepted_label = "TRAITÉ"
    accepted_word = "traitée"
    accept_form_class = ContactAcceptForm
    accept_help = "Votre réponse est envoyée à l'usager et la demande passe à « TRAITÉ »."

    def form(self, *, data=None, files=None, account, user, subject=None):
        return self.form_class(data, files, current={})

    def current(self, *, account, user, subject=None) -> dict:
        return {}

    def details(self, service_request) -> list[tuple[str, str]]:
        return [("Objet", service_request.requested.get("subject", ""))]

    def opening_message(self, form) -> tuple[str, list]:
        return form.cleaned_data["message"], form.cleaned_data["attachments"]

    def accepted_sentence(self, service_request) -> str:
        return "vous trouverez la réponse ci-dessous"

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        return Applied(after={"answered": True})
