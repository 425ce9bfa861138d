"""Tariffs, billing runs, invoices and their lines.

Money is integer cents everywhere (« 87,94 € » is 8794); formatting happens in templates.
Every table carries `authority_id` itself: it is the tenant-isolation guard.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage


class PlanKind(models.TextChoices):
    """Mirrors `subscribers.SubscriptionKind`: a plan prices one kind of subscription."""

    BAC = "bac", "Bac"
    SAC = "sac", "Sac"
    BADGE = "badge", "Badge"


class Tariff(TimeStampedModel):
    """The tariff grid of an authority for one year, in versions.

    Editing a grid writes a new version; the invoices computed with an older one keep it
    (`Invoice.tariff`), so an invoice can always be explained by the prices it used. The
    highest version of a year is the one in force.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    year = models.PositiveSmallIntegerField("année")
    version = models.PositiveSmallIntegerField("version", default=1)
    # VAT in basis points: 1000 = 10 %. The redevance is outside VAT unless the authority
    # opted in, hence 0 by default.
    vat_rate_bp = models.PositiveIntegerField("taux de TVA (centièmes de %)", default=0)
    note = models.CharField("motif de la modification", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="créé par",
    )

    class Meta:
        verbose_name = "grille tarifaire"
        verbose_name_plural = "grilles tarifaires"
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "year", "version"], name="unique_tariff_version"
            ),
            models.CheckConstraint(condition=Q(vat_rate_bp__lte=10000), name="tariff_vat_rate"),
        ]

    def __str__(self):
        return f"Tarifs {self.year} (version {self.version})"


class TariffPlan(models.Model):
    """One plan of a tariff grid: a bin volume, the bag or the badge.

    The yearly fixed part and the included lifts (or badge openings) are prorated by days
    for a subscription that starts or ends within the billed period; a half-year run bills
    half a year of them.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="plans", verbose_name="grille tarifaire"
    )
    kind = models.CharField("forfait", max_length=10, choices=PlanKind.choices)
    # The volume of the household-waste bin, for « bac » plans only.
    volume_litres = models.PositiveIntegerField("volume du bac (litres)", null=True, blank=True)
    label = models.CharField("libellé", max_length=100)
    fixed_cents = models.PositiveIntegerField("part fixe annuelle (centimes HT)")
    included_lifts = models.PositiveIntegerField("levées (ou ouvertures) incluses par an")
    extra_lift_cents = models.PositiveIntegerField(
        "prix d'une levée (ou ouverture) supplémentaire (centimes HT)"
    )
    kg_cents = models.PositiveIntegerField("prix au kg (centimes HT)", null=True, blank=True)

    class Meta:
        verbose_name = "forfait de la grille"
        verbose_name_plural = "forfaits de la grille"
        ordering = ["kind", "volume_litres"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "kind", "volume_litres"],
                name="unique_tariff_plan",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(kind=PlanKind.BAC, volume_litres__isnull=False)
                | (~Q(kind=PlanKind.BAC) & Q(volume_litres__isnull=True)),
                name="tariff_plan_volume_for_bins_only",
            ),
        ]

    def __str__(self):
        return self.label


class RunKind(models.TextChoices):
    SIMULATION = "simulation", "Facture à blanc"
    REAL = "reelle", "Facturation réelle"


class RunStatus(models.TextChoices):
    PENDING = "en_attente", "En attente"
    RUNNING = "en_cours", "En cours"
    DONE = "terminee", "Terminée"
    FAILED = "echec", "Échec"


# A chunk of a run commits within seconds: this long without one, its worker is gone.
STALLED_AFTER = datetime.timedelta(minutes=10)


class BillingRun(TimeStampedModel):
    """One billing of an authority's active subscriptions over a period (year or half-year).

    A simulation (« facture à blanc ») computes the same invoices without numbering or
    publishing them. A real run numbers them without gaps, per authority and year.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    kind = models.CharField("type", max_length=20, choices=RunKind.choices)
    status = models.CharField(
        "état", max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    label = models.CharField("période", max_length=60)  # « 2023 », « 1er semestre 2023 »
    period_start = models.DateField("début de période")
    period_end = models.DateField("fin de période")  # inclusive
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, related_name="runs", verbose_name="grille tarifaire"
    )
    issued_on = models.DateField("date des factures")
    due_on = models.DateField("date d'échéance")
    subscriptions_total = models.PositiveIntegerField("abonnements à facturer", default=0)
    invoices_done = models.PositiveIntegerField("factures calculées", default=0)
    total_cents = models.BigIntegerField("montant total TTC (centimes)", default=0)
    # Where the execution stands: subscriptions are billed in order of pk, one chunk per
    # transaction, and this is the last pk of the last committed chunk (a rerun resumes
    # after it). The references of the subscriptions left out for want of a plan.
    cursor_subscription_id = models.PositiveBigIntegerField("dernier abonnement traité", default=0)
    unplanned_references = models.JSONField("abonnements sans forfait", default=list, blank=True)
    invoices_published = models.PositiveIntegerField("factures publiées", default=0)
    message = models.TextField("message", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="créé par",
    )
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "facturation"
        verbose_name_plural = "facturations"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["authority", "-created_at"], name="billingrun_authority")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="run_period_order"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.label}"

    @property
    def is_stalled(self) -> bool:
        """Waiting or running with no chunk committed for STALLED_AFTER: its worker died
        (or none runs), and « Reprendre » may put it back in the queue."""
        return self.status in (RunStatus.PENDING, RunStatus.RUNNING) and (
            self.updated_at < timezone.now() - STALLED_AFTER
        )


class InvoiceStatus(models.TextChoices):
    SIMULATED = "a_blanc", "À blanc"
    OPEN = "a_regler", "À régler"
    PAID = "reglee", "Réglée"
    CANCELLED = "annulee", "Annulée"


class Invoice(TimeStampedModel):
    """A facture of one subscription for one period.

    The number has 13 digits: the year's two digits, the authority's 5-digit code, a 6-digit
    sequence without gaps per authority and year (`InvoiceSequence`); simulations have none.
    The payer's name and address are copied at issue: the invoice says what it said then.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name="compte usager",
    )
    subscription = models.ForeignKey(
        "subscribers.Subscription",
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name="abonnement",
    )
    run = models.ForeignKey(
        BillingRun,
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name="facturation",
    )
    tariff = models.ForeignKey(
        Tariff,
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
        verbose_name="grille tarifaire",
    )
    status = models.CharField(
        "statut", max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    year = models.PositiveSmallIntegerField("exercice")
    number = models.CharField("référence", max_length=13, blank=True)
    issued_on = models.DateField("date facture")
    due_on = models.DateField("date d'échéance")
    period_start = models.DateField("début de période")
    period_end = models.DateField("fin de période")
    total_ht_cents = models.BigIntegerField("montant HT (centimes)")
    vat_rate_bp = models.PositiveIntegerField("taux de TVA (centièmes de %)", default=0)
    vat_cents = models.BigIntegerField("TVA (centimes)", default=0)
    total_cents = models.BigIntegerField("montant TTC (centimes)")
    payer_name = models.CharField("payeur", max_length=200)
    payer_address = models.CharField("adresse du payeur", max_length=400)
    # The subscription's collection address on the day of issue: the invoice says what it
    # said then, whatever moves or corrections come after.
    collection_address = models.CharField("adresse de collecte", max_length=400, blank=True)
    # Debited from a SEPA mandate instead of paid through « Régler ».
    direct_debit = models.BooleanField("prélevée", default=False)
    published_at = models.DateTimeField("publiée le", null=True, blank=True)
    paid_at = models.DateTimeField("réglée le", null=True, blank=True)
    paid_by = models.CharField("réglée par", max_length=20, blank=True)  # carte, prélèvement…
    pdf = models.FileField("duplicata", storage=private_storage, upload_to="invoices/", blank=True)

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-issued_on", "-number"]
        indexes = [
            models.Index(fields=["authority", "account", "-issued_on"], name="invoice_account"),
            # The id last: a run's invoices are published chunk after chunk in id order.
            models.Index(fields=["authority", "run", "id"], name="invoice_run_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "number"],
                condition=~Q(number=""),
                name="unique_invoice_number",
            ),
            # A rerun of a crashed run resumes: it never bills a subscription twice.
            models.UniqueConstraint(
                fields=["run", "subscription"], name="one_invoice_per_run_subscription"
            ),
            models.CheckConstraint(
                condition=Q(total_cents=models.F("total_ht_cents") + models.F("vat_cents")),
                name="invoice_total_is_ht_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(status="a_blanc", number="") | (~Q(status="a_blanc") & ~Q(number="")),
                name="invoice_numbered_unless_simulated",
            ),
            models.CheckConstraint(
                condition=~Q(status="reglee") | Q(paid_at__isnull=False),
                name="invoice_paid_has_date",
            ),
        ]

    def __str__(self):
        return self.number or f"Facture à blanc {self.period_start:%Y}"


class LineKind(models.TextChoices):
    FIXED = "abonnement", "Abonnement"
    INCLUDED = "incluses", "Levées incluses"
    EXTRA = "supplementaires", "Levées supplémentaires"
    WEIGHT = "poids", "Poids"
    OTHER = "autre", "Autre"


class InvoiceLine(models.Model):
    """One line of an invoice: its amount excludes VAT; the lines add up to `total_ht_cents`."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name="facture"
    )
    position = models.PositiveSmallIntegerField("ordre")
    kind = models.CharField("type", max_length=20, choices=LineKind.choices)
    label = models.CharField("libellé", max_length=200)
    quantity = models.PositiveIntegerField("quantité", default=1)
    unit_cents = models.BigIntegerField("prix unitaire HT (centimes)", default=0)
    amount_cents = models.BigIntegerField("montant HT (centimes)")

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="unique_line_position"),
        ]

    def __str__(self):
        return self.label


class InvoiceSequence(models.Model):
    """The gapless counter of invoice numbers of an authority for one year.

    A real run takes numbers under this row's lock in the same transaction as the invoices
    it numbers: a crash rolls both back, so there is never a hole nor a duplicate.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    year = models.PositiveSmallIntegerField("année")
    first_value = models.PositiveIntegerField("premier numéro de l'année", default=1)
    next_value = models.PositiveIntegerField("prochain numéro", default=1)

    class Meta:
        verbose_name = "numérotation des factures"
        verbose_name_plural = "numérotations des factures"
        constraints = [
            models.UniqueConstraint(fields=["authority", "year"], name="unique_sequence_year"),
            models.CheckConstraint(
                condition=Q(next_value__gte=models.F("first_value")) & Q(next_value__lte=1_000_000),
                name="sequence_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.year} : prochain n° {self.next_value:06d}"


class BillingSettings(models.Model):
    """What an authority decides about its invoices and their payment."""

    authority = models.OneToOneField(
        "authorities.Authority",
        on_delete=models.CASCADE,
        related_name="billing_settings",
        verbose_name="collectivité",
    )
    due_days = models.PositiveSmallIntegerField(
        "délai de paiement (jours après la date de facture)", default=30
    )
    online_payment_grace_days = models.PositiveSmallIntegerField(
        "paiement en ligne ouvert (jours après l'échéance)",
        default=30,
        help_text="Passé ce délai, la dette est confiée au comptable public pour recouvrement.",
    )
    treasury_name = models.CharField(
        "comptable public", max_length=200, blank=True, help_text="Par exemple TRES. HAZEBROUCK"
    )
    appeal_text = models.TextField("voies et délais de recours", blank=True)
    # The reminder emails of an invoice still due (`services_dunning.py`); 0 turns one off.
    reminder_before_days = models.PositiveSmallIntegerField(
        "rappel avant échéance (jours)", default=5
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        "relance après échéance (jours)", default=10
    )

    class Meta:
        verbose_name = "réglages de facturation"
        verbose_name_plural = "réglages de facturation"

    def __str__(self):
        return f"Facturation de {self.authority}"


class UsageAlert(models.Model):
    """« Vous avez utilisé toutes les levées de votre forfait »: sent once per subscription
    and year (the unique constraint makes the periodic job idempotent)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    subscription = models.ForeignKey(
        "subscribers.Subscription",
        on_delete=models.CASCADE,
        related_name="usage_alerts",
        verbose_name="abonnement",
    )
    year = models.PositiveSmallIntegerField("année")
    included_lifts = models.PositiveIntegerField("levées incluses")
    lifts = models.PositiveIntegerField("levées comptées")
    sent_at = models.DateTimeField("envoyée le", auto_now_add=True)
    # False for a threshold reached before the portal watched it (the demo's past lifts,
    # recorded by `usage_alerts_record_past`): known, so never emailed later, but not sent.
    emailed = models.BooleanField("envoyée par email", default=True)

    class Meta:
        verbose_name = "alerte de consommation"
        verbose_name_plural = "alertes de consommation"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "year"], name="unique_usage_alert"),
        ]

    def __str__(self):
        return f"{self.subscription} {self.year} : {self.lifts}/{self.included_lifts}"


class UsageAlertOptOut(models.Model):
    """An account whose residents turned the usage alerts off (« Ne plus recevoir ces
    alertes », from the email)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    account = models.OneToOneField(
        "subscribers.Account",
        on_delete=models.CASCADE,
        related_name="usage_alert_opt_out",
        verbose_name="compte usager",
    )
    created_at = models.DateTimeField("désabonné le", auto_now_add=True)

    class Meta:
        verbose_name = "refus des alertes de consommation"
        verbose_name_plural = "refus des alertes de consommation"

    def __str__(self):
        return f"{self.account} : plus d'alertes de consommation"


class ReminderKind(models.TextChoices):
    BEFORE = "avant", "Rappel avant échéance"
    AFTER = "apres", "Relance après échéance"


class InvoiceReminder(models.Model):
    """The reminder of an invoice still due, a few days before its due date or after it:
    one row per invoice and kind (the unique constraint makes the periodic job send each
    once, however many runs or workers)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="reminders", verbose_name="facture"
    )
    kind = models.CharField("type", max_length=10, choices=ReminderKind.choices)
    sent_at = models.DateTimeField("envoyé le", auto_now_add=True)
    # False for a reminder whose day had passed before the portal watched the invoice (the
    # demo's history, recorded by `invoice_reminders_record_past`): never emailed later.
    emailed = models.BooleanField("envoyé par email", default=True)

    class Meta:
        verbose_name = "rappel de facture"
        verbose_name_plural = "rappels de facture"
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="unique_invoice_reminder"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.invoice_id}"


class CreditNoteKind(models.TextChoices):
    TOTAL = "annulation", "Annulation totale"
    REDUCTION = "reduction", "Réduction"


class CreditNoteReason(models.TextChoices):
    LIFT_CONTEST = "contestation_levee", "Contestation de levée acceptée"
    LATE_MOVE = "demenagement_tardif", "Déménagement déclaré tardivement"
    TARIFF_ERROR = "erreur_tarif", "Erreur de tarif"
    OTHER = "autre", "Autre"


class CreditNote(TimeStampedModel):
    """An avoir: an issued invoice cancelled (« annulation totale ») or reduced by an agent,
    with its reason (`services_credit_notes.credit_note_issue`).

    Its number has 15 characters: « AV », the issue year's two digits, the authority's
    5-digit code and a 6-digit sequence without gaps per authority and year
    (`CreditNoteSequence`, taken under its row lock in the transaction that writes the
    avoir), e.g. « AV2400240000001 »: never mistaken for an invoice's 13 digits. Its amount
    (TTC, positive) is split HT/TVA at the invoice's VAT rate; the avoirs of an invoice never
    add up to more than its total. The invoice's rest to pay counts them
    (`payments.selectors.invoice_left_cents`); what its payments brought beyond the amount
    left after the avoir is `refund_cents`, listed in « Paiements à vérifier » to refund.

    The treasury sets `pes_file` when a PES file carries the avoir to the public accountant
    (`selectors_credit_notes.credit_notes_to_carry` lists those not carried yet)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name="facture"
    )
    year = models.PositiveSmallIntegerField("année")
    number = models.CharField("numéro", max_length=15)
    kind = models.CharField("type", max_length=20, choices=CreditNoteKind.choices)
    reason = models.CharField("motif", max_length=30, choices=CreditNoteReason.choices)
    text = models.TextField("commentaire", blank=True)
    issued_on = models.DateField("date de l'avoir")
    total_ht_cents = models.BigIntegerField("montant HT (centimes)")
    vat_rate_bp = models.PositiveIntegerField("taux de TVA (centièmes de %)", default=0)
    vat_cents = models.BigIntegerField("TVA (centimes)", default=0)
    total_cents = models.BigIntegerField("montant TTC (centimes)")
    # What the invoice's payments (or debits already transmitted) brought beyond what it
    # amounts to after this avoir: to refund, until an agent marks it done.
    refund_cents = models.BigIntegerField("à rembourser (centimes)", default=0)
    refund_reviewed_at = models.DateTimeField("remboursement vérifié le", null=True, blank=True)
    refund_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="remboursement vérifié par",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="émis par",
    )
    service_request = models.ForeignKey(
        "requests.ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name="demande",
    )
    pdf = models.FileField("PDF", storage=private_storage, upload_to="credit_notes/", blank=True)
    # Set by the treasury when a PES file carries the avoir (a cancellation or reduction of
    # the invoice's title); None until then.
    pes_file = models.ForeignKey(
        "treasury.PesFile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name="fichier PES",
    )

    class Meta:
        verbose_name = "avoir"
        verbose_name_plural = "avoirs"
        ordering = ["-issued_on", "-number"]
        indexes = [
            models.Index(fields=["authority", "invoice"], name="creditnote_invoice"),
            models.Index(fields=["authority", "pes_file"], name="creditnote_pes_file"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "number"], name="unique_credit_note_number"
            ),
            models.CheckConstraint(
                condition=Q(total_cents=models.F("total_ht_cents") + models.F("vat_cents")),
                name="credit_note_total_is_ht_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(total_cents__gt=0) & Q(total_ht_cents__gte=0) & Q(vat_cents__gte=0),
                name="credit_note_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(refund_cents__gte=0) & Q(refund_cents__lte=models.F("total_cents")),
                name="credit_note_refund_in_range",
            ),
        ]

    def __str__(self):
        return f"Avoir {self.number}"


class CreditNoteSequence(models.Model):
    """The gapless counter of avoir numbers of an authority for one year (apart from the
    invoices' `InvoiceSequence`)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    year = models.PositiveSmallIntegerField("année")
    next_value = models.PositiveIntegerField("prochain numéro", default=1)

    class Meta:
        verbose_name = "numérotation des avoirs"
        verbose_name_plural = "numérotations des avoirs"
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "year"], name="unique_credit_note_sequence_year"
            ),
            models.CheckConstraint(
                condition=Q(next_value__gte=1) & Q(next_value__lte=1_000_000),
                name="credit_note_sequence_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.year} : prochain n° {self.next_value:06d}"
