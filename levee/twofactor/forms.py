from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from levee.accounts.authentication import credentials_check, throttled_message
from levee.lib.forms import Form

BACKEND = "django.contrib.auth.backends.ModelBackend"


class EnrolForm(Form):
    code = forms.CharField(
        label="Code à 6 chiffres affiché par l'application",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Saisissez le code à 6 chiffres affiché par l'application."},
    )


class CodeForm(Form):
    code = forms.CharField(
        label="Code de vérification",
        max_length=20,
        help_text=(
            "Le code à 6 chiffres de votre application d'authentification, ou l'un de vos "
            "codes de secours."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": "Saisissez le code de votre application d'authentification."},
    )


class OperatorLoginForm(AdminAuthenticationForm):
    """The admin's login, through the same throttled check as the residents' and the
    agents' logins (Django's own calls authenticate() without any limit)."""

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            attempt = credentials_check(
                self.request,
                email=email,
                password=password,
                accept=lambda user: user.is_active and user.is_staff,
            )
            if attempt.throttled:
                raise ValidationError(
                    throttled_message(seconds=attempt.retry_after), code="throttled"
                )
            if attempt.user is None:
                invalid = self.get_invalid_login_error()
                if attempt.retry_after:  # this failure starts a wait: say so now
                    throttled = throttled_message(seconds=attempt.retry_after)
                    raise ValidationError([invalid, ValidationError(throttled, code="throttled")])
                raise invalid
            attempt.user.backend = BACKEND
            self.user_cache = attempt.user
        return self.cleaned_data
