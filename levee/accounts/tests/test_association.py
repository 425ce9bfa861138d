from html import unescape

import pytest
from django.core import mail

from levee.accounts.models import AccountAccess
from testkit import ccfi_world, make_account, make_user, pilat_world

pytestmark = pytest.mark.django_db

START = "/flandre-interieure/espace/associer/"


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world(client):
    ccfi, dupont_ccfi = ccfi_world()
    pilat, pelussin = pilat_world()
    dupont_pilat = make_account(
        pilat,
        code="10042",
        portal_key="VZKRTQPM",
        commune=pelussin,
        postal_code="42410",
        street="rue du Pilat",
        number="12",
    )
    user = make_user("dupont59@gmail.com", accounts=[dupont_ccfi])
    client.force_login(user)
    return {"user": user, "ccfi": dupont_ccfi, "pilat": dupont_pilat}


def choose_pelussin(client):
    return client.get(START, {"q": "42410 Pélussin", "commune": "42168-42410"})


def test_seed_002_associates_an_account_of_another_authority(client, world):
    assert choose_pelussin(client)["Location"] == "/flandre-interieure/espace/associer/cle/"
    page = text(client.get("/flandre-interieure/espace/associer/cle/"))
    assert "Étape 2 / 3" in page and "Clé d'activation" in page
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "vzkr tqpm"})
    assert response["Location"] == "/flandre-interieure/espace/associer/compte/"
    page = text(client.get("/flandre-interieure/espace/associer/compte/"))
    assert (
        "Étape 3 / 3" in page
        and "D****T P****E" in page
        and "DUPONT" not in page.split("Étape 3 / 3")[-1]
    )
    done = client.post("/flandre-interieure/espace/associer/compte/", follow=True)
    assert "Le nouveau compte est maintenant associé !" in text(done)
    assert AccountAccess.objects.filter(user=world["user"], account=world["pilat"]).exists()
    home = text(client.get("/pilat-rhodanien/espace/"))
    assert "Référence abonné : 10042" in home
    assert "pilat-rhodanien:" in home and "flandre-interieure:" in home  # the selector offers both


def test_a_wrong_key_is_refused_next_to_the_field(client, world):
    choose_pelussin(client)
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "ABCDEFGH"})
    assert 'id="id_key_error"' in text(response) and "ne correspond à aucun compte" in text(
        response
    )
    assert not AccountAccess.objects.filter(account=world["pilat"]).exists()


def test_a_key_of_another_commune_is_refused(client, world):
    client.get(START, {"q": "bailleul", "commune": "59043-59270"})
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "VZKRTQPM"})
    assert "ne correspond à aucun compte de cette commune" in text(response)


def test_an_account_already_associated_is_said_so(client, world):
    client.get(START, {"q": "bailleul", "commune": "59043-59270"})
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "PSEMCSMJ"})
    assert "Ce compte est déjà associé à votre espace." in text(response)


def test_ten_wrong_keys_lock_association_for_an_hour(client, world):
    choose_pelussin(client)
    for i in range(10):
        client.post("/flandre-interieure/espace/associer/cle/", {"key": f"WRONG{i:03d}"})
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "VZKRTQPM"})
    assert "bloquée pendant une heure" in text(response)
    assert not AccountAccess.objects.filter(account=world["pilat"]).exists()


def test_a_regenerated_key_no_longer_works(client, world):
    world["pilat"].portal_key = "NEWKEYAB"
    world["pilat"].save(update_fields=["portal_key"])
    choose_pelussin(client)
    response = client.post("/flandre-interieure/espace/associer/cle/", {"key": "VZKRTQPM"})
    assert "ne correspond à aucun compte" in text(response)


def test_the_steps_cannot_be_skipped(client, world):
    assert client.get("/flandre-interieure/espace/associer/compte/")["Location"] == START
    assert client.get("/flandre-interieure/espace/associer/cle/")["Location"] == START


def test_cancel_forgets_the_steps(client, world):
    choose_pelussin(client)
    response = client.get("/flandre-interieure/espace/associer/annuler/")
    assert response["Location"] == "/flandre-interieure/espace/mon-profil/"
    assert client.get("/flandre-interieure/espace/associer/cle/")["Location"] == START


def test_the_other_holder_is_told_when_an_account_is_associated(
    client, world, django_capture_on_commit_callbacks
):
    make_user("conjoint@example.org", accounts=[world["pilat"]])
    choose_pelussin(client)
    client.post("/flandre-interieure/espace/associer/cle/", {"key": "VZKRTQPM"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/flandre-interieure/espace/associer/compte/")
    assert [m.to for m in mail.outbox] == [["conjoint@example.org"]]


def test_dissociation_asks_for_confirmation(client, world):
    AccountAccess.objects.create(
        user=world["user"], account=world["pilat"], authority=world["pilat"].authority
    )
    url = f"/flandre-interieure/espace/dissocier/{world['pilat'].pk}/"
    assert "Confirmer la dissociation" in text(client.get(url))
    assert AccountAccess.objects.filter(account=world["pilat"]).exists()
    client.post(url)
    assert not AccountAccess.objects.filter(account=world["pilat"]).exists()
    assert world["pilat"].__class__.objects.filter(pk=world["pilat"].pk).exists()


def test_dissociating_an_account_that_is_not_yours_is_a_404(client, world):
    other = make_account(
        world["ccfi"].authority, code="00099", portal_key="OTHERKEY", last_name="MARTIN"
    )
    make_user("martin@example.org", accounts=[other])
    assert client.get(f"/flandre-interieure/espace/dissocier/{other.pk}/").status_code == 404
    assert client.post(f"/flandre-interieure/espace/dissocier/{other.pk}/").status_code == 404
    assert AccountAccess.objects.filter(account=other).count() == 1


@pytest.mark.parametrize("typed", ["42410 Pélussin", "42410 PÉLUSSIN", "pelussin"])
def test_step_1_takes_the_commune_as_typed_without_a_pick(client, world, typed):
    # Issue 12, item 6: « 42410 Pélussin » answered « Aucune commune ne correspond ».
    response = client.get(START, {"q": typed})
    assert response["Location"] == "/flandre-interieure/espace/associer/cle/", typed


def test_step_1_offers_the_communes_of_a_shared_postal_code(client, world):
    page = text(client.get(START, {"q": "42410"}))
    assert 'value="42168-42410"' in page and "42410 Chavanay" in page
    assert "<legend>Sélectionnez votre commune" in page
    response = client.get(START, {"q": "42410", "commune": "42168-42410"})
    assert response["Location"] == "/flandre-interieure/espace/associer/cle/"


def test_step_1_says_when_nothing_matches_or_nobody_serves(client, world):
    page = text(client.get(START, {"q": "Pélussinville"}))
    assert 'id="commune-q-error">Aucune commune ne correspond à « Pélussinville »' in page
    page = text(client.get(START, {"q": "75001", "commune": "75056-75001"}))
    assert "La commune de Paris n'est desservie par aucune collectivité" in page
