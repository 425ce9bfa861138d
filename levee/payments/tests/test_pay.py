"""« Régler » (payments:pay): only the owner of a published, payable invoice starts a
payment, one at a time; everybody else gets a 404 and nothing changes. Then the return
page and the result page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import InvoiceStatus
from levee.payments.models import Payment, PaymentStatus, SandboxTransaction
from testkit import make_account, make_user, pilat_world

from .conftest import make_invoice, plain

pytestmark = pytest.mark.django_db


def pay_url(world, invoice=None, slug="flandre-interieure"):
    return reverse("payments:pay", args=[slug, (invoice or world.invoice).pk])


def invoices_url():
    return reverse("billing:invoices", args=["flandre-interieure"])


def test_regler_sends_the_owner_to_the_gateway_with_a_waiting_payment(client, world):
    client.force_login(world.user)
    response = client.post(pay_url(world))
    payment = Payment.objects.get()
    sandbox = SandboxTransaction.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("payments:sandbox_debt", args=[sandbox.idop])
    assert payment.status == PaymentStatus.WAITING
    assert payment.order_id == sandbox.idop
    assert (payment.amount_cents, payment.email) == (8794, "dupont59@gmail.com")
    assert (sandbox.refdet, sandbox.exer, sandbox.amount_cents) == ("2300240069928", "2023", 8794)
    assert sandbox.return_url.endswith(f"/paiement/retour/flandre-interieure/{payment.pk}/")


def test_regler_refuses_get(client, world):
    client.force_login(world.user)
    assert client.get(pay_url(world)).status_code == 405
    assert not Payment.objects.exists()


def test_regler_asks_to_log_in(client, world):
    response = client.post(pay_url(world))
    assert response.status_code == 302 and "connexion" in response.url
    assert not Payment.objects.exists()


def test_another_resident_cannot_pay_the_invoice(client, world):
    other = make_account(world.authority, code="00002", portal_key="ZZZZZZZZ", last_name="MARTIN")
    client.force_login(make_user("marie@example.org", accounts=[other]))
    assert client.post(pay_url(world)).status_code == 404
    assert not Payment.objects.exists()


def test_an_agent_of_another_authority_cannot_pay_the_invoice(client, world):
    pilat, _ = pilat_world()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=agent, role=AgentRole.ADMINISTRATEUR)
    client.force_login(agent)
    assert client.post(pay_url(world)).status_code == 404
    assert client.post(pay_url(world, slug="pilat-rhodanien")).status_code == 404
    assert not Payment.objects.exists()


def test_an_unknown_invoice_is_a_404(client, world):
    client.force_login(world.user)
    assert (
        client.post(reverse("payments:pay", args=["flandre-interieure", 999999])).status_code == 404
    )
    assert (
        client.post(reverse("payments:pay", args=["nulle-part", world.invoice.pk])).status_code
        == 404
    )
    assert not Payment.objects.exists()


def test_an_unpublished_or_simulated_invoice_is_a_404(client, world):
    client.force_login(world.user)
    draft = make_invoice(world.account, number="2300240069930", published_at=None)
    simulated = make_invoice(world.account, number="", status=InvoiceStatus.SIMULATED)
    assert client.post(pay_url(world, draft)).status_code == 404
    assert client.post(pay_url(world, simulated)).status_code == 404


def refused(client, world, message):
    response = client.post(pay_url(world), follow=True)
    assert response.redirect_chain[0][0] == invoices_url()
    assert message in plain(response)
    return response


def test_a_paid_invoice_is_not_paid_again(client, world):
    client.force_login(world.user)
    world.invoice.status, world.invoice.paid_at = InvoiceStatus.PAID, timezone.now()
    world.invoice.save(update_fields=["status", "paid_at"])
    refused(client, world, "Cette facture est déjà réglée.")
    assert not Payment.objects.exists()


def test_a_debited_invoice_is_not_paid_online(client, world):
    client.force_login(world.user)
    world.invoice.direct_debit = True
    world.invoice.save(update_fields=["direct_debit"])
    refused(client, world, "Cette facture sera prélevée sur votre compte bancaire")
    assert not Payment.objects.exists()


def test_an_invoice_past_its_online_payment_is_not_paid_online(client, world):
    client.force_login(world.user)
    world.invoice.due_on = timezone.localdate() - datetime.timedelta(days=31)
    world.invoice.save(update_fields=["due_on"])
    refused(client, world, "Le paiement en ligne de cette facture est clos.")
    assert not Payment.objects.exists()


def test_a_second_click_resumes_the_payment_still_open_at_the_gateway(client, world):
    client.force_login(world.user)
    first = client.post(pay_url(world))
    second = client.post(pay_url(world))
    assert second.url == first.url
    assert Payment.objects.get().status == PaymentStatus.WAITING


def test_a_payment_left_open_too_long_is_expired_and_replaced(client, world):
    client.force_login(world.user)
    first = client.post(pay_url(world))
    Payment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=16))
    second = client.post(pay_url(world))
    assert second.url != first.url
    assert sorted(Payment.objects.values_list("status", flat=True)) == [
        PaymentStatus.WAITING,
        PaymentStatus.EXPIRED,
    ]


def test_an_agent_acting_on_behalf_does_not_pay_for_the_resident(client, world):
    from levee.agents.on_behalf import marker_new
    from levee.space.on_behalf import SESSION_KEY

    agent_user = make_user("jeanne@flandre.example.org")
    agent = Agent.objects.create(authority=world.authority, user=agent_user, role=AgentRole.ACCUEIL)
    client.force_login(agent_user)
    session = client.session
    session[SESSION_KEY] = marker_new(agent=agent, account=world.account, now=timezone.now())
    session.save()
    response = client.post(pay_url(world), follow=True)
    assert "Le règlement en ligne se fait par l'usager lui-même" in plain(response)
    assert not Payment.objects.exists()


def test_the_result_page_is_the_owners_only(client, world):
    client.force_login(world.user)
    client.post(pay_url(world))
    payment = Payment.objects.get()
    url = reverse("payments:result", args=["flandre-interieure", payment.pk])
    page = plain(client.get(url))
    assert "Votre paiement est en cours de vérification." in page
    assert "Retour à Mes factures" in page

    other = make_account(world.authority, code="00002", portal_key="ZZZZZZZZ", last_name="MARTIN")
    client.force_login(make_user("marie@example.org", accounts=[other]))
    assert client.get(url).status_code == 404
    pilat, _ = pilat_world()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=agent, role=AgentRole.ADMINISTRATEUR)
    client.force_login(agent)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("payments:result", args=["pilat-rhodanien", payment.pk])).status_code
        == 404
    )


def test_the_return_page_of_an_unknown_payment_is_a_404(client, world):
    assert (
        client.get(reverse("payments:return", args=["flandre-interieure", 999])).status_code == 404
    )
    assert client.post(reverse("payments:return", args=["pilat-rhodanien", 1])).status_code == 404


def test_the_operator_configures_payfip_with_its_numcli(admin_client, world):
    url = reverse("admin:payments_paymentsettings_add")
    data = {"authority": world.authority.pk, "gateway": "payfip", "payfip_saisie": "T"}
    response = admin_client.post(url, {**data, "payfip_numcli": "12ab"})
    assert response.status_code == 200
    assert "PayFiP demande le numéro client de 6 chiffres de la DGFiP." in plain(response)
    assert admin_client.post(url, {**data, "payfip_numcli": "012345"}).status_code == 302
    assert world.authority.payment_settings.payfip_numcli == "012345"
