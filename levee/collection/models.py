"""The collection domain: bins (bacs), their lifts (levées), drop-offs (apports) and the
imports that bring lifts in from the authorities' trucks.

Every table carries `authority` itself (PRODUCT.md, decision « scale »): it is the tenant
guard every query filters on, not something reached through a join.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage


class Flux(models.TextChoices):
    ORDURES_MENAGERES = "ordures_menageres", "Ordures ménagères"
    RECYCLABLES = "recyclables", "Emballages recyclables"
    BIODECHETS = "biodechets", "Biodéchets"
    VERRE = "verre", "Verre"
    PAPIER = "papier", "Papiers"


class Bin(TimeStampedModel):
    """A bac delivered to a subscription: identified by its RFID chip or its tank number."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    subscription = models.ForeignKey(
        "subscribers.Subscription",
        on_delete=models.PROTECT,
        related_name="bins",
        verbose_name="abonnement",
    )
    # Denormalised from the subscription so the resident's pages filter without a join.
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.PROTECT,
        related_name="bins",
        verbose_name="compte usager",
    )
    flux = models.CharField("flux", max_length=20, choices=Flux.choices)
    volume_litres = models.PositiveIntegerField("volume (litres)")
    tank_number = models.CharField("n° de cuve", max_length=30, blank=True)
    chip_number = models.CharField("n° de puce", max_length=30, blank=True)
    delivered_on = models.DateField("livré le")
    removed_on = models.DateField("retiré le", null=True, blank=True)

    class Meta:
        verbose_name = "bac"
        verbose_name_plural = "bacs"
        ordering = ["delivered_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "chip_number"],
                condition=~Q(chip_number=""),
                name="unique_bin_chip_number",
            ),
            models.UniqueConstraint(
                fields=["authority", "tank_number"],
                condition=~Q(tank_number=""),
                name="unique_bin_tank_number",
            ),
            models.CheckConstraint(
                condition=~Q(chip_number="") | ~Q(tank_number=""),
                name="bin_has_chip_or_tank",
            ),
            models.CheckConstraint(condition=Q(volume_litres__gt=0), name="bin_volume_positive"),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("delivered_on")),
                name="bin_removed_after_delivery",
            ),
        ]

    def __str__(self):
        number = self.chip_number or self.tank_number
        return f"{self.get_flux_display()} {self.volume_litres} L ({number})"


class ImportKind(models.TextChoices):
    LIFTS = "lifts", "Levées"
    DROPOFFS = "dropoffs", "Apports"
    SUBSCRIBERS = "subscribers", "Abonnés"


class ImportStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échoué"


class ImportBatch(TimeStampedModel):
    """One file imported by an agent or a command, with its counts and its rejected lines."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    kind = models.CharField("type", max_length=20, choices=ImportKind.choices)
    filename = models.CharField("fichier", max_length=255)
    status = models.CharField(
        "statut", max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    rows_total = models.PositiveIntegerField("lignes lues", default=0)
    rows_imported = models.PositiveIntegerField("lignes importées", default=0)
    rows_rejected = models.PositiveIntegerField("lignes rejetées", default=0)
    # Why the whole file was refused (wrong header, not a CSV file…), in French.
    message = models.TextField("message", blank=True)
    # CSV « ligne;motif », the rejected lines in file order (the first REPORT_MAX_LINES).
    rejected_report = models.TextField("rapport des rejets", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="créé par",
    )
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    # An upload of the back office, kept in private storage until it has gone in (a failed
    # one stays, to be run again). Empty for the management commands' imports.
    file = models.FileField(
        "fichier déposé", storage=private_storage, upload_to="imports/%Y/%m/", blank=True
    )
    size_bytes = models.PositiveBigIntegerField("taille (octets)", default=0)
    # Progress, written while the file is read (see importers/batches.py); updated_at is
    # the run's sign of life.
    bytes_read = models.PositiveBigIntegerField("octets lus", default=0)
    lines_read = models.PositiveIntegerField("lignes parcourues", default=0)
    # Set when a run claims the batch; a run whose claim was taken over changes nothing.
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    # What the import did beyond the counts, as [French label, count] pairs in the order
    # shown (subscribers: « Comptes créés », « Bacs modifiés »…).
    summary = models.JSONField("détail", default=list, blank=True)

    # A running batch without a sign of life for this long is taken for dead (its worker
    # was killed, its task lost) and can be run again.
    STALE_AFTER = datetime.timedelta(minutes=10)

    class Meta:
        verbose_name = "import"
        verbose_name_plural = "imports"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["authority", "-created_at"], name="importbatch_authority")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename} ({self.get_status_display()})"

    @property
    def rows_already_present(self) -> int:
        """Valid lines that added nothing: rows imported before, or repeated in the file."""
        return max(self.rows_total - self.rows_imported - self.rows_rejected, 0)

    @property
    def progress_percent(self) -> int:
        """How much of the file has been read, 0 to 100 (100 once the batch is over)."""
        if self.status != ImportStatus.RUNNING:
            return 100
        if not self.size_bytes:
            return 0
        return min(100, self.bytes_read * 100 // self.size_bytes)

    @property
    def is_stale(self) -> bool:
        """Running, but without a sign of life for STALE_AFTER: its run died."""
        return (
            self.status == ImportStatus.RUNNING
            and self.updated_at < timezone.now() - self.STALE_AFTER
        )

    @property
    def can_retry(self) -> bool:
        return bool(self.file) and (self.status == ImportStatus.FAILED or self.is_stale)


class Lift(models.Model):
    """A levée: one emptying of a bin by a truck."""

    # One index only, the unique (authority, bin, lifted_at): every read of lifts filters on
    # the authority and the bins (selectors.py), the tenant column leads (PRODUCT.md, road to
    # Citus), and it is the uniqueness of a lift since a bin belongs to one authority. Any
    # further index or foreign key check slows the million-line imports (bench/RESULTS.md),
    # so no database foreign key at all: a lift's bin and authority come from the import's
    # join on the authority's bins, and Django's on_delete still refuses to delete a bin
    # with lifts (PROTECT). Nothing reads lifts by import batch.
    authority = models.ForeignKey(
        "authorities.Authority",
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        verbose_name="collectivité",
    )
    bin = models.ForeignKey(
        Bin,
        on_delete=models.PROTECT,
        related_name="lifts",
        db_index=False,
        db_constraint=False,
        verbose_name="bac",
    )
    lifted_at = models.DateTimeField("date et heure")
    # Integer grams rather than a DecimalField: SQLite stores decimals as floats, so sums
    # of 12.5 kg lifts would drift there; grams are exact on both databases, like cents.
    net_weight_grams = models.PositiveIntegerField("poids net (g)")
    vehicle = models.CharField("véhicule", max_length=30, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lifts",
        db_index=False,
        db_constraint=False,
        verbose_name="import",
    )

    class Meta:
        verbose_name = "levée"
        verbose_name_plural = "levées"
        ordering = ["-lifted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "bin", "lifted_at"], name="one_lift_per_authority_bin_time"
            ),
        ]

    def __str__(self):
        return f"{self.bin_id} {self.lifted_at:%Y-%m-%d %H:%M}"

    @property
    def net_weight_kg(self) -> Decimal:
        return Decimal(self.net_weight_grams) / 1000


class CancelledLift(TimeStampedModel):
    """A lift cancelled by an agent (an accepted « Contester une levée »): the lift is
    deleted, so that no reading of lifts has to learn to skip it, and this row keeps its key
    (bin, lifted_at), so that no import brings it back: the truck's files are sent again
    whole, and the same line would otherwise be a new lift."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    bin = models.ForeignKey(
        Bin, on_delete=models.CASCADE, related_name="cancelled_lifts", verbose_name="bac"
    )
    lifted_at = models.DateTimeField("date et heure")
    # What the lift weighed when it was cancelled (the audit log keeps the rest).
    net_weight_grams = models.PositiveIntegerField("poids net (g)")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="annulée par",
    )

    class Meta:
        verbose_name = "levée annulée"
        verbose_name_plural = "levées annulées"
        ordering = ["-lifted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "bin", "lifted_at"], name="one_cancelled_lift_per_bin_time"
            ),
        ]

    def __str__(self):
        return f"{self.bin_id} {self.lifted_at:%Y-%m-%d %H:%M} (annulée)"


class DropOffKind(models.TextChoices):
    BADGE = "badge", "Ouverture de badge"
    DECHETERIE = "decheterie", "Passage en déchèterie"


class QuantityUnit(models.TextChoices):
    NONE = "", "—"
    LITRES = "litres", "L"
    KG = "kg", "kg"


class DropOff(models.Model):
    """An apport: a badge opening at a drop-off container, or a déchèterie visit."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.PROTECT,
        related_name="dropoffs",
        verbose_name="compte usager",
    )
    kind = models.CharField("type", max_length=20, choices=DropOffKind.choices)
    occurred_at = models.DateTimeField("date et heure")
    site = models.CharField("lieu", max_length=100)
    flux = models.CharField("flux", max_length=20, choices=Flux.choices, blank=True)
    quantity = models.DecimalField(
        "quantité", max_digits=9, decimal_places=3, null=True, blank=True
    )
    quantity_unit = models.CharField(
        "unité", max_length=10, choices=QuantityUnit.choices, blank=True, default=""
    )
    # The weight, when the site weighs (a déchèterie's weighbridge) beside the volume it
    # declares; a quantity in kg is a weight too (see `weight_kg`).
    weight_grams = models.PositiveIntegerField("poids (g)", null=True, blank=True)
    badge_number = models.CharField("n° de badge", max_length=30, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dropoffs",
        verbose_name="import",
    )

    class Meta:
        verbose_name = "apport"
        verbose_name_plural = "apports"
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "occurred_at", "site"], name="one_dropoff_per_account_time_site"
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | ~Q(quantity_unit=""),
                name="dropoff_quantity_has_unit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["authority", "account", "occurred_at"], name="dropoff_account_time"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M} {self.site}"

    @property
    def weight_kg(self) -> Decimal | None:
        """The weight in kg: the one weighed, else the quantity when it is given in kg."""
        if self.weight_grams is not None:
            return Decimal(self.weight_grams) / 1000
        if self.quantity is not None and self.quantity_unit == QuantityUnit.KG:
            return self.quantity
        return None

    @property
    def volume_litres(self) -> Decimal | None:
        if self.quantity is not None and self.quantity_unit == QuantityUnit.LITRES:
            return self.quantity
        return None


class ProductionAverage(models.Model):
    """What comparable households of a commune produce in a month, for the comparison of
    « Mes bacs/levées »: the bins of one flux and one volume in one commune.

    Precomputed (by `production_averages_refresh`, after every import and in `periodic`) so
    the resident's page reads twelve rows instead of scanning the commune's lifts. Only
    totals of at least PRODUCTION_AVERAGE_MIN_BINS bins are kept: an average of two
    households would tell each one about the other.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    commune = models.ForeignKey(
        "authorities.Commune", on_delete=models.CASCADE, verbose_name="commune"
    )
    flux = models.CharField("flux", max_length=20, choices=Flux.choices)
    volume_litres = models.PositiveIntegerField("volume (litres)")
    year = models.PositiveSmallIntegerField("année")
    month = models.PositiveSmallIntegerField("mois")
    bins = models.PositiveIntegerField("bacs en service")
    lifts = models.PositiveIntegerField("levées")
    net_weight_grams = models.PositiveBigIntegerField("poids net (g)")
    computed_at = models.DateTimeField("calculé le")

    class Meta:
        verbose_name = "moyenne de production"
        verbose_name_plural = "moyennes de production"
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "commune", "flux", "volume_litres", "year", "month"],
                name="one_production_average_per_group_and_month",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="production_average_month"
            ),
        ]

    def __str__(self):
        return f"{self.commune_id} {self.flux} {self.volume_litres} L {self.year}-{self.month:02d}"
