"""Forms of « Clés d'API » and « Webhooks » (levee.integrations)."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from levee.integrations.models import Scope, WebhookEvent
from levee.integrations.services import webhook_url_problem
from levee.lib.forms import Form

SCOPES_REQUIRED = "Choisissez au moins un droit."
EVENTS_REQUIRED = "Choisissez au moins un événement."


class ApiKeyForm(Form):
    name = forms.CharField(
        label="Nom de la clé",
        max_length=100,
        help_text="Le logiciel ou l'usage qu'elle sert, par exemple « Camions de collecte ».",
        error_messages={
            "required": "Indiquez le nom de la clé.",
            "max_length": "Le nom tient en 100 caractères au plus.",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="Droits de la clé",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": SCOPES_REQUIRED, "invalid_choice": SCOPES_REQUIRED},
    )
    expires_on = forms.DateField(
        label="Expire le (facultatif)",
        required=False,
        help_text="Au format JJ/MM/AAAA. Le dernier jour où la clé fonctionne (inclus) ; sans "
        "date, elle vaut jusqu'à sa révocation.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={
            "invalid": "Indiquez une date au format JJ/MM/AAAA, par exemple 31/12/2027."
        },
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Indiquez le nom de la clé.")
        return name

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Choisissez une date après aujourd'hui.")
        return day

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day, Paris time: the key works until that day included."""
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
        )


WEBHOOK_URL_HINT = (
    "L'adresse de votre logiciel qui recevra les événements, commençant par https://."
)
WEBHOOK_URL_HINT_LOOPBACK = (
    "L'adresse de votre logiciel qui recevra les événements, commençant par https:// "
    "(ou http:// pour un récepteur sur cette machine : 127.0.0.1, ::1 ou localhost)."
)


class WebhookForm(Form):
    url = forms.CharField(
        label="Adresse (URL) du webhook",
        max_length=500,
        help_text=WEBHOOK_URL_HINT,
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
        error_messages={
            "required": "Indiquez l'adresse du webhook.",
            "max_length": "L'adresse tient en 500 caractères au plus.",
        },
    )
    events = forms.MultipleChoiceField(
        label="Événements envoyés",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": EVENTS_REQUIRED, "invalid_choice": EVENTS_REQUIRED},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.WEBHOOK_ALLOW_LOOPBACK_HTTP:  # the embedded demo, the tests
            self.fields["url"].help_text = WEBHOOK_URL_HINT_LOOPBACK

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        problem = webhook_url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


class RevokeForm(Form):
    confirm = forms.BooleanField(
        label="Je confirme : le logiciel qui utilise cette clé ne pourra plus appeler l'API.",
        error_messages={"required": "Cochez la case pour confirmer la révocation."},
    )
