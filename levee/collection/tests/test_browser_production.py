"""Flow 8 in Chromium: « Mes bacs/levées » with the keyboard, its filters and its CSV."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from levee.collection.averages import production_averages_refresh
from levee.collection.models import Flux, Lift
from testkit import PASSWORD, ccfi_world, field, make_account, make_user

from .conftest import make_bin

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_flow_8_bins_lifts_chart_and_export(page, live_server, assert_accessible):
    authority, dupont = ccfi_world()
    start = datetime.datetime(2023, 1, 3, 7, 30, tzinfo=PARIS)
    households = [dupont] + [
        make_account(authority, code=f"0000{n}", portal_key=f"KEYBBBB{n}") for n in range(2, 7)
    ]
    for n, account in enumerate(households):
        om = make_bin(account, chip=f"E00400{n}", tank=f"C00{n}")
        Lift.objects.bulk_create(
            Lift(
                authority=authority,
                bin=om,
                lifted_at=start + datetime.timedelta(days=7 * week),
                net_weight_grams=10000 + 1000 * n,
            )
            for week in range(0, 52, 1 + n % 2)
        )
    make_bin(dupont, chip="E0040099", flux=Flux.RECYCLABLES, volume=240)
    production_averages_refresh(authority=authority, today=datetime.date(2024, 6, 1))
    make_user("dupont59@gmail.com", accounts=[dupont])

    page.goto("/flandre-interieure/connexion/")
    field(page, "Identifiant (adresse mail)").fill("dupont59@gmail.com")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Mes bacs/levées").first.click()
    expect(page.get_by_role("heading", name="Mes bacs/levées")).to_be_visible()
    expect(page.get_by_role("cell", name="E0040099")).to_be_visible()
    assert_accessible(page)

    # With the keyboard: the year, Tab, the flux, Tab, Enter on « Afficher ».
    field(page, "Année").select_option("2023")
    field(page, "Année").focus()
    page.keyboard.press("Tab")
    expect(field(page, "Flux")).to_be_focused()
    field(page, "Flux").select_option(label="Ordures ménagères")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Afficher")).to_be_focused()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="Mes levées en 2023 — Ordures ménagères")
    ).to_be_visible()
    expect(page.get_by_text("52 levées.")).to_be_visible()
    expect(page.get_by_text("52 levées en 2023")).to_be_visible()
    table = page.get_by_role("table", name="Mes levées et mon poids par mois en 2023")
    expect(table.get_by_role("row", name="Janvier")).to_contain_text("5")
    expect(table).to_contain_text("Levées, moyenne")
    expect(page.get_by_text("03/01/2023 07:30")).to_be_hidden()  # page 1 shows the newest
    page.get_by_role("link", name="Page suivante").first.click()
    expect(page.get_by_text("Page 2 sur 3", exact=True)).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mes levées (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "levees-00001-2023.csv"
    lines = open(download.path(), encoding="utf-8-sig").read().splitlines()
    assert len(lines) == 53 and lines[-1].startswith("03/01/2023;07:30;Ordures ménagères;120;")
