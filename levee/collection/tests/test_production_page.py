"""« Mes bacs/levées » (flow 8): the page, its filters, its CSV files and who reaches them."""

import datetime
import zoneinfo
from html import unescape

import pytest
from django.utils import timezone

from levee.agents.models import Agent
from levee.collection.averages import production_averages_refresh
from levee.collection.models import DropOff, DropOffKind, Lift, QuantityUnit
from testkit import make_account, make_user, pilat_world

from .conftest import make_bin

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PAGE = "/flandre-interieure/espace/mes-bacs-levees/"


def text(response) -> str:
    return unescape(response.content.decode())


def weekly_lifts(bin, count, *, start, grams=12500):
    Lift.objects.bulk_create(
        Lift(
            authority_id=bin.authority_id,
            bin=bin,
            lifted_at=start + datetime.timedelta(days=7 * n),
            net_weight_grams=grams,
            vehicle="BOM-01",
        )
        for n in range(count)
    )


@pytest.fixture
def dupont(client, ccfi, bins):
    authority, account = ccfi
    client.force_login(make_user("dupont59@gmail.com", accounts=[account]))
    return account


def test_it_shows_the_bins_the_lifts_and_the_months(client, dupont, bins):
    weekly_lifts(bins["om"], 3, start=datetime.datetime(2023, 3, 1, 7, 15, tzinfo=PARIS))
    page = text(client.get(PAGE + "?annee=2023"))
    assert "E0040001" in page and "C0001" in page and "120 L" in page and "30 juin 2022" in page
    assert "3 levées." in page
    assert "01/03/2023 07:15" in page and "12,5" in page
    assert "29 ROUTE DE MÉTEREN 59270 BAILLEUL" in page
    assert "<strong>3 levées</strong> en 2023" in page  # a past year: its count
    # The table gives the chart's figures: March 3 lifts and 37.5 kg, the year 3.
    assert '<th scope="row">Mars</th><td>3</td><td>37,5</td>' in page


def test_it_filters_by_year_and_flux(client, dupont, bins):
    weekly_lifts(bins["om"], 2, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    weekly_lifts(bins["recyclables"], 4, start=datetime.datetime(2023, 3, 2, 7, tzinfo=PARIS))
    weekly_lifts(bins["om"], 1, start=datetime.datetime(2024, 1, 3, 7, tzinfo=PARIS))
    assert "6 levées." in text(client.get(PAGE + "?annee=2023"))
    page = text(client.get(PAGE + "?annee=2023&flux=recyclables"))
    assert "4 levées." in page and "Emballages recyclables" in page
    assert "1 levée." in text(client.get(PAGE + "?annee=2024&flux=ordures_menageres"))


def test_a_year_or_flux_outside_the_lists_gets_a_french_message(client, dupont):
    for query, message in (
        ("?annee=1850", "Choisissez une année de la liste"),
        ("?annee=abc", "Choisissez une année de la liste"),
        ("?annee=2023&flux=plutonium", "Choisissez un flux de la liste."),
        ("?annee=" + "9" * 40, "Choisissez une année de la liste"),
    ):
        response = client.get(PAGE + query)
        assert response.status_code == 200
        assert message in text(response)
        assert 'aria-invalid="true"' in text(response)


def test_the_lifts_are_paginated(client, dupont, bins):
    weekly_lifts(bins["om"], 30, start=datetime.datetime(2023, 1, 4, 7, tzinfo=PARIS))
    first = text(client.get(PAGE + "?annee=2023"))
    assert "Page 1 sur 2" in first and "Page suivante" in first
    assert first.count(" 07:00</td>") == 25
    second = text(client.get(PAGE + "?annee=2023&page=2"))
    assert second.count(" 07:00</td>") == 5 and "Page précédente" in second
    assert "Page 2 sur 2" in text(client.get(PAGE + "?annee=2023&page=999"))
    assert "Page 1 sur 2" in text(client.get(PAGE + "?annee=2023&page=junk"))


def test_the_current_year_gets_an_estimate_at_the_pace_so_far(client, dupont, bins):
    today = timezone.localdate()
    start = datetime.datetime(today.year, 1, 1, 7, tzinfo=PARIS)
    count = max(1, (today - start.date()).days // 7)
    weekly_lifts(bins["om"], count, start=start)
    page = text(client.get(PAGE))
    assert f"Par mois en {today.year}" in page
    assert "Au rythme actuel, vous compterez environ" in page


def dechetterie_visit(account, occurred_at, **fields):
    return DropOff.objects.create(
        authority=account.authority,
        account=account,
        kind=DropOffKind.DECHETERIE,
        occurred_at=occurred_at,
        site="Déchèterie de Bailleul",
        **fields,
    )


def test_the_drop_offs_are_listed_and_exported(client, dupont):
    dechetterie_visit(
        dupont,
        datetime.datetime(2023, 5, 6, 10, 30, tzinfo=PARIS),
        quantity=500,
        quantity_unit=QuantityUnit.LITRES,
    )
    page = text(client.get(PAGE + "?annee=2023"))
    assert "1 apport " in page and "Passage en déchèterie" in page and "06/05/2023 10:30" in page
    response = client.get(PAGE + "apports.csv?annee=2023")
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeffDate;Heure;Type;Lieu;Flux;Quantité;Unité")
    assert "06/05/2023;10:30;Passage en déchèterie;Déchèterie de Bailleul;;500;L" in body


def test_the_lifts_export_is_a_french_csv_that_runs_no_formula(client, dupont, bins):
    weekly_lifts(bins["om"], 2, start=datetime.datetime(2023, 3, 1, 7, 15, tzinfo=PARIS))
    subscription = dupont.subscriptions.get()
    subscription.street = '=HYPERLINK("http://evil")'
    subscription.number = ""
    subscription.save(update_fields=["street", "number"])
    response = client.get(PAGE + "levees.csv?annee=2023&flux=ordures_menageres")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="levees-00001-2023.csv"' in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "\ufeffDate;Heure;Flux;Volume (L);N° de puce;N° de cuve;Poids (kg);Adresse"
    assert lines[1].startswith("08/03/2023;07:15;Ordures ménagères;120;E0040001;C0001;12,5;")
    assert len(lines) == 3
    assert ";'=HYPERLINK" in lines[1] or ";\"'=HYPERLINK" in lines[1]


def test_an_export_with_a_bad_filter_goes_back_to_the_page_with_the_message(client, dupont):
    response = client.get(PAGE + "levees.csv?annee=abc", follow=True)
    assert response.redirect_chain and "Choisissez une année de la liste" in text(response)


def test_the_page_takes_the_same_queries_whatever_the_history(
    client, dupont, bins, django_assert_num_queries
):
    def queries_for(count):
        Lift.objects.all().delete()
        start = datetime.datetime(2023, 1, 2, 7, tzinfo=PARIS)
        weekly_lifts(bins["om"], count, start=start)
        weekly_lifts(bins["recyclables"], count, start=start + datetime.timedelta(days=1))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(PAGE)  # the first visit remembers the account in the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE + "?annee=2023").status_code == 200
        return len(captured)

    # Ten weeks or ten years of weekly lifts: the same number of queries.
    assert queries_for(10) == queries_for(520)


def test_the_page_compares_with_comparable_households_of_the_commune(client, dupont, bins):
    authority = dupont.authority
    start = datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS)
    weekly_lifts(bins["om"], 4, start=start)  # 4 lifts in March for Dupont
    for n in range(2, 7):  # five neighbours in Bailleul with a 120 L bin: 2 lifts each
        neighbour = make_account(authority, code=f"0000{n}", portal_key=f"KEYAAAA{n}")
        weekly_lifts(make_bin(neighbour, chip=f"E00500{n}"), 2, start=start, grams=10000)
    production_averages_refresh(authority=authority, today=datetime.date(2023, 12, 31))
    page = text(client.get(PAGE + "?annee=2023&flux=ordures_menageres"))
    assert "Moyenne des foyers comparables" in page
    # Six 120 L bins in March: (4 + 5 × 2) / 6 = 2.3 lifts, (50 + 5 × 20) / 6 = 25 kg.
    assert '<th scope="row">Mars</th><td>4</td><td>2,3</td><td>50,0</td><td>25,0</td>' in page


def test_too_few_comparable_households_show_no_average(client, dupont, bins):
    weekly_lifts(bins["om"], 4, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    production_averages_refresh(authority=dupont.authority, today=datetime.date(2023, 12, 31))
    page = text(client.get(PAGE + "?annee=2023"))
    assert "Trop peu de foyers de votre commune" in page
    assert "Levées, moyenne" not in page


def test_only_the_owner_reaches_the_page_and_its_files(client, ccfi, bins):
    authority, account = ccfi
    weekly_lifts(bins["om"], 2, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    neighbour = make_account(authority, code="00002", portal_key="KBWHLTRA")
    other_resident = make_user("voisin@example.org", accounts=[neighbour])
    pilat, _ = pilat_world()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=agent)

    urls = [PAGE, PAGE + "levees.csv", PAGE + "apports.csv"]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(other_resident)
    for url in urls:
        assert client.get(url + f"?compte={account.pk}").status_code == 404
    page = text(client.get(PAGE))
    assert f"Aucune levée en {timezone.localdate().year}" in page and "E0040001" not in page
    client.force_login(agent)
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.get(url + f"?compte={account.pk}").status_code == 404


def test_the_filters_keep_the_chosen_options_and_tie_an_error_to_its_select(client, dupont, bins):
    weekly_lifts(bins["om"], 2, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    page = text(client.get(PAGE + "?annee=2023&flux=recyclables"))
    assert '<option value="2023" selected>2023</option>' in page
    assert '<option value="recyclables" selected>Emballages recyclables</option>' in page
    assert page.count(" selected>") == 2 and "field-error" not in page
    assert '<label for="id_annee">Année <span class="required" aria-hidden="true">*</span>' in page
    assert '<label for="id_flux">Flux</label>' in page

    page = text(client.get(PAGE + "?annee=2023&flux=plutonium"))
    assert (
        '<select name="flux" id="id_flux" aria-invalid="true" aria-describedby="id_flux_error">'
        in page
    )
    assert '<p class="error" id="id_flux_error">Choisissez un flux de la liste.</p>' in page
    assert '<select name="annee" id="id_annee">' in page  # the year was right
    assert '<option value="2023" selected>2023</option>' in page


def test_a_year_without_drop_offs_lists_none_though_another_year_has_some(client, dupont, bins):
    weekly_lifts(bins["om"], 2, start=datetime.datetime(2023, 3, 1, 7, tzinfo=PARIS))
    dechetterie_visit(dupont, datetime.datetime(2024, 5, 6, 10, 30, tzinfo=PARIS))
    assert "Aucun apport en 2023." in text(client.get(PAGE + "?annee=2023"))
    assert "1 apport " in text(client.get(PAGE + "?annee=2024"))


def test_the_weights_and_averages_are_written_with_one_decimal_as_floatformat_writes_them():
    """One format for one quantity: « 42,0 » beside « 52,8 », never « 42 » (issue 12)."""
    from decimal import Decimal

    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from levee.collection.views import kg_text, tenths_text

    with translation.override("fr"):
        for grams in [*range(0, 3001), 12_345, 99_950, 99_999, 1_000_000, 1_234_567]:
            # Digits grouped by a narrow no-break space, as the amounts are (« 1 234,56 € »).
            written = floatformat(Decimal(grams) / 1000, "1g").replace("\xa0", "\u202f")
            assert kg_text(grams) == written, grams
            average = Decimal(grams) / 1000
            assert tenths_text(average) == written, average


def test_an_unknown_or_deactivated_authority_answers_404_to_its_own_resident(client, dupont):
    assert client.get("/nulle-part/espace/mes-bacs-levees/").status_code == 404
    assert client.get(PAGE).status_code == 200
    dupont.authority.is_active = False
    dupont.authority.save(update_fields=["is_active"])
    assert client.get(PAGE).status_code == 404
