"""What « Je signale mon déménagement » and « Je résilie mon abonnement » share: both end
the running subscription at a date the resident gives, with its bins, and are refused
when that subscription has already ended."""

import datetime

from django import forms
from django.utils import timezone

from levee.lib.templatetags.levee_format import day_fr
from levee.subscribers.models import Subscription
from levee.subscribers.selectors import (
    subscription_now_and_coming,
    subscription_running,
)
from levee.subscribers.services import subscription_end

from ..forms import RequestForm, proof_check
from ..models import RequestStatus, ServiceRequest
from .base import ApplyRefused, RequestType, Row
from .common import date_fr

# How far ahead a resident may announce the end: a lease ends within months, not years.
MAX_DAYS_AHEAD = 365
# The types that end the running subscription: one of them at a time may wait.
ENDING_KINDS = ("move_out", "termination")


def ending_waiting(account, *, besides: str) -> ServiceRequest | None:
    """The account's request that ends its subscription, of another type than `besides`,
    still waiting (a move while a termination is asked, or the reverse), if any."""
    return (
        ServiceRequest.objects.filter(
            authority_id=account.authority_id,
            account=account,
            kind__in=[k for k in ENDING_KINDS if k != besides],
            status__in=[RequestStatus.PENDING, RequestStatus.WAITING],
        )
        .order_by("-created_at")
        .first()
    )


def bins_removed(bins: list[str], *, later: bool = False) -> str:
    """« , 2 bacs retirés » (for a history note), « , 2 bacs retirés ce jour-là » when the
    end is still to come, or nothing."""
    if not bins:
        return ""
    plural = "s" if len(bins) > 1 else ""
    return f", {len(bins)} bac{plural} retiré{plural}" + (" ce jour-là" if later else "")


def ends_sentence(reference: str, last_day: datetime.date, *, ended: str = "terminé le") -> str:
    """« Abonnement 00001 terminé le 19/12/2026 » once the day is past, « Abonnement 00001 :
    se terminera le 19 décembre 2026 » while it is to come (an end accepted ahead)."""
    if last_day >= timezone.localdate():
        return f"Abonnement {reference} : se terminera le {day_fr(last_day)}"
    return f"Abonnement {reference} {ended} {date_fr(last_day)}"


class EndingForm(RequestForm):
    """The date (field `ended_on`, checked against the running subscription) and a proof;
    the subclass adds its own fields."""

    compare_with_current = False
    proof_content_type = ""
    # Days between the date given and the subscription's last day: 1 for a move (the
    # household lives at the new dwelling from the move's date).
    days_kept_before = 0

    def initial_from(self, current: dict) -> dict:
        return {}

    @property
    def notice(self) -> str:
        """Which subscription the request ends when it is not the one lived in today (a move
        accepted ahead: the new dwelling's, from the move's date), or ""."""
        current = self.current
        if not current.get("starts_later"):
            return ""
        starts = day_fr(datetime.date.fromisoformat(current["subscribed_on"]))
        sentence = (
            f"Cette demande concerne votre nouvel abonnement {current['subscription']} au "
            f"{current['dwelling']}, qui commence le {starts}."
        )
        if current.get("now_ends_on"):
            ends = day_fr(datetime.date.fromisoformat(current["now_ends_on"]))
            sentence += f" Votre abonnement actuel prend déjà fin le {ends}."
        return sentence

    def clean_ended_on(self):
        on = self.cleaned_data["ended_on"]
        if not self.current.get("subscription"):
            if self.current.get("ends_on"):
                raise forms.ValidationError(
                    f"Votre abonnement prend déjà fin le {date_fr(self.current['ends_on'])} : "
                    "il n'y a pas d'autre abonnement à arrêter."
                )
            raise forms.ValidationError(
                "Votre abonnement est déjà terminé : il n'y a plus d'abonnement à arrêter."
            )
        start = datetime.date.fromisoformat(self.current["subscribed_on"])
        if on < start:
            raise forms.ValidationError(
                f"La date ne peut pas précéder le début de votre abonnement ({date_fr(start)})."
            )
        if on - datetime.timedelta(days=self.days_kept_before) < start:
            raise forms.ValidationError(
                f"La date doit suivre le début de votre abonnement ({date_fr(start)}) : il "
                "prend fin la veille."
            )
        if on > timezone.localdate() + datetime.timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(
                "La date ne peut pas dépasser un an à partir d'aujourd'hui."
            )
        return on

    def clean_proof(self):
        upload = self.cleaned_data.get("proof")
        self.proof_content_type = proof_check(upload)
        return upload


class EndingType(RequestType):
    changes_values = True
    labels = {"ended_on": "Fin de l'abonnement"}
    blocked_because = "qui met déjà fin à votre abonnement"

    def blocking_request(self, *, account):
        # A move and a termination of the same subscription would contradict each other
        # (two dates, a new dwelling or none): the second waits for the first.
        return ending_waiting(account, besides=self.key)

    # Said after the last day to the agent (« , veille du déménagement »).
    last_day_words = ""

    def last_day(self, on: datetime.date) -> datetime.date:
        """The subscription's last day (`ended_on`, billed inclusive) for the date the
        resident gives: that date itself for a termination (« le dernier jour de votre
        abonnement »)."""
        return on

    def current(self, *, account, user, subject=None) -> dict:
        subscription = subscription_running(account)
        # An end already accepted for a later date: the form says when, not « terminé ».
        now, coming = subscription_now_and_coming(account)
        shown = subscription or now
        ends_later = shown is not None and shown.ended_on and shown.ended_on >= timezone.localdate()
        values = self._values(subscription, account)
        values["ends_on"] = shown.ended_on.isoformat() if ends_later else ""
        # The running subscription starts later (a move accepted ahead): the form says it is
        # the one a new end would stop, not the dwelling lived in today.
        starts_later = (
            subscription is not None and coming is not None and subscription.pk == coming.pk
        )
        values["starts_later"] = starts_later
        values["now_ends_on"] = (
            now.ended_on.isoformat() if starts_later and now is not None and now.ended_on else ""
        )
        return values

    def _values(self, subscription: Subscription | None, account) -> dict:
        return {
            "subscription": subscription.reference if subscription else "",
            "subscribed_on": subscription.subscribed_on.isoformat() if subscription else "",
            "ended_on": subscription.ended_on.isoformat()
            if subscription and subscription.ended_on
            else "",
            "dwelling": subscription.address_line.upper() if subscription else "",
            "billing": account.billing_address_line.upper(),
        }

    def today(self, service_request, *, account) -> dict:
        """The subscription the request ends, as it is now (once accepted, its end date; a
        move's new subscription is another one): not the account's running subscription."""
        if account is None:
            return super().today(service_request, account=account)
        subscription = self._subscription(service_request, account)
        if subscription is None:
            return super().today(service_request, account=account)
        return self._values(subscription, account)

    def rows(self, service_request, *, today: dict):
        # What the resident asked, read as the subscription's last day (a move's is the
        # day before the move): the three columns compare the same thing.
        requested = dict(service_request.requested)
        if requested.get("ended_on"):
            on = datetime.date.fromisoformat(requested["ended_on"])
            requested["ended_on"] = self.last_day(on).isoformat()
        snapshot = service_request.snapshot
        return [
            Row(
                label=label,
                asked_then=self.display(key, snapshot.get(key)),
                today=self.display(key, today.get(key)),
                requested=self.display(key, requested.get(key)),
            )
            for key, label in self.labels.items()
        ]

    def display(self, key: str, value) -> str:
        if key == "ended_on":
            return date_fr(value or "")
        return super().display(key, value)

    def opening_message(self, form) -> tuple[str, list]:
        return "Justificatif joint à la demande.", [
            (form.cleaned_data["proof"], form.proof_content_type)
        ]

    def _subscription(self, service_request, account) -> Subscription | None:
        """The subscription the resident asked to end (the one running when he asked)."""
        return (
            Subscription.objects.filter(
                authority_id=account.authority_id,
                account=account,
                reference=service_request.snapshot.get("subscription", ""),
            )
            .select_related("commune")
            .first()
        )

    def _ended_already(self, subscription) -> str:
        """Why the subscription cannot end any more, or ""."""
        if subscription is None:
            return "L'abonnement de la demande n'existe plus."
        if subscription.ended_on is not None:
            return (
                f"L'abonnement {subscription.reference} est déjà terminé "
                f"(le {date_fr(subscription.ended_on)})."
            )
        return ""

    def _end(self, service_request, account) -> tuple[Subscription, datetime.date, list[str]]:
        """Ends the subscription at the date asked, or ApplyRefused (nothing changed)."""
        subscription = self._subscription(service_request, account)
        why = self._ended_already(subscription)
        if why:
            raise ApplyRefused(
                f"{why} Rien n'a été modifié : refusez la demande en l'expliquant à l'usager."
            )
        on = datetime.date.fromisoformat(service_request.requested["ended_on"])
        last_day = self.last_day(on)
        if last_day < subscription.subscribed_on:
            raise ApplyRefused(
                f"La date demandée ({date_fr(on)}) ne laisse aucun jour à l'abonnement, qui "
                f"commence le {date_fr(subscription.subscribed_on)}. Rien n'a été modifié."
            )
        return subscription, last_day, subscription_end(subscription=subscription, on=last_day)

    def _end_consequences(self, service_request, account) -> list[str]:
        subscription = self._subscription(service_request, account)
        why = self._ended_already(subscription)
        if why:
            return [f"{why} La demande ne pourra pas être acceptée : refusez-la."]
        bins = subscription.bins.filter(
            authority_id=subscription.authority_id, removed_on__isnull=True
        ).count()
        on = self.last_day(datetime.date.fromisoformat(service_request.requested["ended_on"]))
        sentences = [
            f"L'abonnement {subscription.reference} ({subscription.address_line.upper()}) sera "
            f"terminé le {date_fr(on)}{self.last_day_words}"
            + (f" et ses bacs en service ({bins}) retirés à cette date." if bins else ".")
        ]
        other = ending_waiting(account, besides=self.key)
        if other is not None:
            sentences.append(
                f"Attention : la demande « {other.request_type.tracking_label} » du "
                f"{date_fr(timezone.localdate(other.created_at))} attend aussi pour ce compte et met fin au "
                "même abonnement. N'en acceptez qu'une : après l'une, l'autre sera refusée."
            )
        return sentences
