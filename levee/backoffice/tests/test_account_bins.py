"""The account's page: « Ajouter un bac », « Remplacer », « Retirer » and « Forfait »,
each refused in French next to its field, offered only to the roles that may, and out of
reach of another authority's agents (issue 12, item 4)."""

import datetime
import re
from html import unescape

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.tests.billing_builders import make_tariff
from levee.collection.models import Bin
from levee.collection.tests.conftest import make_bin
from testkit import ccfi_world, make_account, make_user, pilat_world

pytestmark = pytest.mark.django_db
D = datetime.date


def text(response) -> str:
    return unescape(response.content.decode())


def plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


@pytest.fixture
def world(client):
    ccfi, account = ccfi_world()
    make_tariff(ccfi, year=datetime.date.today().year)
    pilat, pelussin = pilat_world()
    agent = make_user("accueil@flandre.example.org")
    Agent.objects.create(authority=ccfi, user=agent, role=AgentRole.ACCUEIL)
    other = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=other, role=AgentRole.ADMINISTRATEUR)
    client.force_login(agent)
    return {
        "ccfi": ccfi,
        "account": account,
        "subscription": account.subscriptions.get(),
        "bin": make_bin(account, chip="E0040001", delivered_on=D(2022, 6, 30)),
        "agent": agent,
        "other": other,
        "url": f"/backoffice/comptes/{account.pk}/",
    }


def add_post(world, **fields) -> dict:
    return {
        "subscription": world["subscription"].pk,
        "flux": "recyclables",
        "volume_litres": "240",
        "chip_number": "E0040002",
        "tank_number": "",
        "delivered_on": "01/03/2024",
        **fields,
    }


def test_the_page_offers_each_action_with_the_plan_billing_reads(client, world):
    page = text(client.get(world["url"]))
    assert f'href="{world["url"]}bacs/ajouter/">Ajouter un bac</a>' in page
    assert f"{world['url']}bacs/{world['bin'].pk}/remplacer/" in page
    assert f"{world['url']}bacs/{world['bin'].pk}/retirer/" in page
    assert "Selon le bac d'ordures ménagères : 120 L" in plain(client.get(world["url"]))
    select = f'id="id_forfait-{world["subscription"].pk}-plan_volume_litres"'
    assert select in page and '<option value="240">Bac 240 L</option>' in page
    assert f'<label for="id_forfait-{world["subscription"].pk}-plan_volume_litres">Forfait' in page


def test_an_agent_adds_a_bin_and_reads_it_on_the_page(client, world):
    form = text(client.get(f"{world['url']}bacs/ajouter/"))
    for label in ("Abonnement", "Flux", "Volume (litres)", "N° de puce", "N° de cuve", "Livré le"):
        assert re.search(rf'<label for="id_\w+">{re.escape(label)}', form), label
    response = client.post(f"{world['url']}bacs/ajouter/", add_post(world), follow=True)
    assert response.redirect_chain[-1][0] == f"{world['url']}#account-bins"
    page = plain(response)
    assert (
        "Bac Emballages recyclables 240 L (E0040002) ajouté à l'abonnement 00001, livré le "
        "01/03/2024." in page
    )
    assert Bin.objects.get(chip_number="E0040002").delivered_on == D(2024, 3, 1)
    assert "bac Emballages recyclables 240 L (E0040002) livré le 01/03/2024 ajouté" in page


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"chip_number": ""}, "chip_number", "Indiquez le n° de puce du bac, ou son n° de cuve."),
        (
            {"chip_number": "E0040001"},
            "chip_number",
            "Le n° de puce E0040001 est déjà celui d'un bac du compte 00001",
        ),
        ({"volume_litres": "douze"}, "volume_litres", "Indiquez le volume en litres"),
        ({"delivered_on": "31/02/2024"}, "delivered_on", "Saisissez une date valide"),
        (
            {"delivered_on": "01/01/2020"},
            "delivered_on",
            "L'abonnement 00001 commence le 30/06/2022 : un bac ne peut y être livré avant.",
        ),
        ({"flux": "metaux"}, "flux", "Choisissez un flux de la liste."),
        ({"subscription": "999999"}, "subscription", "Choisissez un abonnement du compte"),
    ],
)
def test_a_bin_refused_says_why_next_to_its_field(client, world, fields, field, message):
    response = client.post(f"{world['url']}bacs/ajouter/", add_post(world, **fields))
    page = text(response)
    assert response.status_code == 400
    error = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', page)
    assert Bin.objects.count() == 1 and not AuditEntry.objects.exists()


def test_an_agent_replaces_a_bin_the_old_one_removed_that_day(client, world):
    url = f"{world['url']}bacs/{world['bin'].pk}/remplacer/"
    assert 'value="120"' in text(client.get(url))  # the old volume offered
    response = client.post(
        url, {"replaced_on": "2024-04-02", "volume_litres": "240", "chip_number": "E0041111"}
    )
    assert response.status_code == 302
    world["bin"].refresh_from_db()
    assert world["bin"].removed_on == D(2024, 4, 2)
    new = Bin.objects.get(chip_number="E0041111")
    assert (new.volume_litres, new.delivered_on) == (240, D(2024, 4, 2))
    # A removed bin offers no action any more.
    assert f"bacs/{world['bin'].pk}/remplacer/" not in text(client.get(world["url"]))
    response = client.post(
        url, {"replaced_on": "2024-05-02", "volume_litres": "240", "chip_number": "E0042222"}
    )
    assert response.status_code == 400
    assert "Ce bac a déjà été retiré le 02/04/2024." in text(response)


def test_a_bin_is_not_removed_before_its_delivery(client, world):
    url = f"{world['url']}bacs/{world['bin'].pk}/retirer/"
    response = client.post(url, {"removed_on": "2022-06-01"})
    assert response.status_code == 400
    assert (
        '<p class="error" id="id_removed_on_error">Ce bac a été livré le 30/06/2022 : il ne peut '
        "être retiré avant.</p>" in text(response)
    )
    response = client.post(url, {"removed_on": ""})
    assert "Indiquez le jour où le bac a été retiré." in text(response)
    assert client.post(url, {"removed_on": "2024-04-02"}).status_code == 302
    world["bin"].refresh_from_db()
    assert world["bin"].removed_on == D(2024, 4, 2)


def test_the_agent_sets_the_plan_and_a_volume_off_the_grid_is_refused(client, world):
    s = world["subscription"]
    url = f"{world['url']}abonnements/{s.pk}/forfait/"
    field = f"forfait-{s.pk}-plan_volume_litres"
    response = client.post(url, {field: "180"})
    assert response.status_code == 400
    page = text(response)
    assert f'<p class="error" id="id_{field}_error">Choisissez un forfait de la grille' in page
    assert f'aria-describedby="id_{field}_error"' in page
    response = client.post(url, {field: "240"}, follow=True)
    assert "Forfait de l'abonnement 00001 : bac de 240 L." in plain(response)
    s.refresh_from_db()
    assert s.plan_volume_litres == 240
    assert "Bac de 240 L" in plain(response)
    client.post(url, {field: ""})
    s.refresh_from_db()
    assert s.plan_volume_litres is None


def test_another_authoritys_agent_reaches_none_of_them(client, world):
    client.force_login(world["other"])
    s, b, url = world["subscription"], world["bin"], world["url"]
    for path, data in (
        ("bacs/ajouter/", add_post(world)),
        (
            f"bacs/{b.pk}/remplacer/",
            {"replaced_on": "2024-04-02", "volume_litres": "240", "chip_number": "E0041111"},
        ),
        (f"bacs/{b.pk}/retirer/", {"removed_on": "2024-04-02"}),
        (f"abonnements/{s.pk}/forfait/", {f"forfait-{s.pk}-plan_volume_litres": "240"}),
    ):
        assert client.post(url + path, data).status_code == 404
    b.refresh_from_db()
    s.refresh_from_db()
    assert b.removed_on is None and s.plan_volume_litres is None and Bin.objects.count() == 1


def test_a_bin_or_subscription_of_another_account_is_not_reached_through_this_one(client, world):
    other = make_account(world["ccfi"], code="00002", portal_key="ABCDEFGH", last_name="MARTIN")
    their_bin = make_bin(other, chip="E0049999")
    their_subscription = other.subscriptions.get()
    url = world["url"]
    assert (
        client.post(f"{url}bacs/{their_bin.pk}/retirer/", {"removed_on": "2024-04-02"}).status_code
        == 404
    )
    field = f"forfait-{their_subscription.pk}-plan_volume_litres"
    assert (
        client.post(
            f"{url}abonnements/{their_subscription.pk}/forfait/", {field: "240"}
        ).status_code
        == 404
    )
    their_bin.refresh_from_db()
    assert their_bin.removed_on is None


def test_a_new_bin_of_another_volume_than_the_plan_says_the_plan_still_bills(client, world):
    s = world["subscription"]
    s.plan_volume_litres = 120
    s.save()
    response = client.post(
        f"{world['url']}bacs/{world['bin'].pk}/remplacer/",
        {"replaced_on": "2024-04-02", "volume_litres": "240", "chip_number": "E0041111"},
        follow=True,
    )
    assert (
        "Le forfait de l'abonnement 00001 reste « bac de 120 L » : changez-le sous le tableau "
        "des abonnements s'il doit suivre le nouveau bac de 240 L." in plain(response)
    )
    response = client.post(f"{world['url']}bacs/ajouter/", add_post(world), follow=True)
    assert "reste « bac de 120 L »" not in plain(response)  # recyclables: not the plan's bin
