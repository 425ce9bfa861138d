"""« Contester une levée » of a lift an issued invoice already counted: the agent reads it
on the request's page before he decides, and again in the message once he has cancelled the
lift; the invoice itself is left as it is (its correction, a credit note, is another step)."""

import datetime

import pytest
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.billing.models import Invoice, InvoiceStatus, LineKind
from levee.billing.tests.factories import make_invoice
from levee.collection.models import Flux, Lift
from levee.collection.tests.conftest import make_bin
from levee.mailing.models import OutboxMessage
from levee.requests.models import ServiceRequest

from .conftest import BO, plain, submit

pytestmark = pytest.mark.django_db

BEFORE = (
    "Cette levée figure déjà sur la facture n° {number} du 02/07/2024 : l'annuler ne modifie "
    "pas cette facture ; un avoir sera nécessaire."
)
AFTER = (
    "La levée annulée figure sur la facture n° {number} du 02/07/2024 : cette facture n'est "
    "pas modifiée ; un avoir sera nécessaire."
)
FIRST_HALF = (datetime.date(2024, 1, 1), datetime.date(2024, 6, 30))


def lift_at(bin, when: datetime.datetime) -> Lift:
    return Lift.objects.create(
        authority_id=bin.authority_id,
        bin=bin,
        lifted_at=timezone.make_aware(when),
        net_weight_grams=12500,
        vehicle="BOM-12",
    )


def number(world, value: int = 1) -> str:
    return f"24{world.ccfi.code}{value:06d}"


def invoice(world, account=None, *, value: int = 1, **fields) -> Invoice:
    """An invoice of the first half of 2024, issued on 02/07/2024, with 10 extra lifts
    billed: cancelling one of its lifts asks for an avoir."""
    return make_invoice(
        account or world.account,
        number=number(world, value),
        issued_on=datetime.date(2024, 7, 2),
        total_cents=9150,
        period=fields.pop("period", FIRST_HALF),
        lines=fields.pop(
            "lines",
            [
                ("Abonnement Bac 140 L", 1, 5650, 5650, LineKind.FIXED),
                ("10 levées supplémentaires × 3,50 €", 10, 350, 3500, LineKind.EXTRA),
            ],
        ),
        **fields,
    )


@pytest.fixture
def household_bin(world):
    return make_bin(world.account, chip="E0040001", volume=140)


@pytest.fixture
def lift(household_bin):
    return lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12))


def contest(world, lift) -> ServiceRequest:
    return submit(
        world,
        "lift_contest",
        {"reason": "doublon", "message": "Cette levée est comptée deux fois."},
        subject=lift,
    )


def page(client, world, service_request) -> str:
    client.force_login(world.ccfi_agent)
    return plain(client.get(f"{BO}{service_request.pk}/"))


def accept(client, world, service_request, *, cancel: bool = True) -> str:
    client.force_login(world.ccfi_agent)
    data = {"message": "Nous annulons cette levée."}
    if cancel:
        data["cancel_lift"] = "on"
    return plain(client.post(f"{BO}{service_request.pk}/accepter/", data, follow=True))


def test_the_request_page_says_the_lift_is_already_on_an_invoice(client, world, lift):
    billed = invoice(world)
    service_request = contest(world, lift)
    assert BEFORE.format(number=billed.number) in page(client, world, service_request)


def test_cancelling_says_so_again_and_leaves_the_invoice_as_it_is(client, world, lift):
    billed = invoice(world)
    service_request = contest(world, lift)

    response = accept(client, world, service_request)

    assert "Demande acceptée : l'usager en est informé par email." in response
    assert AFTER.format(number=billed.number) in response
    assert not Lift.objects.filter(pk=lift.pk).exists()
    unchanged = Invoice.objects.get(pk=billed.pk)
    assert (unchanged.status, unchanged.total_cents, unchanged.lines.count()) == (
        InvoiceStatus.OPEN,
        9150,
        2,  # its subscription and its extra lifts, as issued
    )
    # Kept on the request and in the audit log: the credit note will need them.
    service_request.refresh_from_db()
    kept = [{"number": billed.number, "issued_on": "2024-07-02"}]
    assert service_request.outcome == {"lift_cancelled": True, "billed_invoices": kept}
    audit = AuditEntry.objects.get(action="service_request.accept")
    assert audit.after["applied"]["billed_invoices"] == kept
    # The request is decided: the page no longer warns about what accepting would do.
    assert "l'annuler ne modifie pas cette facture" not in page(client, world, service_request)


def test_the_notice_is_the_agents_only(client, world, lift):
    billed = invoice(world)
    service_request = contest(world, lift)
    accept(client, world, service_request)
    mail = OutboxMessage.objects.get(template="request_accepted")
    assert billed.number not in mail.body_text and "un avoir" not in mail.body_text
    client.force_login(world.resident)
    detail = plain(
        client.get(f"/flandre-interieure/espace/suivi-de-mes-demandes/{service_request.pk}/")
    )
    assert "Statut : ACCEPTÉ" in detail
    assert billed.number not in detail and "un avoir" not in detail


def test_accepting_without_cancelling_says_nothing_of_the_invoice(client, world, lift):
    invoice(world)
    service_request = contest(world, lift)
    response = accept(client, world, service_request, cancel=False)
    assert "Demande acceptée : l'usager en est informé par email." in response
    assert "un avoir sera nécessaire" not in response
    assert Lift.objects.filter(pk=lift.pk).exists()
    service_request.refresh_from_db()
    assert "billed_invoices" not in service_request.outcome


def test_every_invoice_that_counted_it_is_named(client, world, lift):
    first = invoice(world, value=1)
    # Brought from the previous software, without a subscription: the account's all the same.
    legacy = invoice(world, value=2)
    Invoice.objects.filter(pk=legacy.pk).update(subscription=None)
    service_request = contest(world, lift)
    shown = page(client, world, service_request)
    assert BEFORE.format(number=first.number) in shown
    assert BEFORE.format(number=legacy.number) in shown
    response = accept(client, world, service_request)
    assert AFTER.format(number=first.number) in response
    assert AFTER.format(number=legacy.number) in response


@pytest.mark.parametrize(
    "fields",
    [
        {"status": InvoiceStatus.SIMULATED},  # a « facture à blanc » is no invoice
        {"status": InvoiceStatus.CANCELLED},
        {"period": (datetime.date(2024, 7, 1), datetime.date(2024, 12, 31))},  # other days
    ],
    ids=["simulation", "cancelled", "other-period"],
)
def test_an_invoice_that_did_not_count_the_lift_is_not_named(client, world, lift, fields):
    invoice(world, **fields)
    service_request = contest(world, lift)
    assert "un avoir sera nécessaire" not in page(client, world, service_request)
    assert "un avoir sera nécessaire" not in accept(client, world, service_request)


def test_another_accounts_invoice_of_the_same_days_is_not_named(client, world, lift):
    invoice(world, world.neighbour_account)
    service_request = contest(world, lift)
    assert "un avoir sera nécessaire" not in page(client, world, service_request)


def test_a_lift_of_a_bin_that_invoices_do_not_count_is_not_billed(client, world):
    # The invoices count the household-waste bins' lifts only.
    recyclables = make_bin(world.account, chip="E0040002", flux=Flux.RECYCLABLES, volume=240)
    invoice(world)
    service_request = contest(world, lift_at(recyclables, datetime.datetime(2024, 3, 5, 6, 12)))
    assert "un avoir sera nécessaire" not in page(client, world, service_request)


def test_the_lifts_day_is_read_in_paris(client, world, household_bin):
    invoice(world)
    # 30/06 at 23:30 in Paris is still the period's last day, 01/07 at 00:30 is not
    # (both are 30/06 in UTC).
    last = contest(world, lift_at(household_bin, datetime.datetime(2024, 6, 30, 23, 30)))
    after = contest(world, lift_at(household_bin, datetime.datetime(2024, 7, 1, 0, 30)))
    assert "un avoir sera nécessaire" in page(client, world, last)
    assert "un avoir sera nécessaire" not in page(client, world, after)


def test_a_lift_within_the_plan_asks_for_no_avoir(client, world, lift):
    """The invoice billed no extra lift: cancelling one changes nothing to pay, and the
    page says so instead of « un avoir sera nécessaire »."""
    billed = invoice(world, lines=[("Abonnement Bac 140 L", 1, 9150, 9150, LineKind.FIXED)])
    request = contest(world, lift)
    text = page(client, world, request)
    assert (
        f"Cette levée figure déjà sur la facture n° {billed.number} du 02/07/2024 : elle était "
        "comprise dans le forfait, l'annuler ne change rien à cette facture et aucun avoir "
        "n'est nécessaire." in text
    )
    assert "un avoir sera nécessaire" not in text
    assert "Émettre un avoir pour cette levée" not in text


def test_an_account_without_email_is_not_said_told_by_email(client, world, lift):
    """A request made at the counter for an account without an address: no message can go,
    and the agent is told to inform the holder otherwise."""
    service_request = contest(world, lift)
    ServiceRequest.objects.filter(pk=service_request.pk).update(requested_by=None, email="")
    world.account.email = ""
    world.account.save(update_fields=["email"])
    response = accept(client, world, service_request)
    assert "l'usager en est informé par email" not in response
    assert (
        "Demande acceptée : l'usager n'a pas d'adresse email : aucun message ne lui est "
        "envoyé, informez-le par courrier ou par téléphone." in response
    )
    assert not OutboxMessage.objects.filter(template="request_accepted").exists()
