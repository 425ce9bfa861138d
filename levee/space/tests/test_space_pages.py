from html import unescape

import pytest

from testkit import ccfi_world, make_account, make_user

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def dupont(client):
    authority, account = ccfi_world()
    sub = account.subscriptions.get()
    sub.iban = "FR7630006000011234567890189"
    sub.payment_mode = "prelevement"
    sub.save(update_fields=["iban", "payment_mode"])
    user = make_user("dupont59@gmail.com", accounts=[account])
    client.force_login(user)
    return account


def test_mes_informations_shows_the_coordinates_and_a_masked_iban(client, dupont):
    page = text(client.get("/flandre-interieure/espace/mes-informations/"))
    assert "Mes coordonnées" in page and "Email : dupont59@gmail.com" in page
    assert "FR76 **** **** **** **** ***0 189" in page
    assert "1234567890" not in page
    assert "Référence : 00001" in page and "Souscrit le : 30/06/2022" in page
    assert "Je consulte/modifie mes informations personnelles." in page
    assert 'href="/flandre-interieure/espace/mes-services/modifier-mes-coordonnees/"' in page


def test_the_data_choices_are_saved_with_their_date(client, dupont):
    response = client.post(
        "/flandre-interieure/espace/mes-informations/", {"objects_to_other_uses": "on"}, follow=True
    )
    page = text(response)
    assert "Vos choix sont enregistrés." in page and "Choix enregistrés le" in page
    dupont.refresh_from_db()
    assert dupont.objects_to_other_uses and not dupont.refuses_automated_erasure
    assert dupont.data_choices_updated_at is not None


def test_mon_profil_offers_the_services(client, dupont):
    page = text(client.get("/flandre-interieure/espace/mon-profil/"))
    assert "Services disponibles" in page and "Associer un autre compte" in page


@pytest.mark.parametrize("path", ["", "mes-informations/", "mon-profil/"])
def test_another_resident_or_an_agent_elsewhere_gets_404(client, dupont, path):
    from levee.agents.models import Agent
    from testkit import pilat_world

    pilat, _ = pilat_world()
    agent = make_user("agent@example.org")
    Agent.objects.create(authority=pilat, user=agent)
    client.force_login(agent)
    assert client.get(f"/flandre-interieure/espace/{path}").status_code == 404
    other = make_account(dupont.authority, code="00099", portal_key="OTHERKEY", last_name="MARTIN")
    client.force_login(make_user("martin@example.org", accounts=[other]))
    page = client.get(f"/flandre-interieure/espace/{path}?compte={dupont.pk}")
    assert page.status_code == 404


def test_the_space_takes_a_constant_number_of_queries(
    client, dupont, django_assert_max_num_queries
):
    # The subscriptions are read once, for the header and the list.
    with django_assert_max_num_queries(8):
        client.get("/flandre-interieure/espace/mes-informations/")


def test_the_home_takes_a_constant_number_of_queries(client, dupont, django_assert_max_num_queries):
    from levee.calendars.tests.conftest import make_schedule

    make_schedule(dupont.authority, dupont.subscriptions.get().commune)
    client.get("/flandre-interieure/espace/")  # the commune's calendar is kept from now on
    # The session, the login, his accounts, the calendar version (the tests' cache is the
    # database's table), the subscriptions: the next collections are kept.
    with django_assert_max_num_queries(5):
        client.get("/flandre-interieure/espace/")


def test_the_home_shows_the_next_collections_and_the_calendar_sentence(client, dupont):
    from levee.calendars.tests.conftest import make_schedule

    bailleul = dupont.subscriptions.get().commune
    make_schedule(dupont.authority, bailleul, weekday=1)  # every Tuesday
    page = text(client.get("/flandre-interieure/espace/"))
    assert (
        "Vous pouvez consulter les calendriers de collecte des déchets sur votre commune "
        "en cliquant sur ce lien : "
        f'<a href="/flandre-interieure/calendriers/{bailleul.insee}/">Calendriers des collectes</a>'
    ) in page
    assert "Mes prochaines collectes" in page and "Ordures ménagères" in page
    assert "mardi" in page


def test_the_menu_links_are_those_of_the_residents_own_authority(client, dupont):
    from testkit import pilat_world

    pilat, _ = pilat_world()
    resident = make_account(pilat, code="42001", portal_key="PILATKEY", last_name="FAURE")
    page = text(client.get("/flandre-interieure/espace/"))
    assert 'href="/flandre-interieure/espace/mes-bacs-levees/"' in page
    client.force_login(make_user("faure@example.org", accounts=[resident]))
    page = text(client.get("/pilat-rhodanien/espace/"))
    assert 'href="/pilat-rhodanien/espace/mes-bacs-levees/"' in page
    assert 'href="/pilat-rhodanien/espace/mes-informations/"' in page
    assert "flandre-interieure" not in page
