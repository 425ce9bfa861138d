"""Two agents clicking « Accepter » at the same moment, in two real transactions (PostgreSQL:
SQLite serialises writers, so the race needs PostgreSQL's row locks)."""

import threading

import pytest
from django.db import connections

from levee.audit.models import AuditEntry
from levee.requests import services
from levee.requests.models import RequestStatus, ServiceRequest
from levee.subscribers.models import Subscription

from .conftest import make_request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def test_two_agents_accepting_at_the_same_moment_apply_it_once(world):
    service_request = make_request(world)
    start = threading.Barrier(2)
    outcomes = []

    def agent():
        try:
            own_copy = ServiceRequest.objects.get(pk=service_request.pk)
            start.wait()
            services.service_request_accept(service_request=own_copy, agent_user=world.ccfi_agent)
            outcomes.append("accepted")
        except services.AlreadyHandled:
            outcomes.append("already handled")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=agent) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "already handled"]
    assert ServiceRequest.objects.get().status == RequestStatus.ACCEPTED
    assert AuditEntry.objects.filter(action="service_request.accept").count() == 1
    assert ServiceRequest.objects.get().status_changes.count() == 2
    assert Subscription.objects.get(account=world.account).number == "30"
