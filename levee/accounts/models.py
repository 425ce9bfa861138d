from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from levee.lib.models import TimeStampedModel
from levee.lib.storage import private_storage


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db, force_insert=True)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_active", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person's login (identifiants), platform-wide; may reach several accounts."""

    email = models.EmailField("adresse email", max_length=254, unique=True)
    first_name = models.CharField("prénom", max_length=100, blank=True)
    last_name = models.CharField("nom", max_length=100, blank=True)
    is_active = models.BooleanField("actif", default=False)
    is_staff = models.BooleanField("accès à l'administration", default=False)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)
    activated_at = models.DateTimeField("activé le", null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "identifiant"
        verbose_name_plural = "identifiants"
        constraints = [models.UniqueConstraint(Lower("email"), name="unique_user_email_ci")]

    def __str__(self):
        return self.email


class AccountAccess(TimeStampedModel):
    """A login's link to an account (one household may share an account)."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="account_accesses", verbose_name="identifiant"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.CASCADE,
        related_name="accesses",
        verbose_name="compte usager",
    )

    class Meta:
        verbose_name = "accès à un compte"
        verbose_name_plural = "accès aux comptes"
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="unique_user_account")
        ]

    def __str__(self):
        return f"{self.user} → {self.account}"


class PendingSignup(TimeStampedModel):
    """« Je crée mon espace » waiting for its activation link: the login is created only when
    the owner of the email follows it, so that no form ever touches an existing login."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.CASCADE,
        related_name="pending_signups",
        verbose_name="compte usager",
    )
    email = models.EmailField("adresse email", max_length=254)
    password = models.CharField("mot de passe (empreinte)", max_length=128)
    used_at = models.DateTimeField("activée le", null=True, blank=True)

    class Meta:
        verbose_name = "création d'espace en attente"
        verbose_name_plural = "créations d'espace en attente"
        indexes = [models.Index(Lower("email"), name="pending_signup_email_ci")]

    def __str__(self):
        return f"{self.email} → {self.account}"


class LegalForm(models.TextChoices):
    PARTICULIER = "particulier", "Particulier"
    PROFESSIONNEL = "professionnel", "Professionnel"
    ADMINISTRATION = "administration", "Administration"
    ASSOCIATION = "association", "Association"


class OpeningStatus(models.TextChoices):
    EMAIL_PENDING = "email_pending", "En attente de confirmation de l'email"
    PENDING = "pending", "À traiter"
    ACCEPTED = "accepted", "Validée"
    REFUSED = "refused", "Refusée"


class AccountOpeningRequest(TimeStampedModel):
    """« Demande d'ouverture de mon compte » (seed 000): waits for an agent's decision."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, verbose_name="collectivité"
    )
    # Set once the email is confirmed (the login is created then, inactive until an agent
    # accepts); before that the request keeps its own email and password hash.
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="opening_requests",
        verbose_name="identifiant",
    )
    email = models.EmailField("adresse email", max_length=254, blank=True)
    password = models.CharField("mot de passe (empreinte)", max_length=128, blank=True)
    status = models.CharField(
        max_length=20,
        choices=OpeningStatus.choices,
        default=OpeningStatus.EMAIL_PENDING,
        verbose_name="statut",
    )
    legal_form = models.CharField("nature juridique", max_length=20, choices=LegalForm.choices)
    civility = models.CharField("civilité", max_length=10)
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    mobile = models.CharField("téléphone mobile", max_length=20, blank=True)
    commune = models.ForeignKey(
        "authorities.Commune", on_delete=models.PROTECT, verbose_name="commune"
    )
    postal_code = models.CharField("code postal", max_length=5)
    street = models.CharField("nom de voie", max_length=200)
    number = models.CharField("numéro de voie", max_length=10, blank=True)
    number_suffix = models.CharField("suffixe", max_length=10, blank=True)
    complement = models.CharField("complément d'adresse", max_length=200, blank=True)
    proof = models.FileField(
        "justificatif de domicile", storage=private_storage, upload_to="proofs/%Y/%m/"
    )
    proof_content_type = models.CharField(max_length=50, verbose_name="type du justificatif")
    cgu_accepted_at = models.DateTimeField(verbose_name="CGU acceptées le")
    email_confirmed_at = models.DateTimeField(
        null=True, blank=True, verbose_name="email confirmé le"
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name="décidé le")
    decided_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="décidé par",
    )
    refusal_reason = models.TextField("motif du refus", blank=True)
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="compte usager",
    )

    class Meta:
        verbose_name = "demande d'ouverture de compte"
        verbose_name_plural = "demandes d'ouverture de compte"
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.last_name} {self.first_name} ({self.get_status_display()})"

    @property
    def address_line(self) -> str:
        number = " ".join(p for p in (self.number, self.number_suffix) if p)
        street = " ".join(p for p in (number, self.street) if p)
        parts = [street, self.complement, f"{self.postal_code} {self.commune.name}"]
        return " ".join(p for p in parts if p)
