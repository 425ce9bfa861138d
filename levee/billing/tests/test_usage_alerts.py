"""« Vous avez utilisé toutes les levées de votre forfait »: the periodic job alerts a
household once per subscription and year when its lifts reach those its plan includes
(prorated as the estimate counts them), with what each extra lift costs."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from levee.billing.models import UsageAlert, UsageAlertOptOut
from levee.billing.services_alerts import (
    unsubscribe_url,
    usage_alerts_record_past,
    usage_alerts_send,
)
from levee.collection.models import Lift
from levee.collection.tests.conftest import make_bin
from levee.collection.tests.test_production_page import weekly_lifts
from levee.lib.periodic import periodic_jobs
from levee.mailing.models import OutboxMessage
from levee.subscribers.models import Subscription
from testkit import ccfi_world, make_account, make_user

from .factories import make_tariff

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = datetime.datetime(2024, 1, 2, 7, tzinfo=PARIS)
TODAY = datetime.date(2024, 7, 1)


@pytest.fixture
def dupont(db, settings):
    settings.SITE_URL = "https://dechets.example.org"
    authority, account = ccfi_world()
    account.email = "dupont59@gmail.com"
    account.save(update_fields=["email"])
    # 12 lifts a year included, 3,50 € HT each extra one, VAT 10 %.
    make_tariff(authority, 2024, vat_rate_bp=1000)
    return account


def alerts():
    return list(OutboxMessage.objects.filter(template="usage_alert"))


def test_no_alert_while_lifts_are_left_in_the_plan(dupont):
    weekly_lifts(make_bin(dupont, chip="E0040001"), 11, start=START)
    assert usage_alerts_send(today=TODAY) == 0
    assert alerts() == []


def test_the_alert_goes_when_the_lifts_reach_the_plan_with_the_extra_lift_price(dupont):
    weekly_lifts(make_bin(dupont, chip="E0040001"), 12, start=START)
    assert usage_alerts_send(today=TODAY) == 1
    [message] = alerts()
    assert message.to == "dupont59@gmail.com"
    assert message.authority_id == dupont.authority_id
    assert "Vous avez utilisé toutes les levées de votre forfait 2024" in message.subject
    body = " ".join(message.body_text.split())
    assert "a utilisé les 12 levées incluses dans son forfait Bac 120 L pour l'année 2024" in body
    assert "12 levées comptées à ce jour" in body
    assert "Chaque levée supplémentaire vous sera facturée 3,50 € HT (3,85 € TTC)" in body
    assert "/flandre-interieure/espace/mes-bacs-levees/" in body
    assert "https://dechets.example.org/flandre-interieure/alertes-consommation/" in body
    assert "Chaque levée supplémentaire vous sera facturée" in message.body_html
    alert = UsageAlert.objects.get()
    assert (alert.year, alert.lifts, alert.included_lifts) == (2024, 12, 12)


def test_the_alert_goes_once_a_year_however_many_runs_and_lifts(dupont):
    bin = make_bin(dupont, chip="E0040001")
    weekly_lifts(bin, 12, start=START)
    assert usage_alerts_send(today=TODAY) == 1
    weekly_lifts(bin, 3, start=datetime.datetime(2024, 4, 2, 7, tzinfo=PARIS))
    assert usage_alerts_send(today=TODAY) == 0
    assert usage_alerts_send(today=TODAY + datetime.timedelta(days=30)) == 0
    assert len(alerts()) == 1
    # A new year, a new plan: alerted again when its lifts reach it.
    make_tariff(dupont.authority, 2025)
    weekly_lifts(bin, 12, start=datetime.datetime(2025, 1, 3, 7, tzinfo=PARIS))
    assert usage_alerts_send(today=datetime.date(2025, 6, 1)) == 1
    assert sorted(UsageAlert.objects.values_list("year", flat=True)) == [2024, 2025]


def test_a_subscription_started_in_the_year_has_its_included_lifts_prorated(dupont):
    """Subscribed on 2 July 2024 (183 of 366 days left): 12 × 183/366 = 6 lifts included,
    as the estimate of « Mes bacs/levées » counts them."""
    subscription = dupont.subscriptions.get()
    subscription.subscribed_on = datetime.date(2024, 7, 2)
    subscription.save(update_fields=["subscribed_on"])
    bin = make_bin(dupont, chip="E0040001", delivered_on=datetime.date(2024, 7, 2))
    july = datetime.datetime(2024, 7, 3, 7, tzinfo=PARIS)
    weekly_lifts(bin, 5, start=july)
    today = datetime.date(2024, 9, 1)
    assert usage_alerts_send(today=today) == 0
    weekly_lifts(bin, 1, start=july + datetime.timedelta(days=35))
    assert usage_alerts_send(today=today) == 1
    body = " ".join(alerts()[0].body_text.split())
    assert (
        "les 6 levées incluses dans son forfait Bac 120 L pour la période du 2 juillet 2024 au 31 décembre 2024"
        in body
    )


def test_the_alert_goes_to_the_logins_when_the_account_has_no_email(dupont):
    dupont.email = ""
    dupont.save(update_fields=["email"])
    make_user("pierre@example.org", accounts=[dupont])
    make_user("marie@example.org", accounts=[dupont])
    weekly_lifts(make_bin(dupont, chip="E0040001"), 12, start=START)
    assert usage_alerts_send(today=TODAY) == 1
    assert sorted(m.to for m in alerts()) == ["marie@example.org", "pierre@example.org"]


def test_no_alert_without_a_tariff_for_the_year_nor_for_an_ended_subscription(dupont):
    weekly_lifts(make_bin(dupont, chip="E0040001"), 12, start=START)
    assert usage_alerts_send(today=datetime.date(2023, 12, 1)) == 0
    Subscription.objects.update(ended_on=datetime.date(2024, 6, 1))
    assert usage_alerts_send(today=TODAY) == 0
    assert alerts() == []


def test_only_the_households_that_used_their_plan_are_alerted(dupont):
    other = make_account(dupont.authority, code="00002", portal_key="AUTREAAA", number="31")
    other.email = "voisin@example.org"
    other.save(update_fields=["email"])
    weekly_lifts(make_bin(dupont, chip="E0040001"), 12, start=START)
    weekly_lifts(make_bin(other, chip="E0040002"), 4, start=START)
    assert usage_alerts_send(today=TODAY) == 1
    assert [m.to for m in alerts()] == ["dupont59@gmail.com"]


def test_a_household_turns_the_alert_off_in_one_click_and_back_on(client, dupont):
    url = unsubscribe_url(dupont, dupont.authority).removeprefix("https://dechets.example.org")
    page = client.get(url)
    assert page.status_code == 200
    assert "Ne plus recevoir cette alerte" in page.content.decode()
    assert not UsageAlertOptOut.objects.exists()  # opening the link changes nothing
    page = client.post(url, {"action": "off"})
    assert "vous ne recevrez plus d'alerte" in page.content.decode()
    weekly_lifts(make_bin(dupont, chip="E0040001"), 12, start=START)
    assert usage_alerts_send(today=TODAY) == 0
    page = client.post(url, {"action": "on"})
    assert "vous recevrez de nouveau une alerte" in page.content.decode()
    assert usage_alerts_send(today=TODAY) == 1


def test_a_forged_or_foreign_unsubscribe_link_is_not_found(client, dupont):
    assert client.get("/flandre-interieure/alertes-consommation/abc/").status_code == 404
    url = unsubscribe_url(dupont, dupont.authority).replace(
        "/flandre-interieure/", "/autre-collectivite/"
    )
    assert client.get(url.removeprefix("https://dechets.example.org")).status_code == 404


def test_the_periodic_job_sends_the_alerts_of_today(dupont):
    today = timezone.localdate()
    make_tariff(dupont.authority, today.year)
    midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    bin = make_bin(dupont, chip="E0040001")
    Lift.objects.bulk_create(
        Lift(
            authority_id=bin.authority_id,
            bin=bin,
            lifted_at=midnight + datetime.timedelta(minutes=n),
            net_weight_grams=12500,
            vehicle="BOM-01",
        )
        for n in range(12)
    )
    [job] = [j for j in periodic_jobs() if j.name == "usage alerts"]
    assert job.run() == "1 usage alert(s) enqueued"
    assert job.run() == "0 usage alert(s) enqueued"
    assert len(alerts()) == 1


def test_a_threshold_reached_before_the_portal_watched_is_recorded_without_an_email(dupont):
    """The demo loads years of lifts at once: what they reached is known, not mailed, and
    the data export does not list it as sent; next year's threshold is mailed as usual."""
    bin = make_bin(dupont, chip="E0040001")
    weekly_lifts(bin, 12, start=START)
    assert usage_alerts_record_past(today=TODAY) == 1
    assert alerts() == []
    assert UsageAlert.objects.get().emailed is False
    assert usage_alerts_send(today=TODAY) == 0
    assert alerts() == []
    make_tariff(dupont.authority, 2025)
    weekly_lifts(bin, 12, start=datetime.datetime(2025, 1, 3, 7, tzinfo=PARIS))
    assert usage_alerts_send(today=datetime.date(2025, 6, 1)) == 1
    assert len(alerts()) == 1
