"""« Contester une levée » accepted after billing: « Émettre un avoir pour cette levée »
(ticked by default when an invoice counted the lift) reduces that invoice by the lift's
billed price, reason « Contestation de levée acceptée », linked to the request; the
notices give the avoir's number. A lift within the plan's included ones gets no avoir."""

import datetime

import pytest
from django.urls import reverse

from levee.audit.models import AuditEntry
from levee.audit.sentences import entry_text
from levee.billing.models import CreditNote, CreditNoteReason, LineKind
from levee.billing.tests.factories import make_invoice
from levee.collection.tests.conftest import make_bin
from levee.payments.selectors import invoice_left_cents

from .conftest import BO, plain
from .test_lift_contest_billed import FIRST_HALF, contest, lift_at, number

pytestmark = pytest.mark.django_db


def extra_invoice(world, *, extras=3, vat_rate_bp=1000, weight=None):
    """The first half of 2024 with `extras` extra lifts at 2,50 € HT each."""
    lines = [
        ("Abonnement Bac 140 L du 01/01/2024 au 30/06/2024", 1, 8000, 8000, LineKind.FIXED),
        ("Levées incluses dans le forfait : 13 sur 13", 13, 0, 0, LineKind.INCLUDED),
        (f"{extras} levées supplémentaires × 2,50 €", extras, 250, 250 * extras, LineKind.EXTRA),
    ]
    if weight is not None:
        lines.append(
            ("Poids collecté : 100 kg × 0,20 €", 100, weight, 100 * weight, LineKind.WEIGHT)
        )
    ht = sum(line[3] for line in lines)
    vat = ht * vat_rate_bp // 10_000
    return make_invoice(
        world.account,
        number=number(world),
        issued_on=datetime.date(2024, 7, 2),
        total_cents=ht + vat,
        vat_rate_bp=vat_rate_bp,
        vat_cents=vat,
        period=FIRST_HALF,
        lines=lines,
    )


@pytest.fixture
def household_bin(world):
    return make_bin(world.account, chip="E0040001", volume=140)


def accept(client, world, service_request, **data) -> str:
    client.force_login(world.ccfi_agent)
    values = {"message": "Nous annulons cette levée.", "cancel_lift": "on", "credit_note": "on"}
    values.update(data)
    values = {k: v for k, v in values.items() if v is not None}
    return plain(client.post(f"{BO}{service_request.pk}/accepter/", values, follow=True))


def test_the_accept_form_offers_the_avoir_ticked_with_its_amount(client, world, household_bin):
    invoice = extra_invoice(world)
    service_request = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    client.force_login(world.ccfi_agent)
    response = client.get(f"{BO}{service_request.pk}/")
    html = response.content.decode()
    assert 'name="credit_note"' in html and "checked" in html.split('name="credit_note"')[1][:80]
    page = plain(response)
    assert "Émettre un avoir pour cette levée" in page
    assert f"un avoir réduit la facture n° {invoice.number} de 2,75 €, le prix de la levée" in page


def test_accepting_issues_the_avoir_of_the_lift_s_price(client, world, household_bin):
    invoice = extra_invoice(world)
    service_request = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    response = accept(client, world, service_request)
    note = CreditNote.objects.get()
    assert (note.total_ht_cents, note.vat_cents, note.total_cents) == (250, 25, 275)
    assert note.reason == CreditNoteReason.LIFT_CONTEST and note.invoice_id == invoice.pk
    assert note.service_request_id == service_request.pk
    assert (
        f"La levée annulée figure sur la facture n° {invoice.number} du 02/07/2024 : l'avoir "
        f"n° {note.number} la réduit de 2,75 €." in response
    )
    assert "un avoir sera nécessaire" not in response
    assert invoice_left_cents(invoice) == invoice.total_cents - 275
    service_request.refresh_from_db()
    assert service_request.outcome["billed_invoices"][0]["credit_note"] == note.number
    audit = AuditEntry.objects.get(action="service_request.accept")
    assert audit.after["applied"]["credit_notes"] == [note.number]
    assert f"1 avoir émis ({note.number})" in entry_text(audit)
    # The invoice's page lists the avoir with its request.
    client.force_login(world.ccfi_agent)
    detail = plain(client.get(reverse("billing_bo:invoice_detail", args=[invoice.pk])))
    assert "Contestation de levée acceptée : Levée annulée" in detail
    assert f"(demande n° {service_request.pk})" in detail


def test_each_contest_credits_one_extra_lift_then_the_plan_s_lifts_cost_nothing(
    client, world, household_bin
):
    invoice = extra_invoice(world, extras=1)
    first = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    accept(client, world, first)
    second = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 12, 6, 12)))
    response = accept(client, world, second)
    assert CreditNote.objects.count() == 1
    assert (
        f"La levée annulée figure sur la facture n° {invoice.number} du 02/07/2024 : la levée "
        "était comprise dans le forfait, aucun avoir n'est nécessaire." in response
    )


def test_the_weight_charged_is_credited_too(client, world, household_bin):
    extra_invoice(world, extras=0, vat_rate_bp=0, weight=20)
    service_request = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    accept(client, world, service_request)
    note = CreditNote.objects.get()
    assert note.total_cents == 250  # 12,5 kg × 0,20 €


def test_unticked_the_invoice_is_left_as_it_is(client, world, household_bin):
    invoice = extra_invoice(world)
    service_request = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    response = accept(client, world, service_request, credit_note=None)
    assert not CreditNote.objects.exists()
    assert (
        f"La levée annulée figure sur la facture n° {invoice.number} du 02/07/2024 : cette "
        "facture n'est pas modifiée ; un avoir sera nécessaire." in response
    )


def test_an_avoir_without_cancelling_the_lift_is_refused_next_to_its_box(
    client, world, household_bin
):
    extra_invoice(world)
    lift = lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12))
    service_request = contest(world, lift)
    client.force_login(world.ccfi_agent)
    response = client.post(
        f"{BO}{service_request.pk}/accepter/", {"message": "", "credit_note": "on"}
    )
    assert (
        "Cochez aussi « Annuler cette levée » : l'avoir reprend le prix d'une levée annulée."
        in (plain(response))
    )
    assert 'id="id_credit_note_error"' in response.content.decode()
    assert not CreditNote.objects.exists()
    service_request.refresh_from_db()
    assert service_request.status == "pending"
    assert type(lift).objects.filter(pk=lift.pk).exists()


def test_a_lift_on_no_invoice_offers_no_avoir(client, world, household_bin):
    service_request = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    client.force_login(world.ccfi_agent)
    html = client.get(f"{BO}{service_request.pk}/").content.decode()
    assert 'name="cancel_lift"' in html and 'name="credit_note"' not in html
