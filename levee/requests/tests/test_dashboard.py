"""The agents' dashboard: open requests per type, the oldest waiting, and the mean
handling time over 30 days."""

import datetime

from django.utils import timezone

from levee.lib.templatetags.levee_format import duration_fr
from levee.requests.models import RequestStatus, ServiceRequest
from levee.requests.selectors import queue_summary

from .conftest import make_request, plain


def test_the_dashboard_counts_open_requests_and_the_handling_time(
    client, world, django_assert_max_num_queries
):
    now = timezone.now()
    old = make_request(world)
    decided = make_request(world, kind="contact_details")
    ServiceRequest.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(days=4))
    ServiceRequest.objects.filter(pk=decided.pk).update(
        status=RequestStatus.ACCEPTED,
        created_at=now - datetime.timedelta(days=3),
        decided_at=now - datetime.timedelta(days=1),
    )
    summary = queue_summary(world.ccfi, now=now)
    assert [(title, p, w) for title, p, w, _ in summary.rows] == [
        ("Modification de mes informations", 1, 0)
    ]
    assert summary.oldest.pk == old.pk
    assert summary.decided_30_days == 1
    assert summary.average_handling == datetime.timedelta(days=2)

    client.force_login(world.ccfi_agent)
    with django_assert_max_num_queries(12):
        page = plain(client.get("/backoffice/"))
    assert "Demandes des usagers" in page
    assert "1 demande traitée, en 2 jours en moyenne" in page
    assert queue_summary(world.pilat, now=now).rows == []  # another authority's queue


def test_durations_read_in_french():
    assert duration_fr(datetime.timedelta(minutes=35)) == "35 minutes"
    assert duration_fr(datetime.timedelta(hours=5)) == "5 heures"
    assert duration_fr(datetime.timedelta(days=3, hours=12)) == "3,5 jours"
    assert duration_fr(datetime.timedelta(days=2)) == "2 jours"
    assert duration_fr(None) == ""


def test_the_oldest_request_without_an_account_reads_as_a_sentence(client, world):
    """A « J'emménage » request has no account: the sentence names its type and who asks,
    never « : . »."""
    ServiceRequest.objects.create(
        authority=world.ccfi,
        kind="move_in",
        email="nouvel.arrivant@example.org",
        requested={"last_name": "Lefebvre", "first_name": "Anne"},
    )
    client.force_login(world.ccfi_agent)
    page = plain(client.get("/backoffice/"))
    assert " : ." not in page
    assert ": « Emménagement » de LEFEBVRE ANNE (sans compte usager) . Toutes" in page


def test_no_request_decided_reads_in_the_singular(client, world):
    client.force_login(world.ccfi_agent)
    page = plain(client.get("/backoffice/"))
    assert "Sur les 30 derniers jours : 0 demande traitée." in page
