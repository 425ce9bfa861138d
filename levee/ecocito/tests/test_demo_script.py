"""README « Compatibilité Ecocito », followed on the demo: a script using only the contract
logs in as Marie Martin and reads her lifts of last year, for every flux."""

import pytest
from django.utils import timezone

from levee.collection.models import Lift
from levee.demo.tests.demo_cache import demo_restore

from .test_client_contract import EcocitoClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, live_server, demo_cache_folder):
    demo_restore(
        today=None,
        shared=demo_cache_folder,
        media_root=settings.MEDIA_ROOT,
        private_root=settings.PRIVATE_ROOT,
    )


def test_a_script_reads_marie_martins_lifts_of_last_year_for_every_flux(live_server, demo):
    client = EcocitoClient(live_server.url, "marie.martin@example.org", "Usager-Demo-1!")
    client.login()
    year = timezone.localdate().year - 1

    everything = client.lifts(year)
    expected = Lift.objects.filter(
        bin__account__accesses__user__email="marie.martin@example.org", lifted_at__year=year
    ).count()
    assert everything and len(everything) == expected
    assert all(row["DATE_DONNEE"].year == year for row in everything)
    per_flux = [client.lifts(year, number) for number in client.matieres() if number != -1]
    assert sum(len(rows) for rows in per_flux) == len(everything)
