"""« Mes bacs/levées »: the drop-offs' weight, the flux the filter offers, the charts' axis,
and one projection of the year per page (issue 12, item 11)."""

import datetime
import re
import zoneinfo
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from levee.billing.estimates import invoice_estimate
from levee.billing.tests.factories import make_tariff
from levee.collection.importers.dropoffs import dropoff_import
from levee.collection.models import DropOff, DropOffKind, Flux, ImportStatus, QuantityUnit
from levee.collection.views import nice_scale
from testkit import make_user

from .conftest import make_bin
from .test_production_page import weekly_lifts

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PAGE = "/flandre-interieure/espace/mes-bacs-levees/"


def text(response) -> str:
    return re.sub(r"[ \t\n]+", " ", unescape(response.content.decode()))


@pytest.fixture
def dupont(client, ccfi, bins):
    authority, account = ccfi
    client.force_login(make_user("dupont59@gmail.com", accounts=[account]))
    return account


def visit(account, day, **fields):
    return DropOff.objects.create(
        authority=account.authority,
        account=account,
        kind=DropOffKind.DECHETERIE,
        occurred_at=datetime.datetime(2023, 5, day, 10, 30, tzinfo=PARIS),
        site="Déchèterie de Bailleul",
        **fields,
    )


def test_a_drop_off_shows_its_weight_in_kg_beside_its_volume(client, dupont):
    visit(dupont, 6, quantity=500, quantity_unit=QuantityUnit.LITRES, weight_grams=75_500)
    visit(dupont, 7, quantity=12, quantity_unit=QuantityUnit.KG)
    visit(dupont, 8, quantity=250, quantity_unit=QuantityUnit.LITRES)
    page = text(client.get(PAGE + "?annee=2023"))
    assert "<td>500\u00a0L</td><td>75,5\u00a0kg</td>" in page
    assert "<td></td><td>12,0\u00a0kg</td>" in page  # a quantity in kg is a weight
    assert "<td>250\u00a0L</td><td></td>" in page
    body = b"".join(client.get(PAGE + "apports.csv?annee=2023").streaming_content).decode()
    assert body.startswith("\ufeffDate;Heure;Type;Lieu;Flux;Quantité;Unité;Poids (kg)")
    assert "06/05/2023;10:30;Passage en déchèterie;Déchèterie de Bailleul;;500;L;75,5" in body


def test_the_drop_off_import_reads_the_weighed_weight(ccfi):
    authority, account = ccfi
    content = (
        "horodatage;type;code_usager;badge;lieu;flux;quantite;unite;poids_kg\n"
        f"2024-03-05 10:12;déchèterie;{account.code};;Déchèterie de Bailleul;;0,5;m3;85,5\n"
        f"2024-03-06 10:12;déchèterie;{account.code};;Déchèterie de Bailleul;;;;-3\n"
        f"2024-03-07 10:12;déchèterie;{account.code};;Déchèterie de Bailleul;;;;abc\n"
    )
    batch = dropoff_import(
        authority=authority, file=ContentFile(content.encode()), filename="apports.csv"
    )
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_imported, batch.rows_rejected) == (1, 2)
    dropoff = DropOff.objects.get()
    assert (dropoff.quantity, dropoff.weight_grams) == (500, 85_500)
    assert "poids" in batch.rejected_report


def test_the_flux_filter_offers_only_the_flux_of_the_households_bins(client, dupont, bins):
    make_bin(
        dupont,
        chip="E0040003",
        flux=Flux.BIODECHETS,
        delivered_on=datetime.date(2022, 6, 30),
        removed_on=datetime.date(2023, 5, 31),
    )
    weekly_lifts(bins["om"], 1, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))

    def offered(query):
        page = client.get(PAGE + query).content.decode()
        select = page[
            page.index('<select name="flux"') : page.index(
                "</select>", page.index('<select name="flux"')
            )
        ]
        return re.findall(r'<option value="([a-z_]*)"', select)

    assert offered("?annee=2023") == ["", "ordures_menageres", "recyclables", "biodechets"]
    # The bin removed in 2023 is not offered for a year it did not serve.
    this_year = timezone.localdate().year
    assert offered(f"?annee={this_year}") == ["", "ordures_menageres", "recyclables"]
    # Without filters the page shows 2023, its latest year with lifts.
    assert offered("") == ["", "ordures_menageres", "recyclables", "biodechets"]
    response = client.get(PAGE + "?annee=2023&flux=verre")
    assert "Choisissez un flux de la liste." in text(response)


def test_the_axis_takes_round_graduations():
    assert nice_scale(3) == (3, [0, 1, 2, 3])
    assert nice_scale(37) == (40, [0, 10, 20, 30, 40])
    assert nice_scale(0) == (4, [0, 1, 2, 3, 4])
    assert nice_scale(112) == (150, [0, 50, 100, 150])
    top, ticks = nice_scale(1234)
    assert top >= 1234 and len(ticks) <= 6 and ticks[0] == 0


def test_the_charts_have_axis_values_in_french_figures(client, dupont, bins):
    weekly_lifts(bins["om"], 3, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    page = client.get(PAGE + "?annee=2023").content.decode()
    lifts_chart, kg_chart = re.findall(r"<svg.*?</svg>", page, re.S)
    labels = lambda svg: re.findall(r'text-anchor="end" class="chart-label">([^<]*)<', svg)  # noqa: E731
    assert labels(lifts_chart) == ["0", "1", "2", "3"]
    assert labels(kg_chart) == ["0", "10", "20", "30", "40"]
    # The tallest bar (March: 37,5 kg) reaches 37,5/40 of the axis: 150 of 160 units.
    assert 'height="150" class="bar-household"' in kg_chart
    # The table writes every weight with one decimal.
    assert '<th scope="row">Mars</th><td>3</td><td>37,5</td>' in page
    assert '<th scope="row">Avril</th><td>0</td><td>0,0</td>' in page


def test_an_account_with_two_bins_reads_one_projection_of_its_lifts(client, dupont, bins):
    today = timezone.localdate()
    make_tariff(dupont.authority, today.year)
    start = datetime.datetime(today.year, 1, 1, 7, tzinfo=PARIS)
    weeks = max(2, (today - start.date()).days // 7)
    weekly_lifts(bins["om"], weeks // 2, start=start)
    weekly_lifts(bins["recyclables"], weeks, start=start + datetime.timedelta(hours=2))
    estimate = invoice_estimate(subscription=dupont.subscriptions.get(), today=today)
    page = text(client.get(PAGE))
    assert f"(environ {estimate.projected_lifts} sur l'année)" in page
    projected = re.findall(r"environ <strong>(\d+) levées</strong>", page)
    # One line per flux; household waste is the figure of « Mon forfait », not another.
    assert f"Ordures ménagères : environ <strong>{estimate.projected_lifts} levées</strong>" in page
    assert "Emballages recyclables : environ <strong>" in page
    assert len(projected) == 2
