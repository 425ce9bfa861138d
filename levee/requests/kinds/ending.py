"""What « Je signale mon déménagement » and « Je résilie mon abonnement » share: both end
the running subscription at a date the resident gives, with its bins, and are refused
when that subscription has already ended."""

import datetime

from django import forms
from django.utils import timezone

from levee.subscribers.models import Subscription
from levee.subscribers.selectors import subscription_current, subscription_running
from levee.subscribers.services import subscription_end

from ..forms import RequestForm, proof_check
from ..models import RequestStatus, ServiceRequest
from .base import ApplyRefused, RequestType
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


def bins_removed(bins: list[str]) -> str:
    """« , 2 bacs retirés » (for a history note), or nothing."""
    if not bins:
        return ""
    plural = "s" if len(bins) > 1 else ""
    return f", {len(bins)} bac{plural} retiré{plural}"


class EndingForm(RequestForm):
    """The date (field `ended_on`, checked against the running subscription) and a proof;
    the subclass adds its own fields."""

    compare_with_current = False
    proof_content_type = ""

    def initial_from(self, current: dict) -> dict:
        return {}

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

    def current(self, *, account, user, subject=None) -> dict:
        subscription = subscription_running(account)
        # An end already accepted for a later date: the form says when, not « terminé ».
        shown = subscription or subscription_current(account)
        ends_later = shown is not None and shown.ended_on and shown.ended_on >= timezone.localdate()
        return {
            "subscription": subscription.reference if subscription else "",
            "ends_on": shown.ended_on.isoformat() if ends_later else "",
            "subscribed_on": subscription.subscribed_on.isoformat() if subscription else "",
            "ended_on": "",
            "dwelling": subscription.address_line.upper() if subscription else "",
            "billing": account.billing_address_line.upper(),
        }

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
        if on < subscription.subscribed_on:
            raise ApplyRefused(
                f"La date demandée ({date_fr(on)}) précède le début de l'abonnement "
                f"({date_fr(subscription.subscribed_on)}). Rien n'a été modifié."
            )
        return subscription, on, subscription_end(subscription=subscription, on=on)

    def _end_consequences(self, service_request, account) -> list[str]:
        subscription = self._subscription(service_request, account)
        why = self._ended_already(subscription)
        if why:
            return [f"{why} La demande ne pourra pas être acceptée : refusez-la."]
        bins = subscription.bins.filter(
            authority_id=subscription.authority_id, removed_on__isnull=True
        ).count()
        on = date_fr(service_request.requested["ended_on"])
        sentences = [
            f"L'abonnement {subscription.reference} ({subscription.address_line.upper()}) sera "
            f"terminé le {on}"
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
