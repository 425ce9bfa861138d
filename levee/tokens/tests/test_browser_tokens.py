"""A token's life in Chromium: created in « Mon profil », read once, used against the API,
revoked after confirmation; the API then refuses it. axe and a 320 px phone on each page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from levee.collection.models import Lift
from levee.collection.tests.conftest import make_bin
from testkit import ccfi_world, field, log_in_by_cookie, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def resident(live_server, communes):
    _authority, account = ccfi_world()
    bin_ = make_bin(account, chip="E0040001")
    Lift.objects.create(
        authority=account.authority,
        bin=bin_,
        lifted_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 6, 40)),
        net_weight_grams=12_500,
    )
    user = make_user("dupont59@gmail.com", accounts=[account])
    return user, account


def fits_a_phone(page):
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_resident_creates_a_token_reads_his_lifts_and_revokes_it(
    page, live_server, resident, assert_accessible
):
    user, account = resident
    log_in_by_cookie(page, live_server, user)
    page.goto("/flandre-interieure/espace/mon-profil/")
    section = page.locator("#jetons")
    expect(section.get_by_text("Vous n'avez aucun jeton.")).to_be_visible()
    section.get_by_role("link", name="Créer un jeton").click()
    expect(page.get_by_role("heading", name="Créer un jeton d'accès personnel")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    # A name is required: the error is tied to its field.
    page.get_by_role("button", name="Créer le jeton").click()
    name = field(page, "Nom du jeton")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name_error")).to_have_text("Donnez un nom à ce jeton.")
    assert_accessible(page)

    name.fill("Domotique du salon")
    page.get_by_role("button", name="Créer le jeton").click()
    expect(
        page.get_by_role("heading", name="Votre nouveau jeton d'accès personnel")
    ).to_be_visible()
    secret = page.get_by_label("Votre jeton").input_value()
    assert secret.startswith("levee_")
    expect(page.get_by_text("Copiez-le maintenant")).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)

    headers = {"Authorization": f"Bearer {secret}"}
    lifts = page.request.get(
        f"{live_server.url}/api/v1/accounts/{account.pk}/lifts", headers=headers
    )
    assert lifts.status == 200
    (lift,) = lifts.json()["items"]
    assert lift["net_weight_kg"] == 12.5 and lift["flux"] == "ordures_menageres"

    page.get_by_role("link", name="Retour à Mon profil").click()
    row = page.locator("#jetons tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Domotique du salon")
    expect(row).not_to_contain_text(secret)
    expect(row).not_to_contain_text("Jamais utilisé")  # just used
    assert_accessible(page)

    row.get_by_role("link", name="Révoquer le jeton Domotique du salon").click()
    expect(
        page.get_by_role("heading", name="Révoquer le jeton « Domotique du salon »")
    ).to_be_visible()
    assert_accessible(page)
    fits_a_phone(page)
    page.get_by_role("button", name="Révoquer ce jeton").click()
    expect(page.get_by_text("Le jeton « Domotique du salon » est révoqué.")).to_be_visible()
    expect(page.locator("#jetons").get_by_text("Vous n'avez aucun jeton.")).to_be_visible()

    refused = page.request.get(f"{live_server.url}/api/v1/me", headers=headers)
    assert refused.status == 401
    assert refused.json()["code"] == "unauthorized"
