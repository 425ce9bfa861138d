"""The authorities' endpoints with an API key: the owner's key, another authority's, a key
without the scope, no key, an expired and a revoked key; pushes of lifts, drop-offs and
subscribers through the CSV import's own checks (a result per item), exports by cursor."""

import datetime

import pytest
from django.utils import timezone

from levee.audit.models import AuditEntry
from levee.collection.models import DropOff, ImportBatch, Lift
from levee.collection.tests.conftest import make_bin
from levee.integrations.models import ApiKey
from levee.integrations.services import api_key_create, api_key_revoke
from levee.payments.recorded import payment_record
from levee.payments.tests.conftest import make_invoice
from levee.subscribers.models import Account
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db

ALL = [
    "lifts:write",
    "dropoffs:write",
    "subscribers:write",
    "invoices:read",
    "payments:read",
    "requests:read",
]


class World:
    def __init__(self):
        self.ccfi, self.account = ccfi_world()
        self.pilat, _ = pilat_world()
        self.admin = make_user("admin@flandre.example.org")
        self.key_row, self.key = api_key_create(
            authority=self.ccfi, name="Camions", scopes=ALL, created_by=self.admin
        )
        _, self.pilat_key = api_key_create(
            authority=self.pilat, name="Pilat", scopes=ALL, created_by=self.admin
        )
        _, self.reader_key = api_key_create(
            authority=self.ccfi, name="Lecture", scopes=["invoices:read"], created_by=self.admin
        )
        self.bin = make_bin(self.account, chip="E0040001", tank="C0001")


@pytest.fixture
def w():
    return World()


def call(client, method, path, key=None, **kwargs):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    if method == "post":
        return client.post(
            "/api/v1" + path, kwargs.pop("json", {}), content_type="application/json", **headers
        )
    return client.get("/api/v1" + path, kwargs.pop("params", {}), **headers)


LIFT = {
    "horodatage": "2026-11-30 07:12",
    "puce": "E0040001",
    "cuve": "",
    "flux": "om",
    "poids_kg": 12.5,
    "vehicule": "BOM-12",
}


def test_two_lifts_pushed_go_in_and_pushed_again_count_once(client, w):
    items = [LIFT, {**LIFT, "horodatage": "2026-11-30 07:13:05", "poids_kg": "9,2"}]
    response = call(client, "post", "/authority/lifts", w.key, json={"items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["received"] == 2 and body["imported"] == 2 and body["rejected"] == 0
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert sorted(Lift.objects.values_list("net_weight_grams", flat=True)) == [9200, 12500]
    again = call(client, "post", "/authority/lifts", w.key, json={"items": items}).json()
    assert again["imported"] == 0 and again["unchanged"] == 2
    assert Lift.objects.count() == 2
    batch = ImportBatch.objects.get(pk=body["import_id"])
    assert batch.authority == w.ccfi and batch.rows_imported == 2
    entry = AuditEntry.objects.filter(action="import.api_push").order_by("pk").first()
    assert entry.api_key_id == w.key_row.pk and entry.actor is None
    assert entry.object_id == str(batch.pk)


def test_bad_lifts_get_the_imports_reasons_and_change_nothing_else(client, w):
    items = [
        LIFT,
        {**LIFT, "puce": "INCONNUE", "cuve": ""},
        {**LIFT, "horodatage": "30/02/2026 07:00"},
        {**LIFT, "poids_kg": "douze"},
        {**LIFT, "flux": "verre"},
        {**LIFT, "vehicule": "BOM\n12"},
        {**LIFT, "vehicule": "BOM\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e"},
    ]
    body = call(client, "post", "/authority/lifts", w.key, json={"items": items}).json()
    results = body["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 6
    assert results[1]["reason"].startswith("bac inconnu")
    assert results[2]["reason"] == "date impossible : « 30/02/2026 07:00 »"
    assert results[3]["reason"] == "poids non numérique : « douze »"
    assert "différent de celui du bac" in results[4]["reason"]
    assert results[5]["reason"] == "retour à la ligne dans « vehicule »"
    assert results[6]["reason"] == "caractère de contrôle (invisible) dans « vehicule »"
    assert body["imported"] == 1 and body["rejected"] == 6
    assert Lift.objects.count() == 1
    lone = b'{"items": [{"horodatage": "2026-11-30 07:12", "puce": "\\ud800", "poids_kg": 1}]}'
    response = client.post(
        "/api/v1/authority/lifts",
        lone,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {w.key}",
    )
    assert response.json()["results"][0]["reason"] == "caractère invalide dans « puce »"


def test_a_batch_over_10000_items_is_refused_whole_with_a_clear_message(client, w):
    items = [{**LIFT, "horodatage": "2026-11-30 07:12"} for _ in range(10_001)]
    response = call(client, "post", "/authority/lifts", w.key, json={"items": items})
    assert response.status_code == 422
    assert response.json()["code"] == "batch_too_large"
    assert "10\u202f000 au plus par envoi, 10\u202f001 reçus" in response.json()["message"]
    assert not Lift.objects.exists() and not ImportBatch.objects.exists()


def test_drop_offs_are_pushed_with_their_account_code(client, w):
    item = {
        "horodatage": "2026-11-28 10:00",
        "type": "déchèterie",
        "code_usager": "00001",
        "lieu": "Déchèterie de Bailleul",
    }
    body = call(
        client,
        "post",
        "/authority/dropoffs",
        w.key,
        json={"items": [item, {**item, "code_usager": "99999"}]},
    ).json()
    assert body["imported"] == 1
    assert body["results"][1]["reason"] == "compte usager inconnu de la collectivité : « 99999 »"
    assert DropOff.objects.get().account == w.account


def test_subscribers_and_bins_are_upserted(client, w):
    item = {
        "code_usager": "00777",
        "nom": "MARTIN",
        "prenom": "Lucie",
        "fact_numero": "3",
        "fact_voie": "rue de Lille",
        "fact_code_postal": "59270",
        "fact_ville": "Bailleul",
    }
    body = call(client, "post", "/authority/subscribers", w.key, json={"items": [item]}).json()
    assert body["results"] == [{"index": 0, "status": "accepted", "reason": None}], body
    account = Account.objects.get(authority=w.ccfi, code="00777")
    assert account.first_name == "Lucie"
    body = call(
        client,
        "post",
        "/authority/subscribers",
        w.key,
        json={"items": [{"code_usager": "00777", "nom": "MARTIN", "prenom": "Lucile"}]},
    ).json()
    assert body["rejected"] == 0, body
    account.refresh_from_db()
    assert account.first_name == "Lucile" and account.last_name == "MARTIN"


def test_a_subscriber_push_without_a_name_field_rejects_every_item(client, w):
    response = call(
        client, "post", "/authority/subscribers", w.key, json={"items": [{"code_usager": "1"}]}
    )
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "index": 0,
            "status": "rejected",
            "reason": "aucun élément n'a le champ « nom » ni « raison_sociale »",
        }
    ]
    assert not ImportBatch.objects.exists()


def test_unknown_fields_are_refused_and_nothing_changes(client, w):
    response = call(
        client,
        "post",
        "/authority/subscribers",
        w.key,
        json={"items": [{"code_usager": "00001", "nom": "X", "nom_de_famille": "X"}]},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "items.0.nom_de_famille"
    response = call(client, "post", "/authority/lifts", w.key, json={"items": [["x"]]})
    assert response.status_code == 422
    assert not ImportBatch.objects.exists()
    assert Account.objects.get(code="00001").last_name == "DUPONT"


@pytest.mark.parametrize(
    "path", ["/authority/lifts", "/authority/dropoffs", "/authority/subscribers"]
)
def test_an_empty_batch_is_refused(client, w, path):
    response = call(client, "post", path, w.key, json={"items": []})
    assert response.status_code == 422
    assert response.json() == {
        "code": "empty_batch",
        "message": "Aucun élément : envoyez au moins un élément dans « items ».",
    }
    assert not ImportBatch.objects.exists()


def test_a_day_is_written_yyyy_mm_dd(client, w):
    response = call(client, "get", "/authority/invoices", w.key, params={"depuis": "0"})
    assert response.status_code == 422
    assert response.json()["field"] == "depuis"


def test_a_key_without_the_scope_gets_403_scope_missing(client, w):
    response = call(client, "post", "/authority/lifts", w.reader_key, json={"items": [LIFT]})
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert "lifts:write" in response.json()["message"]
    assert not Lift.objects.exists()
    assert call(client, "get", "/authority/payments", w.reader_key).status_code == 403


def test_another_authoritys_key_reaches_only_its_own_bins_and_invoices(client, w):
    make_invoice(w.account, number="2600240000001")
    body = call(client, "post", "/authority/lifts", w.pilat_key, json={"items": [LIFT]}).json()
    assert body["results"][0]["reason"].startswith("bac inconnu")
    assert not Lift.objects.exists()
    assert call(client, "get", "/authority/invoices", w.pilat_key).json()["items"] == []
    assert len(call(client, "get", "/authority/invoices", w.key).json()["items"]) == 1


@pytest.mark.parametrize("case", ["none", "unknown", "expired", "revoked", "not bearer"])
def test_no_key_an_unknown_an_expired_or_a_revoked_one_gets_401(client, w, case):
    key = w.key
    headers = {}
    if case == "unknown":
        key = w.key[:-4] + "AAAA"
    elif case == "expired":
        ApiKey.objects.filter(pk=w.key_row.pk).update(expires_at=timezone.now())
    elif case == "revoked":
        api_key_revoke(key=w.key_row, by=w.admin)
    if case == "none":
        response = client.get("/api/v1/authority/invoices")
    elif case == "not bearer":
        headers = {"HTTP_AUTHORIZATION": f"Basic {key}"}
        response = client.get("/api/v1/authority/invoices", **headers)
    else:
        response = call(client, "post", "/authority/lifts", key, json={"items": [LIFT]})
    assert response.status_code == 401
    expected = {
        "none": "unauthorized",
        "not bearer": "unauthorized",
        "unknown": "invalid_key",
        "expired": "key_expired",
        "revoked": "key_revoked",
    }[case]
    assert response.json()["code"] == expected
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Lift.objects.exists()


def test_a_residents_token_is_no_key(client, w):
    from levee.tokens.services import token_create

    token = token_create(user=make_user("dupont59@gmail.com", accounts=[w.account]), name="T")
    response = call(client, "get", "/authority/invoices", token.secret)
    assert response.status_code == 401


def test_invoices_and_payments_are_exported_since_a_day_by_cursor(client, w):
    today = timezone.localdate()
    old = make_invoice(
        w.account, number="2500240000001", issued_on=today - datetime.timedelta(days=400)
    )
    new = [
        make_invoice(
            w.account, number=f"26002400000{n:02d}", issued_on=today - datetime.timedelta(days=n)
        )
        for n in range(1, 4)
    ]
    since = (today - datetime.timedelta(days=30)).isoformat()
    page = call(
        client, "get", "/authority/invoices", w.key, params={"depuis": since, "limite": 2}
    ).json()
    assert [i["number"] for i in page["items"]] == [new[0].number, new[1].number]
    assert page["items"][0]["account_code"] == "00001"
    page = call(
        client,
        "get",
        "/authority/invoices",
        w.key,
        params={"depuis": since, "limite": 2, "curseur": page["next_cursor"]},
    ).json()
    assert [i["number"] for i in page["items"]] == [new[2].number]
    assert page["next_cursor"] is None
    assert old.number not in str(page)
    payment_record(
        invoice=new[0],
        method="cheque",
        paid_on=today,
        reference="1234567",
        amount_cents=new[0].total_cents,
        by=w.admin,
    )
    payments = call(client, "get", "/authority/payments", w.key, params={"depuis": since}).json()
    assert [(p["invoice_number"], p["amount_cents"]) for p in payments["items"]] == [
        (new[0].number, new[0].total_cents)
    ]


def test_requests_are_listed_with_their_status(client, w):
    from levee.requests.tests.conftest import make_request

    class RequestWorld:
        account = w.account
        resident = make_user("dupont59@gmail.com", accounts=[w.account])

    made = make_request(RequestWorld)
    body = call(client, "get", "/authority/requests", w.key, params={"statut": "pending"}).json()
    assert [(r["id"], r["status"], r["account_code"]) for r in body["items"]] == [
        (made.pk, "pending", "00001")
    ]
    assert call(client, "get", "/authority/requests", w.pilat_key).json()["items"] == []


def test_calls_beyond_the_keys_limit_get_429_with_retry_after(client, w, monkeypatch):
    from levee.api import authority
    from levee.lib import throttle

    monkeypatch.setattr(authority, "KEY_CALLS", throttle.Limit("api-key-test", 2, 60))
    responses = [call(client, "get", "/authority/invoices", w.key) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[-1].json()["code"] == "too_many_requests"
    assert 1 <= int(responses[-1]["Retry-After"]) <= 60
    # Another key has its own count.
    assert call(client, "get", "/authority/invoices", w.reader_key).status_code == 200
