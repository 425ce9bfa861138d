"""Online payments of invoices (PayFiP or the sandbox) and SEPA direct-debit mandates."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage
from levee.lib.text import iban_mask


class GatewayName(models.TextChoices):
    SANDBOX = "sandbox", "Bac à sable (aucun paiement réel)"
    PAYFIP = "payfip", "PayFiP (DGFiP)"


class PayfipMode(models.TextChoices):
    """PayFiP's « saisie »: T for the test environment, W for real payments."""

    TEST = "T", "T — test"
    PRODUCTION = "W", "W — production"


class PaymentSettings(models.Model):
    """How an authority takes online payments, and who it debits as a SEPA creditor."""

    authority = models.OneToOneField(
        "authorities.Authority",
        on_delete=models.CASCADE,
        related_name="payment_settings",
        verbose_name="collectivité",
    )
    gateway = models.CharField(
        "service de paiement", max_length=20, choices=GatewayName.choices, default="sandbox"
    )
    payfip_numcli = models.CharField("numéro client PayFiP (numcli)", max_length=6, blank=True)
    payfip_saisie = models.CharField(
        "saisie PayFiP", max_length=1, choices=PayfipMode.choices, default=PayfipMode.TEST
    )
    # The SEPA creditor identifier (ICS) under which the mandates' RUM are issued.
    creditor_identifier = models.CharField(
        "identifiant créancier SEPA (ICS)", max_length=35, blank=True
    )
    # The régie's own account, credited by its SEPA direct-debit files (pain.008): the
    # creditor's IBAN and BIC. Unused in PES mode (the public accountant debits).
    creditor_iban = models.CharField("IBAN de la régie", max_length=34, blank=True)
    creditor_bic = models.CharField("BIC de la régie", max_length=11, blank=True)

    class Meta:
        verbose_name = "réglages de paiement"
        verbose_name_plural = "réglages de paiement"

    def __str__(self):
        return f"Paiement de {self.authority}"


class PaymentStatus(models.TextChoices):
    WAITING = "en_attente", "En attente"
    PAID = "paye", "Payé"
    REFUSED = "refuse", "Refusé"
    ABANDONED = "abandonne", "Abandonné"
    EXPIRED = "expire", "Expiré"
    # Paid while its invoice was already paid (or no longer due): recorded, never applied
    # to the invoice, to be refunded by the authority.
    DUPLICATE = "paye_en_double", "Payé en double (à rembourser)"


class PaymentMethod(models.TextChoices):
    CARD = "carte", "Carte bancaire"
    DEBIT = "prelevement", "Prélèvement"
    OTHER = "autre", "Autre"
    # Recorded by an agent or imported from the accountant's collections (COLLECTIONS.md).
    CHEQUE = "cheque", "Chèque"
    CASH = "especes", "Espèces"
    TRANSFER = "virement", "Virement"
    COUNTER_CARD = "carte_guichet", "Carte bancaire au guichet"


# The modes an agent records, in the order the form offers them.
RECORDED_METHODS = [
    PaymentMethod.CHEQUE,
    PaymentMethod.CASH,
    PaymentMethod.TRANSFER,
    PaymentMethod.COUNTER_CARD,
    PaymentMethod.DEBIT,
]
# The recorded modes whose reference (cheque number, transfer reference) is required.
REFERENCE_REQUIRED = frozenset({PaymentMethod.CHEQUE, PaymentMethod.TRANSFER})


class PaymentChannel(models.TextChoices):
    """How a payment reached Levée: online through its gateway, or recorded afterwards."""

    ONLINE = "en_ligne", "Paiement en ligne"
    AGENT = "agent", "Enregistré par un agent"
    IMPORT = "import", "Importé (encaissements du comptable)"


class CollectionImport(TimeStampedModel):
    """One CSV of the accountant's collections imported (`COLLECTIONS.md`): the same content
    twice is imported once (its SHA-256 is unique per authority), each line is applied or
    listed with its reason in `report`, all in one transaction."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    filename = models.CharField("nom du fichier", max_length=255, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    lines = models.PositiveIntegerField("lignes", default=0)
    applied = models.PositiveIntegerField("règlements enregistrés", default=0)
    applied_cents = models.BigIntegerField("montant enregistré (centimes)", default=0)
    # [{"line": 2, "invoice": "…", "amount_cents": 1234, "outcome": "applied"|"ignored",
    #   "message": "…"}]
    report = models.JSONField("compte rendu", default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="importé par",
    )

    class Meta:
        verbose_name = "import d'encaissements"
        verbose_name_plural = "imports d'encaissements"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "sha256"], name="unique_collection_import"
            ),
        ]

    def __str__(self):
        return self.filename or self.sha256[:12]

    @property
    def ignored(self) -> int:
        return self.lines - self.applied


class Payment(TimeStampedModel):
    """One attempt to pay one invoice online (a règlement once it is paid), or a payment
    received otherwise and recorded by an agent or imported (`channel`), paid at once.

    The status of an online payment moves only from « en attente » to a final one, by a
    conditional update, so that the notification, the return page and the periodic check
    settle it once. An invoice has at most one paid online payment and at most one waiting
    at a time; it may hold several recorded ones, which add up (`recorded.py`).
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="payments", verbose_name="facture"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="compte usager",
    )
    channel = models.CharField(
        "origine", max_length=20, choices=PaymentChannel.choices, default=PaymentChannel.ONLINE
    )
    # Empty for a recorded payment: no gateway took it.
    gateway = models.CharField("service", max_length=20, choices=GatewayName.choices, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.WAITING
    )
    method = models.CharField("moyen", max_length=20, choices=PaymentMethod.choices, blank=True)
    amount_cents = models.BigIntegerField("montant (centimes)")
    email = models.EmailField("email du payeur", blank=True)
    # The gateway's order id (PayFiP's idop), how notifications find the payment.
    order_id = models.CharField("identifiant de l'opération", max_length=64, blank=True)
    transaction_id = models.CharField("référence de la transaction", max_length=64, blank=True)
    paid_at = models.DateTimeField("payé le", null=True, blank=True)
    last_checked_at = models.DateTimeField("dernière vérification", null=True, blank=True)
    checks = models.PositiveSmallIntegerField("vérifications", default=0)
    detail = models.JSONField("réponse du service", default=dict, blank=True)
    # What the gateway says was paid. When it differs from `amount_cents`, or when the
    # payment came twice, the agents see it in « Paiements à vérifier » until one of them
    # marks it checked.
    paid_amount_cents = models.BigIntegerField(
        "montant payé selon le service (centimes)", null=True, blank=True
    )
    reviewed_at = models.DateTimeField("vérifié le", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="vérifié par",
    )
    # A recorded payment: its cheque number or transfer reference, who recorded it, the
    # collections file it came from and that file's key of its line (unique per authority).
    reference = models.CharField("référence du règlement", max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="enregistré par",
    )
    collection_import = models.ForeignKey(
        CollectionImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="import d'encaissements",
    )
    line_key = models.CharField("clé de la ligne importée", max_length=64, blank=True)
    # What this payment brought beyond the invoice's total (the sum of its payments then
    # exceeded it): listed to the agents in « Paiements à vérifier », to refund.
    excess_cents = models.BigIntegerField("trop-perçu (centimes)", default=0)

    class Meta:
        verbose_name = "règlement"
        verbose_name_plural = "règlements"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["authority", "-created_at"], name="payment_authority"),
            models.Index(fields=["status", "last_checked_at"], name="payment_waiting"),
        ]
        constraints = [
            # A second online payment of a paid invoice is « payé en double », never paid.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="paye", channel="en_ligne"),
                name="one_paid_online_payment_per_invoice",
            ),
            # The same cheque (or transfer) recorded twice on an invoice, by two agents at
            # once or by an agent and an import, is refused.
            models.UniqueConstraint(
                fields=["invoice", "method", "reference"],
                condition=~Q(channel="en_ligne") & ~Q(reference=""),
                name="unique_recorded_payment_reference",
            ),
            models.UniqueConstraint(
                fields=["authority", "line_key"],
                condition=~Q(line_key=""),
                name="unique_collection_line",
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="en_attente"),
                name="one_waiting_payment_per_invoice",
            ),
            models.UniqueConstraint(
                fields=["gateway", "order_id"],
                condition=~Q(order_id=""),
                name="unique_payment_order_id",
            ),
            models.CheckConstraint(
                condition=~Q(status="paye") | Q(paid_at__isnull=False), name="payment_paid_date"
            ),
            models.CheckConstraint(
                condition=Q(channel="en_ligne") | Q(amount_cents__gt=0),
                name="recorded_payment_amount_positive",
            ),
        ]

    def __str__(self):
        return f"Règlement {self.invoice_id} ({self.get_status_display()})"

    @property
    def amount_differs(self) -> bool:
        return self.paid_amount_cents is not None and self.paid_amount_cents != self.amount_cents

    @property
    def is_recorded(self) -> bool:
        return self.channel != PaymentChannel.ONLINE


class SandboxResult(models.TextChoices):
    """The sandbox's transaction results, PayFiP's `resultrans` codes."""

    NONE = "", "En cours"
    CARD_PAID = "P", "Payé par carte"
    DEBIT_PAID = "V", "Payé par prélèvement"
    REFUSED = "R", "Refusé"
    ABANDONED = "A", "Abandonné"


class SandboxTransaction(TimeStampedModel):
    """The sandbox gateway's own record of an operation, as PayFiP keeps its idop: its
    screens fill it in and its status call answers from it, never from the portal's
    `Payment`."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    idop = models.CharField("identifiant de l'opération", max_length=64, unique=True)
    refdet = models.CharField("référence de la dette", max_length=30)
    exer = models.CharField("exercice", max_length=4)
    amount_cents = models.BigIntegerField("montant (centimes)")
    email = models.EmailField("adresse électronique")
    return_url = models.CharField("adresse de retour", max_length=500)
    result = models.CharField(
        "résultat", max_length=1, choices=SandboxResult.choices, blank=True, default=""
    )
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "opération du bac à sable"
        verbose_name_plural = "opérations du bac à sable"

    def __str__(self):
        return self.idop


class DebitSchedule(models.TextChoices):
    MONTHLY = "mensuel", "Prélèvement mensuel"
    PER_INVOICE = "echeance", "Prélèvement à l'échéance de chaque facture"


class MandateStatus(models.TextChoices):
    ACTIVE = "actif", "Actif"
    REVOKED = "revoque", "Révoqué"
    # Two debits in a row rejected by the bank (`levee/payments/DEBIT_FILES.md`).
    SUSPENDED = "suspendu", "Suspendu"


class Mandate(TimeStampedModel):
    """A SEPA direct-debit mandate of an account, under the authority's creditor identifier.

    Its unique reference (RUM) is unique per authority.
    """

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name="compte usager",
    )
    rum = models.CharField("référence unique du mandat (RUM)", max_length=35)
    creditor_identifier = models.CharField("identifiant créancier SEPA (ICS)", max_length=35)
    schedule = models.CharField("échéancier", max_length=20, choices=DebitSchedule.choices)
    holder_name = models.CharField("titulaire du compte", max_length=200)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    signed_on = models.DateField("date de signature")
    status = models.CharField(
        "statut", max_length=20, choices=MandateStatus.choices, default=MandateStatus.ACTIVE
    )
    revoked_on = models.DateField("révoqué le", null=True, blank=True)
    suspended_on = models.DateField("suspendu le", null=True, blank=True)
    request = models.ForeignKey(
        "requests.ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="demande",
    )

    class Meta:
        verbose_name = "mandat de prélèvement"
        verbose_name_plural = "mandats de prélèvement"
        ordering = ["-signed_on"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "rum"], name="unique_mandate_rum"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="actif"), name="one_active_mandate"
            ),
        ]

    def __str__(self):
        return self.rum

    @property
    def iban_masked(self) -> str:
        return iban_mask(self.iban)


class DebitStatus(models.TextChoices):
    PLANNED = "prevu", "Prévu"
    SENT = "transmis", "Transmis"
    CANCELLED = "annule", "Annulé"
    # Returned by the debtor's bank (a R-transaction of the rejects file).
    REJECTED = "rejete", "Rejeté"


class DebitSequence(models.TextChoices):
    FIRST = "FRST", "Premier prélèvement (FRST)"
    RECURRENT = "RCUR", "Prélèvement récurrent (RCUR)"


class DebitFileStatus(models.TextChoices):
    GENERATED = "genere", "Généré"
    TRANSMITTED = "transmis", "Transmis"


class DebitFile(TimeStampedModel):
    """One SEPA direct-debit file (pain.008.001.02) of a régie: the planned debits due up
    to a date, one PmtInf per sequence type and collection date (`DEBIT_FILES.md`).

    Its life: généré → transmis (date, agent). A file generated again replaces the one not
    yet transmitted; a transmitted file is never regenerated, its debits are « transmis »."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    name = models.CharField("nom du fichier", max_length=100)
    message_id = models.CharField("identifiant du message (MsgId)", max_length=35)
    up_to = models.DateField("prélèvements dus jusqu'au")
    status = models.CharField(
        "statut",
        max_length=20,
        choices=DebitFileStatus.choices,
        default=DebitFileStatus.GENERATED,
    )
    count = models.PositiveIntegerField("prélèvements", default=0)
    total_cents = models.BigIntegerField("montant (centimes)", default=0)
    first_collection_on = models.DateField("première date d'échéance", null=True, blank=True)
    last_collection_on = models.DateField("dernière date d'échéance", null=True, blank=True)
    file = models.FileField(
        "fichier", storage=private_storage, upload_to="prelevements/", blank=True
    )
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

    class Meta:
        verbose_name = "fichier de prélèvements"
        verbose_name_plural = "fichiers de prélèvements"
        ordering = ["-generated_at", "-pk"]
        indexes = [models.Index(fields=["authority", "-generated_at"], name="debitfile_authority")]

    def __str__(self):
        return self.name


class DebitRejectImport(TimeStampedModel):
    """One rejects file of the bank imported (`DEBIT_FILES.md`): the same content twice is
    imported once (its SHA-256 is unique per authority); its report lists every line."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    filename = models.CharField("nom du fichier", max_length=255, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    lines = models.PositiveIntegerField("lignes", default=0)
    applied = models.PositiveIntegerField("rejets appliqués", default=0)
    # [{"line": 2, "reference": "…", "outcome": "applied"|"ignored", "message": "…"}]
    report = models.JSONField("compte rendu", default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="importé par",
    )

    class Meta:
        verbose_name = "import de rejets de prélèvement"
        verbose_name_plural = "imports de rejets de prélèvement"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "sha256"], name="unique_debit_reject_import"
            ),
        ]

    def __str__(self):
        return self.filename or self.sha256[:12]


class ScheduledDebit(models.Model):
    """One coming debit of a mandate (a line of the « échéancier »)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, related_name="debits", verbose_name="mandat"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="debits", verbose_name="facture"
    )
    due_on = models.DateField("date de prélèvement")
    amount_cents = models.BigIntegerField("montant (centimes)")
    status = models.CharField(
        "statut", max_length=20, choices=DebitStatus.choices, default=DebitStatus.PLANNED
    )
    # Régie mode: the pain.008 file that carries it, its sequence and EndToEndId there.
    file = models.ForeignKey(
        DebitFile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debits",
        verbose_name="fichier de prélèvements",
    )
    sequence = models.CharField(
        "type de séquence", max_length=4, choices=DebitSequence.choices, blank=True
    )
    collection_on = models.DateField("date d'échéance demandée", null=True, blank=True)
    end_to_end_id = models.CharField("référence de bout en bout", max_length=35, blank=True)
    rejected_on = models.DateField("rejeté le", null=True, blank=True)
    reject_reason = models.CharField("motif du rejet", max_length=4, blank=True)
    reject_import = models.ForeignKey(
        DebitRejectImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="debits",
        verbose_name="import de rejets",
    )

    class Meta:
        verbose_name = "prélèvement prévu"
        verbose_name_plural = "prélèvements prévus"
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["mandate", "invoice", "due_on"], name="unique_scheduled_debit"
            ),
        ]

    def __str__(self):
        return f"{self.due_on} : {self.amount_cents} c"


class PaymentReceipt(models.Model):
    """The « Reçu de paiement » email of one confirmed payment: an online payment settled
    paid, or a scheduled debit taken. One row each (unique), written in the transaction of
    its emails, so a payment is never acknowledged twice."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="receipt",
        verbose_name="règlement en ligne",
    )
    debit = models.OneToOneField(
        ScheduledDebit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="receipt",
        verbose_name="prélèvement",
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.CASCADE, related_name="+", verbose_name="facture"
    )
    amount_cents = models.BigIntegerField("montant (centimes)")
    paid_on = models.DateField("payé le")
    method = models.CharField("moyen", max_length=20, choices=PaymentMethod.choices)
    sent_at = models.DateTimeField("envoyé le", auto_now_add=True)

    class Meta:
        verbose_name = "reçu de paiement"
        verbose_name_plural = "reçus de paiement"
        constraints = [
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(debit__isnull=True))
                | (Q(payment__isnull=True) & Q(debit__isnull=False)),
                name="receipt_of_one_payment",
            ),
        ]

    def __str__(self):
        return f"Reçu {self.invoice_id} : {self.amount_cents} c"
