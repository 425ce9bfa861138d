"""In Chromium: the agent opens « Contester une levée » of a lift already on an issued
invoice that charged no extra lift, reads that the lift was within the plan and needs no
avoir (no « Émettre un avoir pour cette levée » is offered), cancels it, and reads it again;
axe on both pages."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.billing.tests.factories import make_invoice
from levee.collection.models import Lift
from levee.collection.tests.conftest import make_bin
from levee.requests.registry import request_type_get
from levee.requests.services import service_request_create
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contest(settings, live_server, communes):
    """Account 00001 contests its lift of 05/03/2024, counted on invoice n° 24…000001."""
    settings.SITE_URL = live_server.url
    ccfi, account = ccfi_world()
    lift = Lift.objects.create(
        authority=ccfi,
        bin=make_bin(account, chip="E0040001", volume=140),
        lifted_at=timezone.make_aware(datetime.datetime(2024, 3, 5, 6, 12)),
        net_weight_grams=12500,
    )
    invoice = make_invoice(
        account,
        number=f"24{ccfi.code}000001",
        issued_on=datetime.date(2024, 7, 2),
        total_cents=9150,
        period=(datetime.date(2024, 1, 1), datetime.date(2024, 6, 30)),
    )
    resident = make_user("dupont59@gmail.com", accounts=[account])
    Agent.objects.create(authority=ccfi, user=make_user("agent.flandre@example.org"))
    request_type = request_type_get("lift_contest")
    form = request_type.form(
        data={"reason": "doublon", "message": "Cette levée est comptée deux fois."},
        account=account,
        user=resident,
        subject=lift,
    )
    assert form.is_valid(), form.errors
    service_request_create(
        account=account,
        user=resident,
        request_type=request_type,
        requested=request_type.requested_from(form),
    )
    return invoice


def test_the_agent_reads_that_the_cancelled_lift_is_already_billed(
    page, contest, assert_accessible
):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto("/backoffice/demandes/")
    page.get_by_role("link", name="Traiter", exact=False).first.click()
    expect(page.get_by_role("heading", name="Décision")).to_be_visible()
    expect(
        page.get_by_text(
            f"Cette levée figure déjà sur la facture n° {contest.number} du 02/07/2024 : "
            "elle était comprise dans le forfait, l'annuler ne change rien à cette facture et "
            "aucun avoir n'est nécessaire."
        )
    ).to_be_visible()
    assert_accessible(page)

    field(page, "Annuler cette levée : elle est supprimée et ne compte plus").check()
    # The invoice charged no extra lift: no avoir to offer.
    expect(page.get_by_label("Émettre un avoir pour cette levée")).to_have_count(0)
    page.get_by_role("button", name="Accepter", exact=True).click()

    expect(
        page.get_by_text("Demande acceptée : l'usager en est informé par email.")
    ).to_be_visible()
    expect(
        page.get_by_text(
            f"La levée annulée figure sur la facture n° {contest.number} du 02/07/2024 : "
            "la levée était comprise dans le forfait, aucun avoir n'est nécessaire."
        )
    ).to_be_visible()
    assert_accessible(page)
    assert not Lift.objects.exists()
