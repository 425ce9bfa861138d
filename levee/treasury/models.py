"""« Comptabilité publique »: how an authority's invoices reach its public accountant, and
the PES V2 files (rôles ORMC) that carry them (`levee/billing/PES.md`).

Money is integer cents, as in billing. Every table carries `authority_id`.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage

# Hélios refuses a bordereau of more than 99 999 pieces (BlocBordereau/NbrPce, Base_Num5).
PIECES_PER_FILE_MAX = 99_999


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a SIREN or SIRET (INSEE): every second digit from the right doubled."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def siret_validate(value: str) -> None:
    if not value:
        return
    if len(value) != 14 or not value.isdigit():
        raise ValidationError("Le SIRET compte 14 chiffres.")
    if not luhn_valid(value):
        raise ValidationError("Ce SIRET n'est pas valide (sa clé de contrôle ne correspond pas).")


class CollectionMode(models.TextChoices):
    PES = "pes_ormc", "Titres transmis au comptable public (PES ORMC)"
    REGIE = "regie", "Régie"


class PublicAccountingSettings(models.Model):
    """What the public accountant needs to take an authority's invoices as titles.

    In « Régie » mode the authority collects itself (the payments as today); in PES mode
    each published real run becomes a rôle ORMC sent to Hélios. The SEPA creditor
    identifier (ICS) is not here: it has one source, `payments.PaymentSettings`.
    """

    authority = models.OneToOneField(
        "authorities.Authority",
        on_delete=models.CASCADE,
        related_name="public_accounting_settings",
        verbose_name="collectivité",
    )
    collection_mode = models.CharField(
        "mode de recouvrement",
        max_length=20,
        choices=CollectionMode.choices,
        default=CollectionMode.REGIE,
    )
    siret = models.CharField(
        "SIRET de la collectivité (IdColl)",
        max_length=14,
        blank=True,
        validators=[siret_validate],
    )
    poste_code = models.CharField(
        "poste comptable (IdPost)",
        max_length=7,
        blank=True,
        validators=[
            RegexValidator(
                r"^(02[AB]\d{3,4}|\d{6,7})$",
                "Le codique du poste comptable compte 6 ou 7 chiffres (02A… ou 02B… en Corse).",
            )
        ],
    )
    collectivity_code = models.CharField(
        "code collectivité (CodCol)",
        max_length=3,
        blank=True,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z]{1,3}$", "Le code collectivité compte 1 à 3 lettres ou chiffres."
            )
        ],
    )
    budget_code = models.CharField(
        "code budget (CodBud)",
        max_length=2,
        blank=True,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z]{0,2}$", "Le code budget compte au plus 2 lettres ou chiffres."
            )
        ],
    )
    budget_label = models.CharField("libellé du budget (LibelleColBud)", max_length=38, blank=True)
    # {LineKind value: {"nature": "588", "product": "REOM"}}: the compte nature (Nature,
    # up to 12 digits) and the code produit local (CodProdLoc, 1 to 4 letters or digits)
    # of each kind of invoice line.
    line_codes = models.JSONField(
        "nature et code produit par type de ligne", default=dict, blank=True
    )
    role_object = models.CharField(
        "objet du rôle",
        max_length=160,
        blank=True,
        help_text="Par exemple : REDEVANCE INCITATIVE. La période de la facturation y est ajoutée.",
    )
    pieces_per_file = models.PositiveIntegerField(
        "factures par fichier",
        default=5000,
        validators=[MinValueValidator(1), MaxValueValidator(PIECES_PER_FILE_MAX)],
    )
    attach_pdfs = models.BooleanField("joindre le PDF de chaque facture", default=True)
    # Edition 03 « ASAP ORMC CPP »: the DGFiP prints and posts the avis des sommes à payer
    # from the joined PDFs; otherwise 04 « ASAP sans traitement DGFIP », the authority
    # having sent its invoices itself (by email or paper).
    dgfip_prints_notices = models.BooleanField(
        "avis des sommes à payer édités et envoyés par la DGFiP", default=False
    )

    class Meta:
        verbose_name = "réglages de comptabilité publique"
        verbose_name_plural = "réglages de comptabilité publique"
        constraints = [
            models.CheckConstraint(
                condition=Q(pieces_per_file__gte=1, pieces_per_file__lte=PIECES_PER_FILE_MAX),
                name="pes_pieces_per_file_range",
            ),
        ]

    def __str__(self):
        return f"Comptabilité publique de {self.authority}"

    @property
    def is_pes(self) -> bool:
        return self.collection_mode == CollectionMode.PES

    def codes_of(self, kind: str) -> tuple[str, str]:
        """(nature, code produit) of a kind of invoice line, "" when not set."""
        codes = (self.line_codes or {}).get(kind) or {}
        return str(codes.get("nature") or "").strip(), str(codes.get("product") or "").strip()


class PesFileStatus(models.TextChoices):
    GENERATED = "genere", "Généré"
    TRANSMITTED = "transmis", "Transmis"
    ACCEPTED = "accepte", "Accepté"
    REJECTED = "rejete", "Rejeté"


class PesFileKind(models.TextChoices):
    ROLE = "role", "Rôle"
    CREDIT = "annulation", "Annulation-réduction"


class PesFile(TimeStampedModel):
    """One PES_Aller file of a run's rôle: one bordereau (IdBord, numbered without gaps
    per authority and exercice) of at most `pieces_per_file` pieces, one piece per invoice.

    Its life: généré → transmis (date, agent) → accepté or rejeté (date, reason). A file
    transmitted can no longer be regenerated. A rejected bordereau never reached Hélios'
    books: its number goes to the run's next file, so the sequence Hélios sees has no hole.

    A file of kind « Annulation-réduction » carries avoirs (`billing.CreditNote.pes_file`)
    instead of a run's invoices: no run, one piece per avoir, numbered in the same
    sequence of bordereaux, with the same life.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    kind = models.CharField(
        "type de bordereau", max_length=20, choices=PesFileKind.choices, default=PesFileKind.ROLE
    )
    # None for an annulation-réduction file (its avoirs may come from several runs).
    run = models.ForeignKey(
        "billing.BillingRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pes_files",
        verbose_name="facturation",
    )
    year = models.PositiveSmallIntegerField("exercice")
    bordereau = models.PositiveIntegerField("n° de bordereau (IdBord)")
    part = models.PositiveSmallIntegerField("n° du fichier dans le rôle", default=1)
    name = models.CharField("nom du fichier (NomFic)", max_length=100)
    status = models.CharField(
        "statut", max_length=20, choices=PesFileStatus.choices, default=PesFileStatus.GENERATED
    )
    pieces = models.PositiveIntegerField("pièces (factures)", default=0)
    lines = models.PositiveIntegerField("lignes", default=0)
    debited = models.PositiveIntegerField("factures prélevées", default=0)
    attachments = models.PositiveIntegerField("PDF joints", default=0)
    total_ht_cents = models.BigIntegerField("montant HT (centimes)", default=0)
    vat_cents = models.BigIntegerField("TVA (centimes)", default=0)
    first_invoice_id = models.PositiveBigIntegerField("première facture", default=0)
    last_invoice_id = models.PositiveBigIntegerField("dernière facture", default=0)
    # Which invoice each piece of a rôle carried, as written: the invoices' pks in the
    # order of their pieces (ascending), each as its gap from the one before, separated
    # by commas (« 8231,1,1,4 »: a few characters a piece, one column written with the
    # file). An avoir's reduction names its title by these numbers (`piece_number_of`),
    # which later changes of the invoice (paid, credited) could not give back.
    piece_invoices = models.TextField("factures des pièces (écarts)", blank=True, editable=False)
    file = models.FileField("fichier", storage=private_storage, upload_to="pes/", blank=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    generated_at = models.DateTimeField("généré le")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="généré par",
    )
    transmitted_at = models.DateTimeField("transmis le", null=True, blank=True)
    transmitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="transmis par",
    )
    answered_at = models.DateTimeField("réponse du comptable le", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="réponse enregistrée par",
    )
    reason = models.TextField("motif du rejet", blank=True)

    class Meta:
        verbose_name = "fichier PES"
        verbose_name_plural = "fichiers PES"
        ordering = ["-year", "-bordereau", "-created_at"]
        indexes = [models.Index(fields=["authority", "run"], name="pesfile_run")]
        constraints = [
            # A rejected file keeps its row (its history) and gives its number back.
            models.UniqueConstraint(
                fields=["authority", "year", "bordereau"],
                condition=~Q(status="rejete"),
                name="unique_pes_bordereau",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejete") | ~Q(reason=""), name="pes_rejected_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(kind="role", run__isnull=False)
                | Q(kind="annulation", run__isnull=True),
                name="pes_file_run_of_its_kind",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def total_cents(self) -> int:
        return self.total_ht_cents + self.vat_cents

    @staticmethod
    def piece_invoices_encode(invoice_ids: list[int]) -> str:
        previous = 0
        gaps = []
        for invoice_id in invoice_ids:
            gaps.append(str(invoice_id - previous))
            previous = invoice_id
        return ",".join(gaps)

    def piece_number_of(self, invoice_pk: int) -> int | None:
        """The IdPce of the piece that carried the invoice in this file, None if none did."""
        if (
            not self.piece_invoices
            or not self.first_invoice_id <= invoice_pk <= self.last_invoice_id
        ):
            return None
        current = 0
        for number, gap in enumerate(self.piece_invoices.split(","), 1):
            current += int(gap)
            if current == invoice_pk:
                return number
            if current > invoice_pk:
                return None
        return None


class PesBordereauSequence(models.Model):
    """The gapless counter of bordereau numbers (IdBord) of an authority for one exercice;
    taken under this row's lock in the transaction that records the files."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    year = models.PositiveSmallIntegerField("exercice")
    next_value = models.PositiveIntegerField("prochain n° de bordereau", default=1)

    class Meta:
        verbose_name = "numérotation des bordereaux"
        verbose_name_plural = "numérotations des bordereaux"
        constraints = [
            models.UniqueConstraint(fields=["authority", "year"], name="unique_pes_sequence_year"),
            models.CheckConstraint(
                condition=Q(next_value__gte=1) & Q(next_value__lte=9_999_999),
                name="pes_sequence_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.year} : prochain bordereau n° {self.next_value}"


class PesGenerationStatus(models.TextChoices):
    PENDING = "en_attente", "En attente"
    RUNNING = "en_cours", "En cours de génération"
    DONE = "terminee", "Générée et contrôlée"
    FAILED = "echec", "Échec"


# A generation waiting or running with no progress for this long lost its worker: it may be
# asked again (as a billing run may be resumed).
GENERATION_STALLED_AFTER = datetime.timedelta(minutes=10)


class PesGeneration(TimeStampedModel):
    """The generation of a run's rôle, done by a task (`levee/treasury/tasks.py`): one row
    per run, asked again for each regeneration. One runs at a time per run; its progress is
    the pieces written out of those to write. A failure keeps its French message and leaves
    no file; the rôle may then be asked again."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    run = models.OneToOneField(
        "billing.BillingRun",
        on_delete=models.PROTECT,
        related_name="pes_generation",
        verbose_name="facturation",
    )
    status = models.CharField(
        "état",
        max_length=20,
        choices=PesGenerationStatus.choices,
        default=PesGenerationStatus.PENDING,
    )
    # Counts the requests: a worker whose request was superseded (stalled, then asked again)
    # writes nothing on the row.
    attempt = models.PositiveIntegerField("demande n°", default=0)
    pieces_done = models.PositiveIntegerField("pièces écrites", default=0)
    pieces_total = models.PositiveIntegerField("pièces à écrire", default=0)
    files = models.PositiveSmallIntegerField("fichiers générés", default=0)
    message = models.TextField("message", blank=True)
    requested_at = models.DateTimeField("demandée le")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandée par",
    )
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "génération de rôle"
        verbose_name_plural = "générations de rôles"

    def __str__(self):
        return f"Génération du rôle de {self.run_id} : {self.get_status_display()}"

    @property
    def is_going_on(self) -> bool:
        return self.status in (PesGenerationStatus.PENDING, PesGenerationStatus.RUNNING)

    @property
    def is_stalled(self) -> bool:
        return self.is_going_on and self.updated_at < timezone.now() - GENERATION_STALLED_AFTER
