import re

from django.core.exceptions import ValidationError

SPECIALS = "@$!%*?&=#"


class CharacterClassesValidator:
    """At least a lower-case letter, an upper-case letter, a digit and one of @$!%*?&=#."""

    message = (
        "Le mot de passe doit comporter au moins une minuscule, une majuscule, un chiffre "
        f"et un caractère spécial parmi {SPECIALS}."
    )

    def validate(self, password, user=None):
        checks = (
            re.search(r"[a-z]", password),
            re.search(r"[A-Z]", password),
            re.search(r"\d", password),
            any(c in SPECIALS for c in password),
        )
        if not all(checks):
            raise ValidationError(self.message, code="password_classes")

    def get_help_text(self):
        return (
            "Au moins 8 caractères, avec au moins une minuscule, une majuscule, un chiffre "
            f"et un caractère spécial ({SPECIALS})."
        )
