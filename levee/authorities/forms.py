"""The one commune picker of the platform: the home (« Trouver ma collectivité »), step 1 of
« Associer un autre compte » and the commune step of « Ouvrir un compte maintenant »."""

from django import forms

from levee.lib.forms import Form

from .selectors import (
    MAX_QUERY,
    CommuneMatch,
    commune_choice_from_key,
    commune_pick,
    communes_matching,
)

EMPTY = "Saisissez le code postal ou le nom de votre commune."
NOT_IN_LIST = "Choisissez votre commune dans la liste proposée."
CHOOSE = "Plusieurs communes correspondent : choisissez la vôtre dans la liste."


def no_match(typed: str) -> str:
    return (
        f"Aucune commune ne correspond à « {typed} ». Vérifiez l'orthographe ou saisissez "
        "le code postal."
    )


class CommunePickerForm(Form):
    """What a person typed (`q`: « 42410 Pélussin », « pelussin », « 42410 »…) and, once a
    list was offered, the pair picked in it (`commune`, a CommuneMatch.key). Valid when it
    names one commune (`choice`) and when it offers a list to choose from (`matches`, no
    error); invalid with the reason on `q` otherwise. Views test `form.is_valid() and
    form.choice`. With `authority`, only the communes it serves are offered.

    Works without JavaScript (submit, then a list of radio buttons when several communes
    match); static/js/commune-picker.js adds the live list on top."""

    q = forms.CharField(required=False, strip=True)
    commune = forms.CharField(required=False, strip=True)
    # The text for which a list was offered: submitting it again without a pick asks to pick.
    liste = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, authority=None, label="", help_text="", limit=20):
        super().__init__(data)
        self.authority = authority
        self.label = label
        self.help_text = help_text
        self.limit = limit
        self.choice: CommuneMatch | None = None
        self.matches: list[CommuneMatch] = []

    @property
    def typed(self) -> str:
        return (self.data.get("q") or "").strip()[:MAX_QUERY] if self.is_bound else ""

    def clean(self):
        cleaned = super().clean()
        typed = (cleaned.get("q") or "")[:MAX_QUERY]
        cleaned["q"] = typed
        key = cleaned.get("commune") or ""
        if key:
            choice = commune_choice_from_key(key)
            if choice is not None:
                if self.authority is not None and choice.authority_slug != self.authority.slug:
                    self.add_error("q", self.not_served_message(choice.label))
                else:
                    self.choice = choice
                return cleaned
            if not typed and "-" not in key and any(c.isalnum() for c in key):
                typed = key[:MAX_QUERY]  # the old links put the typed text in « commune »
                cleaned["q"] = typed
            else:  # a stale or forged pick: the list again, for what was typed
                self.add_error("q", NOT_IN_LIST)
                if typed:
                    self.matches = communes_matching(
                        typed, authority=self.authority, limit=self.limit
                    )
                return cleaned
        if not typed:
            self.add_error("q", EMPTY)
            return cleaned
        self.choice, self.matches = commune_pick(typed, authority=self.authority, limit=self.limit)
        if self.choice is not None:
            return cleaned
        if self.matches:
            if cleaned.get("liste") == typed:
                self.add_error("q", CHOOSE)
            return cleaned  # valid without a choice: the list is the answer
        if self.authority is not None and communes_matching(typed, limit=1):
            self.add_error("q", self.not_served_message(typed))
            return cleaned
        self.add_error("q", no_match(typed))
        return cleaned

    def not_served_message(self, what: str) -> str:
        return (
            f"« {what} » : cette commune n'est pas desservie par la collectivité. Choisissez "
            "une commune de la liste proposée."
        )

    @property
    def offers_list(self) -> bool:
        return self.choice is None and len(self.matches) > 0

    @property
    def error(self) -> str:
        return " ".join(str(e) for e in self.errors.get("q", [])) if self.is_bound else ""
