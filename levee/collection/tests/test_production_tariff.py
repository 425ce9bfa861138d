"""« Mes bacs/levées » once the authority has a tariff for the year: the plan's lifts used,
the extra ones so far, and the estimate of the next invoice."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from levee.billing.estimates import invoice_estimate
from levee.billing.tests.factories import make_invoice, make_tariff
from levee.collection.models import Lift
from levee.lib.templatetags.levee_format import euros
from testkit import make_user

from .test_production_page import weekly_lifts

PAGE = "/flandre-interieure/espace/mes-bacs-levees/"


def text(response) -> str:
    return re.sub(r"[ \t\n]+", " ", unescape(response.content.decode()))


def lifts_this_year(bin, count):
    """`count` lifts from 1 January of this year, a week apart."""
    start = timezone.make_aware(datetime.datetime(timezone.localdate().year, 1, 1, 7))
    weekly_lifts(bin, count, start=start)


@pytest.fixture
def dupont(client, ccfi, bins):
    authority, account = ccfi
    client.force_login(make_user("dupont59@gmail.com", accounts=[account]))
    return account


def test_without_a_tariff_for_the_year_nothing_is_estimated(client, dupont, bins):
    make_tariff(dupont.authority, timezone.localdate().year - 1)
    page = text(client.get(PAGE))
    assert "Mon forfait en" not in page and "Estimation de ma prochaine facture" not in page


def test_it_shows_the_plans_lifts_the_extra_ones_and_the_estimate(client, dupont, bins):
    year = timezone.localdate().year
    make_tariff(dupont.authority, year)  # Bac 120 L: 60 €, 12 lifts, 3,50 € each extra
    lifts_this_year(bins["om"], 1)
    estimate = invoice_estimate(subscription=dupont.subscriptions.get(), today=timezone.localdate())
    page = text(client.get(PAGE))
    section = page.split('aria-labelledby="mon-forfait"')[1].split("</section>")[0]
    assert f"Mon forfait en {year}" in section
    assert f"Forfait Bac 120 L : 12 levées incluses du 01/01/{year} au 31/12/{year}" in section
    assert "chaque levée supplémentaire est facturée 3,50\u00a0€ HT" in section
    assert '<th scope="row">Incluses dans le forfait</th><td>1 sur 12</td>' in section
    assert '<th scope="row">Supplémentaires (facturées en plus)</th><td>0</td>' in section
    assert (
        f"Estimation de ma prochaine facture : environ <strong>{euros(estimate.total_cents)} TTC"
        f"</strong> pour {year}, si mes levées continuent au rythme actuel "
        f"(environ {estimate.projected_lifts} sur l'année)."
    ) in section
    assert "Ce montant n'est qu'une estimation" in section


def test_the_next_invoice_deducts_what_the_year_already_billed(client, dupont, bins):
    year = timezone.localdate().year
    make_tariff(dupont.authority, year)
    lifts_this_year(bins["om"], 1)
    make_invoice(
        dupont,
        number=f"{year % 100:02d}00240000001",
        issued_on=datetime.date(year, 1, 1),
        total_cents=1000,
        period=(datetime.date(year, 1, 1), datetime.date(year, 1, 1)),
    )
    estimate = invoice_estimate(subscription=dupont.subscriptions.get(), today=timezone.localdate())
    page = text(client.get(PAGE))
    assert (
        f"Estimation de ma prochaine facture : environ <strong>"
        f"{euros(estimate.total_cents - 1000)} TTC</strong>, si mes levées continuent au rythme "
        f"actuel : l'année {year} reviendrait à environ {euros(estimate.total_cents)} TTC "
        f"(environ {estimate.projected_lifts} levées), dont 10,00\u00a0€ déjà facturés."
    ) in page


def test_lifts_beyond_the_plan_show_as_extra(client, dupont, bins):
    make_tariff(dupont.authority, timezone.localdate().year, plans=[{"included_lifts": 0}])
    lifts_this_year(bins["om"], 1)
    page = text(client.get(PAGE))
    assert '<th scope="row">Incluses dans le forfait</th><td>0 sur 0</td>' in page
    assert '<th scope="row">Supplémentaires (facturées en plus)</th><td>1</td>' in page


def test_the_page_takes_the_same_queries_with_a_tariff_whatever_the_history(client, dupont, bins):
    make_tariff(dupont.authority, timezone.localdate().year)

    def queries_for(count):
        Lift.objects.all().delete()
        years_ago = timezone.make_aware(datetime.datetime(timezone.localdate().year - 6, 1, 2, 7))
        weekly_lifts(bins["om"], count, start=years_ago)
        lifts_this_year(bins["om"], 1)
        client.get(PAGE)  # the first visit remembers the account in the session
        with CaptureQueriesContext(connection) as captured:
            page = text(client.get(PAGE))
        assert "Estimation de ma prochaine facture" in page
        return len(captured)

    # Ten weeks or six years of lifts: the same 12 queries (session, login, accesses, years,
    # bins, months, averages, subscription, the tariff's plans, the year's lifts so far,
    # what was invoiced, the page of lifts).
    assert queries_for(10) == queries_for(300) == 12


def test_the_estimate_takes_three_queries_with_the_bins_read_and_four_without(
    dupont, bins, django_assert_num_queries
):
    make_tariff(dupont.authority, timezone.localdate().year)
    lifts_this_year(bins["om"], 3)
    subscription = dupont.subscriptions.select_related("authority").get()
    account_bins = list(dupont.bins.all())
    with django_assert_num_queries(3):
        with_bins = invoice_estimate(
            subscription=subscription, today=timezone.localdate(), bins=account_bins
        )
    with django_assert_num_queries(4):
        without = invoice_estimate(subscription=subscription, today=timezone.localdate())
    assert with_bins == without and with_bins.lifts_so_far == 3
