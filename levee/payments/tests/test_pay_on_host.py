"""« Régler » for an authority with its own host name: the payment service sends the
resident back to that host, where his session is; PayFiP's notification stays the
platform's."""

import pytest
from django.urls import reverse

from levee.authorities.hosts import authority_hosts_forget
from levee.authorities.models import Authority
from levee.payments.models import Payment, SandboxTransaction

pytestmark = pytest.mark.django_db


def test_regler_on_an_authoritys_host_comes_back_to_that_host(client, world):
    Authority.objects.filter(slug="flandre-interieure").update(host="dechets.example.org")
    authority_hosts_forget()
    client.force_login(world.user)
    # « Régler » at the host's root, where its space is.
    response = client.post(
        f"/espace/mes-factures/{world.invoice.pk}/regler/", HTTP_HOST="dechets.example.org"
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    sandbox = SandboxTransaction.objects.get()
    assert sandbox.return_url == (
        f"http://dechets.example.org/paiement/retour/flandre-interieure/{payment.pk}/"
    )
    assert response.url == reverse("payments:sandbox_debt", args=[sandbox.idop])
