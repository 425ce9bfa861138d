"""« Générer de nouveaux codes de secours »: ten new codes replace the old ones, only in a
session that presented its second factor."""

import re

from levee.twofactor.services import recovery_codes_new

from .conftest import enrolled, next_code, text

RENEW = "/securite/codes-de-secours/nouveaux/"


def test_an_agent_renews_his_codes_and_the_old_ones_stop_working(client, world, required):
    device = enrolled(world.desk.user)
    old = recovery_codes_new(user=world.desk.user)
    client.force_login(world.desk.user)
    client.post("/securite/code/", {"code": next_code(device), "next": "/backoffice/"})
    assert "Codes de secours" in text(client.get("/backoffice/"))

    page = client.get(RENEW + "?next=/backoffice/")
    assert "les précédents" in text(page) or "ne fonctionneront plus" in text(page)
    response = client.post(RENEW + "?next=/backoffice/")
    assert response.url.startswith("/securite/codes-de-secours/?next=")
    shown = text(client.get(response.url))
    assert "Vos nouveaux codes de secours sont prêts" in shown
    new = re.findall(r"<code>([a-z0-9]+)</code>", shown)
    assert len(new) == 10 and not set(new) & set(old)

    from django.test import Client

    other = Client()
    other.force_login(world.desk.user)
    assert (
        other.post("/securite/code/", {"code": old[0], "next": "/backoffice/"}).status_code == 400
    )
    assert (
        other.post("/securite/code/", {"code": new[0], "next": "/backoffice/"}).status_code == 302
    )


def test_a_session_without_its_second_factor_is_asked_for_it_first(client, world, required):
    enrolled(world.desk.user)
    old = recovery_codes_new(user=world.desk.user)
    client.force_login(world.desk.user)
    response = client.post(RENEW)
    assert response.url.startswith("/securite/code/")
    from django_otp.plugins.otp_static.models import StaticToken

    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(old)


def test_a_login_without_an_app_is_sent_to_set_one_up(client, world, required):
    client.force_login(world.desk.user)
    assert client.post(RENEW).url.startswith("/securite/activer/")
