import threading

import pytest
from django.db import connections

from levee.lib import captcha
from testkit import altcha_payload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def test_two_processes_posting_the_same_solution_at_once_accept_it_once():
    payload = altcha_payload()
    start = threading.Barrier(4)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(captcha.verify(payload))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]
