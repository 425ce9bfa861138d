from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.http.request import validate_host
from django.urls import reverse

from levee.lib.colors import contrast_ratio, validate_hex_color
from levee.lib.hosts import platform_hosts
from levee.lib.models import TimeStampedModel
from levee.lib.text import of_name, the_name, to_name


class Commune(models.Model):
    """A current French commune (reference data from @etalab/decoupage-administratif)."""

    insee = models.CharField("code INSEE", max_length=5, unique=True)
    name = models.CharField("nom", max_length=120)
    search_name = models.CharField(
        max_length=120, db_index=True, editable=False, verbose_name="nom de recherche"
    )
    department = models.CharField("département", max_length=3)
    epci_siren = models.CharField("EPCI (SIREN)", max_length=9, blank=True, db_index=True)
    population = models.PositiveIntegerField(default=0, verbose_name="population")

    class Meta:
        ordering = ["name"]
        verbose_name = "commune"
        verbose_name_plural = "communes"

    def __str__(self):
        return f"{self.name} ({self.department})"


class CommunePostalCode(models.Model):
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="postal_codes", verbose_name="commune"
    )
    postal_code = models.CharField("code postal", max_length=5, db_index=True)

    class Meta:
        verbose_name = "code postal d'une commune"
        verbose_name_plural = "codes postaux des communes"
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "postal_code"], name="unique_commune_postal_code"
            )
        ]

    def __str__(self):
        return f"{self.postal_code} {self.commune.name}"


class Epci(models.Model):
    siren = models.CharField(max_length=9, unique=True, verbose_name="SIREN")
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=10)

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"

    def __str__(self):
        return self.name


slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Le slug ne peut contenir que des minuscules sans accent, des chiffres et des tirets.",
)

# A host name as the operator types it in the admin: lower case, no scheme, no port, no path.
host_validator = RegexValidator(
    r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$",
    "Saisissez un nom d'hôte seul, en minuscules, sans « https:// » ni chemin : par exemple "
    "dechets.example.org.",
)

DEFAULT_PERSONAL_DATA = """Le responsable du traitement est la collectivité nommée ci-dessus.

Finalités : gestion du service public de collecte des déchets ménagers, facturation de la
redevance incitative, relation avec les usagers (demandes, informations de service).

Base légale : mission de service public (article 6.1.e du RGPD).

Données traitées : identité, coordonnées, adresse de production des déchets, bacs, levées et
apports, factures et règlements, pièces justificatives transmises.

Durées de conservation : le compte et ses données pendant toute la durée de l'abonnement puis
5 ans ; les factures et règlements 10 ans (obligations comptables) ; les justificatifs de
domicile 1 an après le traitement de la demande ; les journaux de connexion 1 an.

Destinataires : les agents habilités de la collectivité, le comptable public (trésorerie)
pour le recouvrement, et les prestataires de collecte pour les seules données des bacs.

Vos droits : accès, rectification, effacement, limitation, opposition. Adressez-vous au
délégué à la protection des données de la collectivité ; en cas de difficulté, vous pouvez
saisir la CNIL (www.cnil.fr)."""

DEFAULT_CGU = """Le service en ligne permet à chaque usager du service public de collecte des déchets
de consulter son compte, ses bacs, ses levées et ses factures, de régler ses factures et
d'adresser des demandes à la collectivité.

L'usager s'engage à fournir des informations exactes et à garder son mot de passe secret.
Les pièces justificatives transmises ne servent qu'au traitement de sa demande.

La collectivité peut suspendre un accès en cas d'usage frauduleux. Les présentes conditions
peuvent évoluer ; la version en vigueur est celle publiée sur ce site."""


class Authority(TimeStampedModel):
    """A collectivité: collects and bills waste; the tenant of the platform."""

    name = models.CharField("nom", max_length=200, unique=True)
    short_name = models.CharField("nom court", max_length=40, blank=True)
    slug = models.SlugField(
        "identifiant dans les adresses", max_length=60, unique=True, validators=[slug_validator]
    )
    code = models.CharField(
        "code collectivité",
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d{5}$", "Le code collectivité compte 5 chiffres.")],
    )
    epci_siren = models.CharField("EPCI (SIREN)", max_length=9, blank=True)
    communes = models.ManyToManyField(
        Commune,
        through="AuthorityCommune",
        related_name="authorities",
        verbose_name="communes desservies",
    )
    logo = models.ImageField("logo", upload_to="logos/", blank=True)
    primary_color = models.CharField(
        "couleur principale",
        max_length=7,
        default="#1d4e89",
        validators=[validate_hex_color],
        help_text="Fond des bandeaux et des boutons, sous un texte blanc.",
    )
    contact_email = models.EmailField("email de contact")
    contact_phone = models.CharField("téléphone de contact", max_length=20, blank=True)
    address = models.TextField("adresse postale", blank=True)
    website = models.URLField("site internet", blank=True)
    siret = models.CharField(
        "SIRET",
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^\d{14}$", "Le SIRET compte 14 chiffres.")],
    )
    payment_recipient = models.CharField("destinataire des paiements", max_length=200, blank=True)
    payment_recipient_address = models.TextField(
        "adresse du destinataire des paiements", blank=True
    )
    payment_recipient_phone = models.CharField(
        "téléphone du destinataire", max_length=20, blank=True
    )
    payment_recipient_hours = models.CharField(
        "horaires du destinataire", max_length=200, blank=True
    )
    dpo_contact = models.CharField(
        "contact du délégué à la protection des données", max_length=200, blank=True
    )
    cgu = models.TextField("conditions générales d'utilisation", default=DEFAULT_CGU)
    legal_notice = models.TextField("mentions légales", blank=True)
    personal_data = models.TextField("données personnelles", default=DEFAULT_PERSONAL_DATA)
    signup_with_references = models.BooleanField(
        "création d'espace avec les références (nom + identifiant portail)", default=True
    )
    signup_with_proof = models.BooleanField(
        "ouverture de compte sans références (justificatif de domicile)", default=False
    )
    is_active = models.BooleanField("active", default=True)
    # Its own host name, set by the operator: the portal is then served there at the root
    # (levee.authorities.middleware), and its emails link there. The database knows its
    # default too: code written against the table before the column (a data migration
    # of another app, a process not yet restarted) still inserts authorities.
    host = models.CharField(
        "nom d'hôte",
        max_length=253,
        blank=True,
        default="",
        db_default="",
        validators=[host_validator],
        help_text=(
            "Facultatif : le portail de la collectivité est alors servi à la racine de ce nom "
            "(par exemple dechets.example.org), dont le DNS et le certificat TLS doivent "
            "désigner la plateforme ; ses emails y renvoient."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        constraints = [
            models.UniqueConstraint(
                fields=["host"],
                condition=~models.Q(host=""),
                name="unique_authority_host",
                violation_error_message="Une autre collectivité a déjà ce nom d'hôte.",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("authorities:home", args=[self.slug])

    def clean(self):
        if self.slug and self.slug.lower() in settings.RESERVED_SLUGS:
            raise ValidationError({"slug": "Ce slug est réservé par la plateforme."})
        if self.host and validate_host(self.host, platform_hosts()):
            raise ValidationError(
                {
                    "host": "Ce nom d'hôte est celui de la plateforme (ALLOWED_HOSTS) : choisissez-en un autre."
                }
            )
        if self.primary_color:
            try:
                ratio = contrast_ratio(self.primary_color, "#ffffff")
            except ValueError:
                return
            if ratio < 4.5:
                raise ValidationError(
                    {
                        "primary_color": (
                            f"Le contraste avec le texte blanc est de {ratio:.2f}:1, en dessous "
                            "du minimum de 4,5:1 exigé par le RGAA (WCAG AA). Choisissez une "
                            "couleur plus foncée."
                        )
                    }
                )

    @property
    def display_short_name(self) -> str:
        return self.short_name or self.name

    @property
    def of_name(self) -> str:
        """« de la Communauté de Communes de Flandre Intérieure », « du Syndicat… »: the
        name after « de », with its article or elision."""
        return of_name(self.name)

    @property
    def of_short_name(self) -> str:
        """« de la CCFI »: the short name (or the name) after « de »."""
        return of_name(self.display_short_name)

    @property
    def the_name(self) -> str:
        """« la Communauté de Communes de Flandre Intérieure », « le Syndicat… »: the name
        as the subject of a sentence."""
        return the_name(self.name)

    @property
    def to_name(self) -> str:
        """« à la Communauté de Communes de Flandre Intérieure », « au Syndicat… »."""
        return to_name(self.name)

    @property
    def siret_display(self) -> str:
        s = self.siret
        if len(s) != 14:
            return s
        return f"{s[0:3]} {s[3:6]} {s[6:9]} {s[9:14]}"


class AuthorityCommune(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, verbose_name="collectivité")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, verbose_name="commune")

    class Meta:
        verbose_name = "commune desservie"
        verbose_name_plural = "communes desservies"
        constraints = [
            # One commune is served by one authority at most for household waste.
            models.UniqueConstraint(fields=["commune"], name="one_authority_per_commune"),
        ]

    def __str__(self):
        return f"{self.commune} → {self.authority}"
