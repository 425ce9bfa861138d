"""Collection calendars (« Calendriers des collectes »): per commune, or sector inside a
commune, and per flux, the rule of the collection days, the authority's holiday policy, the
agents' one-off exceptions, and the residents' private ICS feed tokens.

Every table carries `authority` itself (PRODUCT.md, decision « scale »): it is the tenant
guard every query filters on.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from levee.collection.models import Flux
from levee.lib.models import TimeStampedModel
from levee.lib.text import fold_compact

from .rules import ChangeKind, HolidayPolicy, Ordinal, Rule, RuleKind, Weekday


class CalendarSettings(TimeStampedModel):
    """What an authority does with a collection that falls on a public holiday."""

    authority = models.OneToOneField(
        "authorities.Authority",
        on_delete=models.CASCADE,
        related_name="calendar_settings",
        verbose_name="collectivité",
    )
    holiday_policy = models.CharField(
        "collecte un jour férié",
        max_length=20,
        choices=HolidayPolicy.choices,
        default=HolidayPolicy.NEXT_DAY,
    )

    class Meta:
        verbose_name = "réglage des calendriers"
        verbose_name_plural = "réglages des calendriers"

    def __str__(self):
        return f"{self.authority} : {self.get_holiday_policy_display()}"


class Sector(TimeStampedModel):
    """A part of a commune collected on its own days, named by the streets it covers."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    commune = models.ForeignKey(
        "authorities.Commune", on_delete=models.PROTECT, related_name="+", verbose_name="commune"
    )
    name = models.CharField("nom", max_length=100)
    streets = models.TextField(
        "rues",
        blank=True,
        help_text="Une rue par ligne, écrite comme dans les adresses des abonnements "
        "(majuscules, accents et espaces ne comptent pas).",
    )

    class Meta:
        verbose_name = "secteur"
        verbose_name_plural = "secteurs"
        ordering = ["commune__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "commune", "name"], name="unique_sector_name"
            )
        ]

    def __str__(self):
        return f"{self.commune.name} — {self.name}"

    @property
    def street_list(self) -> list[str]:
        return [line.strip() for line in self.streets.splitlines() if line.strip()]

    def covers(self, street: str) -> bool:
        """Whether a subscription's street belongs to the sector (case, accents, spaces
        and punctuation ignored)."""
        key = fold_compact(street)
        return bool(key) and key in {fold_compact(s) for s in self.street_list}


class CollectionSchedule(TimeStampedModel):
    """When one flux is collected in a commune (or one of its sectors): a rule and its
    period of validity."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    commune = models.ForeignKey(
        "authorities.Commune", on_delete=models.PROTECT, related_name="+", verbose_name="commune"
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name="secteur",
        help_text="Vide : toute la commune.",
    )
    flux = models.CharField("flux", max_length=20, choices=Flux.choices)
    kind = models.CharField("fréquence", max_length=10, choices=RuleKind.choices)
    weekday = models.PositiveSmallIntegerField("jour de collecte", choices=Weekday.choices)
    reference_date = models.DateField(
        "date d'une collecte (une semaine sur deux)",
        null=True,
        blank=True,
        help_text="Les collectes ont lieu toutes les deux semaines à compter de celle-ci, "
        "d'une année sur l'autre.",
    )
    ordinal = models.SmallIntegerField(
        "semaine du mois", choices=Ordinal.choices, null=True, blank=True
    )
    valid_from = models.DateField("valable à partir du")
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "calendrier de collecte"
        verbose_name_plural = "calendriers de collecte"
        indexes = [models.Index(fields=["authority", "commune"], name="schedule_authority_commune")]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="schedule_weekday"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="schedule_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(kind=RuleKind.BIWEEKLY) & Q(reference_date__isnull=False))
                | (~Q(kind=RuleKind.BIWEEKLY) & Q(reference_date__isnull=True)),
                name="schedule_reference_for_biweekly_only",
            ),
            models.CheckConstraint(
                condition=(Q(kind=RuleKind.MONTHLY) & Q(ordinal__in=Ordinal.values))
                | (~Q(kind=RuleKind.MONTHLY) & Q(ordinal__isnull=True)),
                name="schedule_ordinal_for_monthly_only",
            ),
        ]

    def __str__(self):
        where = self.commune.name + (f" — {self.sector.name}" if self.sector_id else "")
        return f"{where} : {self.get_flux_display()}, {self.rule.describe().lower()}"

    @property
    def rule(self) -> Rule:
        return Rule(
            kind=self.kind,
            weekday=self.weekday,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            reference=self.reference_date,
            ordinal=self.ordinal,
        )


class ScheduleException(TimeStampedModel):
    """A one-off change of one collection: cancelled, or moved to another date. `date` is
    the collection's date as the rule gives it; the exception wins over the holiday policy."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    schedule = models.ForeignKey(
        CollectionSchedule,
        on_delete=models.CASCADE,
        related_name="exceptions",
        verbose_name="calendrier de collecte",
    )
    date = models.DateField("collecte du")
    kind = models.CharField("changement", max_length=10, choices=ChangeKind.choices)
    moved_to = models.DateField("reportée au", null=True, blank=True)
    reason = models.CharField("motif", max_length=120, blank=True)

    class Meta:
        verbose_name = "exception au calendrier"
        verbose_name_plural = "exceptions aux calendriers"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="one_exception_per_date"),
            models.CheckConstraint(
                condition=(
                    Q(kind=ChangeKind.MOVED)
                    & Q(moved_to__isnull=False)
                    & ~Q(moved_to=models.F("date"))
                )
                | (Q(kind=ChangeKind.CANCELLED) & Q(moved_to__isnull=True)),
                name="exception_moved_has_a_new_date",
            ),
        ]

    def __str__(self):
        if self.kind == ChangeKind.MOVED:
            return f"{self.date:%d/%m/%Y} → {self.moved_to:%d/%m/%Y}"
        return f"{self.date:%d/%m/%Y} annulée"


class CalendarFeedToken(models.Model):
    """The secret in the URL of an account's private ICS feed, made by one of its logins
    (`created_by`) for his own agendas. Revoking it makes the old URL answer 404, and so
    does the end of that login's access to the account (dissociated, deleted): the token
    belongs to the person, not to the household. One live token per login and account."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.CASCADE,
        related_name="calendar_tokens",
        verbose_name="compte usager",
    )
    token = models.CharField("jeton", max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "lien d'abonnement au calendrier"
        verbose_name_plural = "liens d'abonnement aux calendriers"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "created_by"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_calendar_token_per_login",
            )
        ]

    def __str__(self):
        state = "révoqué" if self.revoked_at else "actif"
        return f"{self.account} ({state})"


class CollectionReminder(TimeStampedModel):
    """« Mon calendrier de collecte » → « Rappels par email »: what one login of an account
    asked to be emailed about its dwelling's collections. The choice belongs to the person
    (his email, his consent), not to the household: one per login and account."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    account = models.ForeignKey(
        "subscribers.Account",
        on_delete=models.CASCADE,
        related_name="collection_reminders",
        verbose_name="compte usager",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="collection_reminders",
        verbose_name="identifiant",
    )
    fluxes = models.JSONField("flux", default=list, blank=True)
    on_eve = models.BooleanField("la veille de chaque collecte", default=False)
    on_change = models.BooleanField("quand un jour de collecte change", default=False)

    class Meta:
        verbose_name = "rappel des collectes"
        verbose_name_plural = "rappels des collectes"
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_reminder_per_login")
        ]

    def __str__(self):
        return f"{self.account} — {self.user}"

    @property
    def active(self) -> bool:
        return bool(self.fluxes) and (self.on_eve or self.on_change)


class ReminderKind(models.TextChoices):
    EVE = "eve", "Veille de collecte"
    CHANGE = "change", "Changement de jour"


class CollectionReminderSent(models.Model):
    """What a reminder has sent, one row per collection and kind: the periodic job sends
    each reminder once, however often it runs. A change is recorded with the date it moved
    to (`cancelled` when there is none): if it moves again, that is a new alert."""

    authority = models.ForeignKey(
        "authorities.Authority", on_delete=models.CASCADE, verbose_name="collectivité"
    )
    reminder = models.ForeignKey(
        CollectionReminder, on_delete=models.CASCADE, related_name="sent", verbose_name="rappel"
    )
    kind = models.CharField("type", max_length=10, choices=ReminderKind.choices)
    schedule = models.ForeignKey(
        CollectionSchedule,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="calendrier de collecte",
    )
    nominal = models.DateField("collecte prévue le")
    date = models.DateField("collecte le")
    cancelled = models.BooleanField("annulée", default=False)
    sent_at = models.DateTimeField("envoyé le", auto_now_add=True)

    class Meta:
        verbose_name = "rappel envoyé"
        verbose_name_plural = "rappels envoyés"
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "kind", "schedule", "nominal", "date", "cancelled"],
                name="one_reminder_sent_per_collection",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"
