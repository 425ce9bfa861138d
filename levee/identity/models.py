from django.db import models

from levee.lib.models import TimeStampedModel


class Provider(models.TextChoices):
    FRANCECONNECT = "franceconnect", "FranceConnect"
    PROCONNECT = "proconnect", "ProConnect"


class IdentityLink(TimeStampedModel):
    """A login reached through a State identity: the provider's subject (`sub`, stable for
    this service) is linked to one login only after the person proved he holds it (his
    password, his invoice references, or an agent's email for ProConnect); never by email
    alone for residents."""

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="identity_links",
        verbose_name="identifiant",
    )
    provider = models.CharField("fournisseur", max_length=20, choices=Provider.choices)
    subject = models.CharField("identifiant chez le fournisseur (sub)", max_length=255)
    last_login_at = models.DateTimeField("dernière connexion", null=True, blank=True)

    class Meta:
        verbose_name = "identité liée"
        verbose_name_plural = "identités liées"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="identity_link_one_login_per_identity"
            ),
            models.UniqueConstraint(
                fields=["user", "provider"], name="identity_link_one_identity_per_provider"
            ),
        ]

    def __str__(self):
        return f"{self.get_provider_display()} → {self.user}"


class SignupIdentity(TimeStampedModel):
    """A sign-up with invoice references made after a FranceConnect identification: the
    identity is linked to the login that its activation link creates, and to nothing else."""

    pending_signup = models.OneToOneField(
        "accounts.PendingSignup",
        on_delete=models.CASCADE,
        related_name="identity",
        verbose_name="création d'espace",
    )
    provider = models.CharField("fournisseur", max_length=20, choices=Provider.choices)
    subject = models.CharField("identifiant chez le fournisseur (sub)", max_length=255)

    class Meta:
        verbose_name = "identité d'une création d'espace"
        verbose_name_plural = "identités des créations d'espace"

    def __str__(self):
        return f"{self.get_provider_display()} → {self.pending_signup}"


class ProConnectPolicy(TimeStampedModel):
    """An authority whose administrator requires ProConnect of its agents: their password
    no longer opens the back office."""

    authority = models.OneToOneField(
        "authorities.Authority",
        on_delete=models.CASCADE,
        related_name="proconnect_policy",
        verbose_name="collectivité",
    )
    required = models.BooleanField("ProConnect exigé des agents", default=False)

    class Meta:
        verbose_name = "exigence ProConnect"
        verbose_name_plural = "exigences ProConnect"

    def __str__(self):
        return str(self.authority)
