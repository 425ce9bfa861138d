"""The anonymous return URL asks the gateway only about a payment still waiting, and not
at every call; a payment whose amount paid differs from the amount asked (or that paid an
invoice twice) is listed to the agents in « Paiements à vérifier »."""

import pytest
from django.urls import reverse

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.payments.models import Payment, PaymentStatus
from testkit import make_user, pilat_world

from .conftest import plain
from .test_payfip import back, notify, regler

pytestmark = pytest.mark.django_db

STATUS_CALL = "recupererDetailPaiementSecurise"
TO_CHECK = "/backoffice/facturation/reglements/a-verifier/"


def status_calls(world) -> int:
    return world.payfip.calls.count(STATUS_CALL)


def return_url(payment) -> str:
    return reverse("payments:return", args=["flandre-interieure", payment.pk])


def test_a_settled_payment_is_never_asked_about_again(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    notify(client, payment.order_id)
    before = status_calls(payfip_world)
    client.logout()
    for _ in range(10):
        response = client.post(return_url(payment), {"idOp": payment.order_id})
        assert response.status_code == 302
    assert status_calls(payfip_world) == before


def test_a_waiting_payment_is_asked_about_a_few_times_only(client, payfip_world):
    payment = regler(client, payfip_world)  # PayFiP does not know yet (P5)
    client.logout()
    for _ in range(20):
        response = client.post(return_url(payment), {"idOp": payment.order_id})
        assert response.status_code == 302
    assert status_calls(payfip_world) == 5
    payment.refresh_from_db()
    assert (payment.status, payment.checks) == (PaymentStatus.WAITING, 5)


def test_one_address_calling_many_payments_stops_asking(client, payfip_world):
    for pk in range(10_000, 10_030):  # no such payments: 404 each, counted all the same
        assert (
            client.post(reverse("payments:return", args=["flandre-interieure", pk])).status_code
            == 404
        )
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    page = plain(back(client, payment))
    assert status_calls(payfip_world) == 0
    assert "en cours de vérification" in page
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.WAITING  # the notification will settle it
    notify(client, payment.order_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_the_first_return_still_settles_the_payment(client, payfip_world):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "V")
    assert "réglée par prélèvement" in plain(back(client, payment))
    assert status_calls(payfip_world) == 1


# « Paiements à vérifier »


@pytest.fixture
def agents(payfip_world):
    def agent(email, authority, role):
        user = make_user(email)
        Agent.objects.create(authority=authority, user=user, role=role)
        return user

    pilat, _ = pilat_world()
    return {
        "billing": agent("facturation@example.org", payfip_world.authority, AgentRole.FACTURATION),
        "reader": agent("consultation@example.org", payfip_world.authority, AgentRole.CONSULTATION),
        "other": agent("agent.pilat@example.org", pilat, AgentRole.ADMINISTRATEUR),
    }


def pay_differently(client, world, *, paid: str = "5000") -> Payment:
    payment = regler(client, world)
    world.payfip.operations[payment.order_id].request["montant"] = paid
    world.payfip.finish(payment.order_id, "P")
    notify(client, payment.order_id)
    payment.refresh_from_db()
    return payment


def test_an_amount_that_differs_is_recorded_and_listed(client, payfip_world, agents):
    payment = pay_differently(client, payfip_world)
    assert (payment.status, payment.amount_cents, payment.paid_amount_cents) == (
        PaymentStatus.PAID,
        8794,
        5000,
    )
    client.force_login(agents["billing"])
    page = plain(client.get(TO_CHECK))
    assert "2300240069928" in page
    assert "87,94 €" in page and "50,00 €" in page and "Montant différent" in page
    assert "Marquer comme vérifié" in page
    assert (
        'href="/backoffice/facturation/reglements/a-verifier/"'
        in client.get("/backoffice/facturation/").content.decode()
    )


def test_an_amount_paid_as_asked_is_not_listed(client, payfip_world, agents):
    payment = regler(client, payfip_world)
    payfip_world.payfip.finish(payment.order_id, "P")
    notify(client, payment.order_id)
    payment.refresh_from_db()
    assert payment.paid_amount_cents == 8794
    client.force_login(agents["billing"])
    assert "Aucun paiement à vérifier." in plain(client.get(TO_CHECK))


def test_a_payment_made_twice_is_listed(client, payfip_world, agents):
    first = regler(client, payfip_world)
    Payment.objects.update(status=PaymentStatus.EXPIRED)
    second = regler(client, payfip_world)
    for payment in (first, second):
        payfip_world.payfip.finish(payment.order_id, "P")
        notify(client, payment.order_id)
    client.force_login(agents["billing"])
    page = plain(client.get(TO_CHECK))
    assert "Payé en double (à rembourser)" in page
    assert page.count("Marquer comme vérifié") == 1


def test_the_list_reads_in_a_fixed_number_of_queries(
    client, payfip_world, agents, django_assert_num_queries
):
    pay_differently(client, payfip_world)
    client.force_login(agents["billing"])
    client.get(TO_CHECK)
    # The payments (count, page) and the avoirs to refund, whatever their number.
    with django_assert_num_queries(6):
        first = client.get(TO_CHECK)
    Payment.objects.update(status=PaymentStatus.DUPLICATE)
    invoice = payfip_world.invoice
    for n in range(3):
        Payment.objects.create(
            authority=invoice.authority,
            invoice=invoice,
            account=invoice.account,
            gateway="payfip",
            status=PaymentStatus.DUPLICATE,
            amount_cents=8794,
            paid_amount_cents=8794,
            paid_at=invoice.published_at,
            order_id=f"double-{n}",
        )
    with django_assert_num_queries(6):
        more = client.get(TO_CHECK)
    assert plain(more).count("Marquer comme vérifié") == 4 > plain(first).count("Marquer")


def test_marking_it_checked_takes_it_off_the_list_once_with_an_audit_row(
    client, payfip_world, agents
):
    payment = pay_differently(client, payfip_world)
    client.force_login(agents["billing"])
    url = f"/backoffice/facturation/reglements/{payment.pk}/verifie/"
    response = client.post(url, follow=True)
    assert "est marqué vérifié" in plain(response)
    assert "Aucun paiement à vérifier." in plain(response)
    assert "était déjà marqué vérifié" in plain(client.post(url, follow=True))
    payment.refresh_from_db()
    assert payment.reviewed_by == agents["billing"] and payment.reviewed_at is not None
    assert (
        AuditEntry.objects.filter(action="payment.review", object_id=str(payment.pk)).count() == 1
    )


def test_a_reader_sees_the_list_but_cannot_mark_it(client, payfip_world, agents):
    payment = pay_differently(client, payfip_world)
    client.force_login(agents["reader"])
    page = plain(client.get(TO_CHECK))
    assert "2300240069928" in page and "Marquer comme vérifié" not in page
    response = client.post(f"/backoffice/facturation/reglements/{payment.pk}/verifie/")
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.reviewed_at is None


def test_another_authority_sees_and_marks_nothing(client, payfip_world, agents):
    payment = pay_differently(client, payfip_world)
    client.force_login(agents["other"])
    assert "2300240069928" not in plain(client.get(TO_CHECK))
    response = client.post(f"/backoffice/facturation/reglements/{payment.pk}/verifie/")
    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.reviewed_at is None


def test_a_resident_is_sent_to_the_agents_login(client, payfip_world):
    client.force_login(payfip_world.user)
    response = client.get(TO_CHECK)
    assert response.status_code == 302 and "/backoffice/connexion/" in response["Location"]
