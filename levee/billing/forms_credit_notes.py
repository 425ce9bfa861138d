"""« Émettre un avoir » on an invoice's back-office page: an annulation totale or a
réduction of some euros, its reason and a comment, and the agent's confirmation
(`services_credit_notes.credit_note_issue` checks again, under the invoice's lock)."""

from django import forms

from levee.lib.forms import Form
from levee.lib.templatetags.levee_format import euros

from .forms import EurosField
from .models import CreditNoteKind, CreditNoteReason
from .services_credit_notes import TEXT_MAX_LENGTH


class CreditNoteForm(Form):
    kind = forms.ChoiceField(
        label="Type d'avoir",
        choices=CreditNoteKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez : annulation totale ou réduction.",
            "invalid_choice": "Choisissez : annulation totale ou réduction.",
        },
    )
    amount = EurosField(
        label="Montant de la réduction TTC (€)",
        example="12,34",
        required=False,
        help_text="Pour une réduction seulement : le montant TTC retiré de la facture.",
    )
    reason = forms.ChoiceField(
        label="Motif",
        choices=[("", "Choisir le motif"), *CreditNoteReason.choices],
        error_messages={
            "required": "Choisissez le motif de l'avoir.",
            "invalid_choice": "Choisissez le motif de l'avoir dans la liste.",
        },
    )
    text = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Repris sur l'avoir ; obligatoire pour le motif « Autre ».",
        error_messages={
            "max_length": f"Le commentaire ne doit pas dépasser {TEXT_MAX_LENGTH} caractères."
        },
    )
    confirm = forms.BooleanField(
        label=(
            "Je confirme l'émission de cet avoir : il est numéroté et envoyé à l'usager ; "
            "il ne pourra plus être supprimé."
        ),
        required=False,
    )

    def __init__(self, *args, left_cents: int, pes: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if pes:  # the authority's titles go to its public accountant, and so do its avoirs
            self.fields["confirm"].label = (
                "Je confirme l'émission de cet avoir : il est numéroté, envoyé à l'usager et "
                "transmis au comptable public ; il ne pourra plus être supprimé."
            )
        # What the invoice still amounts to after its earlier avoirs.
        self.left_cents = left_cents

    def clean(self):
        data = super().clean()
        kind, amount = data.get("kind"), data.get("amount")
        if kind == CreditNoteKind.REDUCTION and "amount" not in self.errors:
            if amount is None:
                self.add_error("amount", "Indiquez le montant de la réduction.")
            elif amount <= 0:
                self.add_error("amount", "Le montant de l'avoir doit être supérieur à 0,00 €.")
            elif amount > self.left_cents:
                self.add_error(
                    "amount",
                    "Le montant de l'avoir ne peut pas dépasser ce que la facture représente "
                    f"encore : {euros(self.left_cents)}.",
                )
        if data.get("reason") == CreditNoteReason.OTHER and not (data.get("text") or "").strip():
            self.add_error("text", "Précisez le motif de l'avoir dans le commentaire.")
        if not data.get("confirm"):
            self.add_error(
                "confirm",
                "Cochez la confirmation pour émettre l'avoir : il est numéroté et envoyé à "
                "l'usager.",
            )
        return data

    def amount_cents(self) -> int:
        if self.cleaned_data["kind"] == CreditNoteKind.TOTAL:
            return self.left_cents
        return self.cleaned_data["amount"]
