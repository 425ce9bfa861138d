"""Every resident endpoint with its owner, another resident (a 404 that says nothing more),
an expired and a revoked token."""

import datetime

import pytest
from django.utils import timezone

from levee.tokens.models import PersonalAccessToken
from levee.tokens.services import token_create, token_revoke

pytestmark = pytest.mark.django_db


def account_paths(world):
    a = world.account.pk
    return [
        f"/api/v1/accounts/{a}",
        f"/api/v1/accounts/{a}/bins",
        f"/api/v1/accounts/{a}/lifts",
        f"/api/v1/accounts/{a}/dropoffs",
        f"/api/v1/accounts/{a}/statistics/monthly",
        f"/api/v1/accounts/{a}/invoices",
        f"/api/v1/accounts/{a}/invoices/{world.invoice.pk}/pdf",
        f"/api/v1/accounts/{a}/requests",
        f"/api/v1/accounts/{a}/collections",
    ]


def test_every_account_path_answers_its_owner(world, api_get):
    for path in account_paths(world):
        assert api_get(path, token=world.token).status_code == 200, path


def test_another_resident_gets_a_404_that_says_nothing_more(world, api_get):
    for path in account_paths(world):
        response = api_get(path, token=world.other_token)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "message": "Ressource introuvable."}
    missing = api_get("/api/v1/accounts/999999/lifts", token=world.token)
    assert missing.json() == {"code": "not_found", "message": "Ressource introuvable."}


def test_the_owner_cannot_read_another_account_invoice_through_his_own(world, api_get):
    path = f"/api/v1/accounts/{world.account.pk}/invoices/{world.other_invoice.pk}/pdf"
    assert api_get(path, token=world.token).status_code == 404


def test_no_token_an_expired_and_a_revoked_one_are_refused(world, api_get):
    expiring = token_create(
        user=world.owner, name="Court", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    PersonalAccessToken.objects.filter(pk=expiring.token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    revoked = token_create(user=world.owner, name="Révoqué")
    token_revoke(user=world.owner, token_id=revoked.token.pk)
    for path in ["/api/v1/me", "/api/v1/accounts", *account_paths(world)]:
        for token in (None, expiring.secret, revoked.secret):
            response = api_get(path, token=token)
            assert response.status_code == 401, (path, token)
            assert response.json()["code"] == "unauthorized"


def test_accounts_lists_the_login_accounts_in_both_authorities(world, api_get):
    body = api_get("/api/v1/accounts", token=world.token).json()
    assert [(a["code"], a["authority"]["slug"]) for a in body] == [
        ("00001", "flandre-interieure"),
        ("10042", "pilat-rhodanien"),
    ]
    assert body[0]["holder"] == "DUPONT Pierre"


def test_bins_give_the_stable_flux_code_beside_its_label(world, api_get):
    body = api_get(f"/api/v1/accounts/{world.account.pk}/bins", token=world.token).json()
    assert [(b["flux"], b["flux_label"]) for b in body] == [
        ("ordures_menageres", "Ordures ménagères"),
        ("recyclables", "Emballages recyclables"),
    ]
    assert body[0]["chip_number"] == "E0040001"
    assert body[0]["address"] == "29 route de Méteren 59270 Bailleul"


def test_lifts_are_newest_first_with_flux_weight_and_address(world, api_get):
    body = api_get(f"/api/v1/accounts/{world.account.pk}/lifts", token=world.token).json()
    assert len(body["items"]) == 30 and body["next_cursor"] is None and body["next"] is None
    first = body["items"][0]
    assert first["id"] == world.lifts[-1].pk
    assert first["flux"] == "recyclables" and first["flux_label"] == "Emballages recyclables"
    assert first["net_weight_kg"] == 12.5
    assert first["address"] == "29 route de Méteren 59270 Bailleul"
    assert datetime.datetime.fromisoformat(first["lifted_at"]) == world.lifts[-1].lifted_at


def test_lifts_filter_by_flux_and_days(world, api_get):
    path = f"/api/v1/accounts/{world.account.pk}/lifts"
    recycling = api_get(path, token=world.token, flux="recyclables").json()["items"]
    assert len(recycling) == 6 and {i["flux"] for i in recycling} == {"recyclables"}
    # 1 January to 31 January 2025: the lifts of the 1st, 11th, 21st and 31st.
    january = api_get(path, token=world.token, depuis="2025-01-01", jusqu_au="2025-01-31")
    assert len(january.json()["items"]) == 4
    only_31 = api_get(path, token=world.token, depuis="2025-01-31", jusqu_au="2025-01-31")
    assert len(only_31.json()["items"]) == 1


def test_pages_follow_each_other_without_gap_or_repeat(world, api_get):
    path = f"/api/v1/accounts/{world.account.pk}/lifts"
    seen, params = [], {"limite": 7}
    for _ in range(10):
        body = api_get(path, token=world.token, **params).json()
        seen += [i["id"] for i in body["items"]]
        if body["next_cursor"] is None:
            break
        assert body["next"].startswith("http://testserver/api/v1/accounts/")
        assert "limite=7" in body["next"]
        params = {"limite": 7, "curseur": body["next_cursor"]}
    assert seen == [lift.pk for lift in reversed(world.lifts)]


def test_dropoffs_are_listed_with_their_weight(world, api_get):
    body = api_get(f"/api/v1/accounts/{world.account.pk}/dropoffs", token=world.token).json()
    assert [(d["site"], d["weight_kg"], d["kind"]) for d in body["items"]] == [
        ("Déchèterie de Bailleul", 35.0, "decheterie")
    ]


def test_monthly_statistics_count_the_lifts_of_each_month(world, api_get):
    path = f"/api/v1/accounts/{world.account.pk}/statistics/monthly"
    body = api_get(path, token=world.token, annee=2025).json()
    assert body["year"] == 2025 and body["lifts"] == 30
    assert [m["lifts"] for m in body["months"]][:3] == [4, 2, 3]
    assert body["months"][0]["net_weight_kg"] == 50.0
    recycling = api_get(path, token=world.token, annee=2025, flux="recyclables").json()
    assert recycling["lifts"] == 6 and recycling["flux"] == "recyclables"


def test_invoices_give_their_amount_in_cents_and_their_duplicata(world, api_get):
    body = api_get(f"/api/v1/accounts/{world.account.pk}/invoices", token=world.token).json()
    (invoice,) = body["items"]
    assert invoice["number"] == "2300240069928" and invoice["total_cents"] == 8794
    assert invoice["status"] == "a_regler" and invoice["status_label"] == "À régler"
    pdf = api_get(invoice["pdf_url"].removeprefix("http://testserver"), token=world.token)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "2300240069928" in pdf["Content-Disposition"]


def test_requests_give_their_type_and_status_in_french(world, api_get):
    body = api_get(f"/api/v1/accounts/{world.account.pk}/requests", token=world.token).json()
    (item,) = body["items"]
    assert item["id"] == world.service_request.pk
    assert item["status"] == "pending" and item["status_label"] == "EN COURS"
    assert item["kind"] == "contact" and item["kind_label"]
    assert item["made_at_counter"] is False


def test_collections_name_the_dwelling(world, api_get):
    body = api_get(f"/api/v1/accounts/{world.account.pk}/collections", token=world.token).json()
    assert body["today"] == timezone.localdate().isoformat()
    assert [d["place"] for d in body["dwellings"]] == ["Bailleul"]


def test_me_says_when_the_token_expires(world, api_get):
    expires = timezone.now() + datetime.timedelta(days=30)
    secret = token_create(user=world.owner, name="Mois", expires_at=expires).secret
    body = api_get("/api/v1/me", token=secret).json()
    read = datetime.datetime.fromisoformat(body["token_expires_at"])
    assert abs(read - expires) < datetime.timedelta(milliseconds=1)
