"""Junk in the demandes' URLs and parameters never answers 500, whoever asks."""

import pytest

from .conftest import make_request

pytestmark = pytest.mark.django_db

JUNK = ["0", "-1", "99999999999999999999", "%00", "<script>alert(1)</script>", "' OR 1=1 --"]
PATHS = [
    "/flandre-interieure/espace/mes-services/{j}/",
    "/flandre-interieure/espace/mes-services/?compte={j}",
    "/flandre-interieure/espace/suivi-de-mes-demandes/{j}/",
    "/flandre-interieure/espace/suivi-de-mes-demandes/{j}/pieces-jointes/{j}/",
    "/flandre-interieure/espace/suivi-de-mes-demandes/?compte={j}",
    "/flandre-interieure/confirmer-mon-email/{j}/",
    "/flandre-interieure/espace/mes-services/contester-une-levee/?levee={j}",
    "/flandre-interieure/espace/associer/cle-d-activation/?commune={j}",
    "/espace/mes-demandes/{j}/",
    "/flandre-interieure/j-emmenage/?commune={j}",
    "/flandre-interieure/j-emmenage/confirmer/{j}/",
    "/flandre-interieure/j-emmenage/ma-demande/{j}/",
    "/flandre-interieure/j-emmenage/ma-demande/{j}/repondre/",
    "/flandre-interieure/j-emmenage/ma-demande/{j}/pieces-jointes/{j}/",
    "/backoffice/demandes/{j}/",
    "/backoffice/demandes/{j}/pieces-jointes/{j}/",
    "/backoffice/demandes/?type={j}&statut={j}&commune={j}&anciennete={j}&page={j}",
]


@pytest.mark.parametrize("who", [None, "resident", "ccfi_agent", "pilat_agent"])
def test_no_junk_url_of_the_demandes_answers_500(client, world, who):
    make_request(world)
    if who:
        client.force_login(getattr(world, who))
    for path in PATHS:
        for junk in JUNK:
            url = path.format(j=junk)
            assert client.get(url).status_code < 500, url
            assert client.post(url, {"body": junk, "reason": junk}).status_code < 500, url
