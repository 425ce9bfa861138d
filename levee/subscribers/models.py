from django.db import models

from levee.lib.models import TimeStampedModel
from levee.lib.text import fold_compact, iban_mask


class Category(models.TextChoices):
    PARTICULIER = "particulier", "Particulier"
    PROFESSIONNEL = "professionnel", "Professionnel"
    ADMINISTRATION = "administration", "Administration"
    ASSOCIATION = "association", "Association"


class Civility(models.TextChoices):
    M = "M", "M"
    MME = "Mme", "Mme"
    M_OU_MME = "M ou Mme", "M ou Mme"


class Account(TimeStampedModel):
    """A compte usager: the party billed for one dwelling (point de production)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    code = models.CharField("code usager", max_length=20)
    portal_key = models.CharField("identifiant portail", max_length=20)
    category = models.CharField(
        "catégorie", max_length=20, choices=Category.choices, default=Category.PARTICULIER
    )
    civility = models.CharField("civilité", max_length=10, choices=Civility.choices, blank=True)
    last_name = models.CharField("nom", max_length=100, blank=True)
    first_name = models.CharField("prénom", max_length=100, blank=True)
    company_name = models.CharField("raison sociale", max_length=200, blank=True)
    household_size = models.PositiveSmallIntegerField(
        "nombre de personnes du foyer", null=True, blank=True
    )
    email = models.EmailField("adresse email", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    mobile = models.CharField("téléphone mobile", max_length=20, blank=True)
    work_phone = models.CharField("téléphone professionnel", max_length=20, blank=True)
    # Billing address (adresse facturation), French postal style.
    billing_country = models.CharField("pays", max_length=2, default="FR")
    billing_number = models.CharField("n°", max_length=10, blank=True)
    billing_number_suffix = models.CharField("ext.", max_length=10, blank=True)
    billing_street = models.CharField("rue", max_length=200, blank=True)
    billing_line2 = models.CharField("adresse ligne 2", max_length=200, blank=True)
    billing_postal_code = models.CharField("code postal", max_length=10, blank=True)
    billing_city = models.CharField("ville", max_length=100, blank=True)
    billing_building = models.CharField("bâtiment", max_length=50, blank=True)
    billing_staircase = models.CharField("escalier", max_length=20, blank=True)
    billing_apartment = models.CharField("appartement", max_length=20, blank=True)
    billing_floor = models.CharField("étage", max_length=20, blank=True)
    billing_po_box = models.CharField("boîte postale", max_length=20, blank=True)
    billing_city_complement = models.CharField(
        "complément ville (CEDEX, CS…)", max_length=100, blank=True
    )
    # « Traitement de mes données personnelles » (seed 004), saved by « Modifier mes choix ».
    objects_to_other_uses = models.BooleanField("droit à l'opposition", default=False)
    refuses_automated_erasure = models.BooleanField("droit de rétraction", default=False)
    data_choices_updated_at = models.DateTimeField("choix modifiés le", null=True, blank=True)
    # Paperless (« facture dématérialisée »): no paper copy is printed for this account.
    paperless_invoices = models.BooleanField("facture dématérialisée", default=False)
    paperless_updated_at = models.DateTimeField("choix modifié le", null=True, blank=True)

    class Meta:
        verbose_name = "compte usager"
        verbose_name_plural = "comptes usagers"
        constraints = [
            models.UniqueConstraint(fields=["authority", "code"], name="unique_account_code"),
            models.UniqueConstraint(fields=["authority", "portal_key"], name="unique_portal_key"),
        ]

    def __str__(self):
        return f"{self.code} {self.holder_name}"

    @property
    def holder_name(self) -> str:
        if self.company_name:
            return self.company_name
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def billing_address_line(self) -> str:
        """The billing address on one line, in the order of a French postal address (NF Z10-011):
        inside the building, the building, the street, line 2, the BP, then the town."""
        number = " ".join(p for p in (self.billing_number, self.billing_number_suffix) if p)
        street = " ".join(p for p in (number, self.billing_street) if p)
        labelled = (
            ("App.", self.billing_apartment),
            ("Esc.", self.billing_staircase),
            ("Etg.", self.billing_floor),
            ("Bât.", self.billing_building),
        )
        town = " ".join(
            p
            for p in (self.billing_postal_code, self.billing_city, self.billing_city_complement)
            if p
        )
        parts = [
            *(f"{label} {value}" for label, value in labelled if value),
            street,
            self.billing_line2,
            f"BP {self.billing_po_box}" if self.billing_po_box else "",
            town,
        ]
        return " ".join(p for p in parts if p)

    def matches_name(self, typed: str) -> bool:
        """The « Nom / Raison sociale » typed at sign-up, case, accents and spaces ignored."""
        typed_key = fold_compact(typed)
        return bool(typed_key) and typed_key in {
            k for k in (fold_compact(self.last_name), fold_compact(self.company_name)) if k
        }


class SubscriptionKind(models.TextChoices):
    BAC = "bac", "Bac"
    SAC = "sac", "Sac"
    BADGE = "badge", "Badge"


class PaymentMode(models.TextChoices):
    UNKNOWN = "", "Mode de paiement non renseigné"
    INVOICE = "facture", "À réception de facture"
    DIRECT_DEBIT = "prelevement", "Prélèvement"


class Subscription(TimeStampedModel):
    """An abonnement / forfait of an account, at its dwelling address (adresse habitation)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name="compte usager",
    )
    reference = models.CharField("référence", max_length=20)
    kind = models.CharField("type de forfait", max_length=10, choices=SubscriptionKind.choices)
    subscribed_on = models.DateField("souscrit le")
    ended_on = models.DateField("terminé le", null=True, blank=True)
    payment_mode = models.CharField(
        "mode de paiement", max_length=20, choices=PaymentMode.choices, blank=True, default=""
    )
    iban = models.CharField("IBAN", max_length=34, blank=True)
    # The plan (forfait) of a « bac » subscription, by the volume of its household-waste bin
    # in the authority's grids: chosen at J'emménage, kept by a move, set by an agent. The
    # grids are versioned per year, so the volume is kept rather than one grid's plan. Empty:
    # billing reads the volume of the household-waste bin in place, as before.
    plan_volume_litres = models.PositiveIntegerField(
        "volume du forfait (litres)", null=True, blank=True
    )
    commune = models.ForeignKey(
        "authorities.Commune", on_delete=models.PROTECT, verbose_name="commune"
    )
    number = models.CharField("n°", max_length=10, blank=True)
    number_suffix = models.CharField("ext.", max_length=10, blank=True)
    street = models.CharField("rue", max_length=200)
    complement = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5)

    class Meta:
        verbose_name = "abonnement"
        verbose_name_plural = "abonnements"
        ordering = ["-subscribed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "reference"], name="unique_subscription_reference"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("subscribed_on")),
                name="subscription_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(plan_volume_litres__isnull=True)
                | models.Q(plan_volume_litres__gt=0),
                name="subscription_plan_volume_positive",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_kind_display()})"

    @property
    def iban_masked(self) -> str:
        """« FR76 **** **** **** **** ***1 234 »: only the country, the key and the end show."""
        return iban_mask(self.iban)

    @property
    def address_line(self) -> str:
        number = " ".join(p for p in (self.number, self.number_suffix) if p)
        street = " ".join(p for p in (number, self.street) if p)
        parts = [street, self.complement, f"{self.postal_code} {self.commune.name}"]
        return " ".join(p for p in parts if p)
