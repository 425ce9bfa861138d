"""« Télécharger mes données »: everything of the login and its accounts, nothing of
another login, never for an agent acting on a resident's behalf."""

import csv
import io
import json

import pytest

from levee.agents.models import Agent
from levee.agents.on_behalf import marker_new
from levee.agents.roles import AgentRole
from levee.payments.models import Mandate
from levee.privacy.services import connection_record
from levee.requests.models import RequestStatus
from levee.space.on_behalf import SESSION_KEY
from levee.tokens.services import token_create
from testkit import make_account, make_user

from .conftest import make_request_with_attachment

pytestmark = pytest.mark.django_db

JSON_URL = "/flandre-interieure/espace/mon-profil/mes-donnees.json"
CSV_URL = "/flandre-interieure/espace/mon-profil/mes-donnees.csv"


@pytest.fixture
def data(world):
    """Pierre Dupont's login reaching 00001 (a request, a mandate, an IBAN) and a second
    account; Marie Martin's account 00002 with her own request, in the same authority."""
    authority, account, user = world
    sub = account.subscriptions.get()
    sub.iban, sub.payment_mode = "FR7630006000011234567890189", "prelevement"
    sub.save(update_fields=["iban", "payment_mode"])
    Mandate.objects.create(
        authority=authority,
        account=account,
        rum="RUM-00001",
        creditor_identifier="FR00ZZZ000000",
        schedule="echeance",
        holder_name="DUPONT Pierre",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        signed_on="2024-01-15",
    )
    make_request_with_attachment(authority, account, user, status=RequestStatus.PENDING)
    second = make_account(authority, code="00003", portal_key="SECONDKY", last_name="DUPONT")
    user.account_accesses.create(account=second, authority=authority)
    other_account = make_account(authority, code="00002", portal_key="MARTINKY", last_name="MARTIN")
    marie = make_user("marie.martin@example.org", accounts=[other_account])
    make_request_with_attachment(
        authority, other_account, marie, status=RequestStatus.PENDING, kind="termination"
    )
    connection_record(user=user, ip_address="203.0.113.7", user_agent="Firefox", via="space")
    connection_record(user=marie, ip_address="192.0.2.99", user_agent="Chrome", via="space")
    token_create(user=user, name="Domotique du salon")
    token_create(user=marie, name="Script de Marie")
    return user


def test_the_json_holds_the_login_its_accounts_and_their_requests(client, data):
    client.force_login(data)
    response = client.get(JSON_URL)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    assert response["Cache-Control"] == "private, no-store"
    exported = json.loads(response.content)
    assert exported["identifiant"]["adresse email"] == "dupont59@gmail.com"
    accounts = {a["code usager"]: a for a in exported["comptes"]}
    assert set(accounts) == {"00001", "00003"}
    first = accounts["00001"]
    assert first["titulaire"]["nom"] == "DUPONT"
    assert first["abonnements"][0]["IBAN"] == "FR76 **** **** **** **** ***0 189"
    assert first["mandats de prélèvement"][0]["IBAN"] == "FR76 **** **** **** **** ***0 189"
    [request] = first["demandes"]
    assert request["statut"] == "EN COURS"
    assert request["messages"][0]["message"] == "Voici mon justificatif."
    assert {c["adresse IP"] for c in exported["dernières connexions"]} >= {"203.0.113.7"}
    [token] = exported["jetons d'accès personnels"]
    assert token["nom"] == "Domotique du salon" and token["début du jeton"].startswith("levee_")
    assert token["dernière utilisation"] == "" and token["expire le"] == ""


def test_the_json_holds_nothing_of_another_login(client, data):
    client.force_login(data)
    body = client.get(JSON_URL).content.decode()
    assert "00002" not in body and "MARTIN" not in body and "marie.martin" not in body
    assert "192.0.2.99" not in body
    assert "1234567890" not in body  # the IBAN is masked everywhere


def test_the_csv_holds_the_same_one_value_a_row(client, data):
    client.force_login(data)
    response = client.get(CSV_URL)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == ["rubrique", "élément", "valeur"]
    assert ["identifiant", "adresse email", "dupont59@gmail.com"] in rows
    assert ["comptes", "1 / code usager", "00001"] in rows
    assert any(r[0] == "comptes" and r[1].endswith("demandes / 1 / statut") for r in rows)
    assert "MARTIN" not in body and "1234567890" not in body


def test_an_agent_acting_on_behalf_cannot_download_the_residents_data(client, data):
    from django.utils import timezone

    authority = data.account_accesses.first().authority
    agent_user = make_user("jeanne.leroy@flandre.example.org")
    agent = Agent.objects.create(authority=authority, user=agent_user, role=AgentRole.ACCUEIL)
    client.force_login(agent_user)
    session = client.session
    account = data.account_accesses.first().account
    session[SESSION_KEY] = marker_new(agent=agent, account=account, now=timezone.now())
    session.save()
    for url in (JSON_URL, CSV_URL):
        response = client.get(url)
        assert response.status_code == 403
        assert "dupont59@gmail.com" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login(client, data):
    response = client.get(JSON_URL)
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_the_json_holds_the_reminders_the_usage_alerts_and_the_receipts(client, data):
    import datetime

    from levee.billing.models import UsageAlert, UsageAlertOptOut
    from levee.calendars.models import CollectionReminder
    from levee.payments.models import PaymentReceipt
    from levee.payments.tests.conftest import make_invoice

    account = data.account_accesses.get(account__code="00001").account
    CollectionReminder.objects.create(
        authority=account.authority,
        account=account,
        user=data,
        fluxes=["om", "cs"],
        on_eve=True,
        on_change=False,
    )
    UsageAlert.objects.create(
        authority=account.authority,
        subscription=account.subscriptions.get(),
        year=2024,
        included_lifts=12,
        lifts=12,
    )
    # Known from the history loaded at once, never emailed: not listed as sent.
    UsageAlert.objects.create(
        authority=account.authority,
        subscription=account.subscriptions.get(),
        year=2023,
        included_lifts=12,
        lifts=14,
        emailed=False,
    )
    UsageAlertOptOut.objects.create(authority=account.authority, account=account)
    invoice = make_invoice(account)
    PaymentReceipt.objects.create(
        authority=account.authority,
        payment=None,
        debit=_debit_of(invoice),
        invoice=invoice,
        amount_cents=2932,
        paid_on=datetime.date(2023, 7, 10),
        method="prelevement",
    )
    client.force_login(data)
    exported = json.loads(client.get(JSON_URL).content)
    first = {a["code usager"]: a for a in exported["comptes"]}["00001"]
    [reminder] = first["rappels des collectes"]
    assert reminder["flux"] == "om, cs"
    assert reminder["la veille de chaque collecte"] is True
    alerts = first["alertes de consommation"]
    assert alerts["désactivées le"]
    assert [a["année"] for a in alerts["envoyées"]] == [2024]
    [receipt] = first["reçus de paiement"]
    assert receipt == {
        "facture": "2300240069928",
        "montant (centimes)": 2932,
        "payé le": "2023-07-10",
        "moyen": "Prélèvement",
        "envoyé le": receipt["envoyé le"],
    }
    response = client.get(CSV_URL)
    assert "rappels des collectes" in b"".join(response.streaming_content).decode()


def _debit_of(invoice):
    from levee.payments.models import ScheduledDebit

    mandate = Mandate.objects.get(account=invoice.account)
    return ScheduledDebit.objects.create(
        authority=invoice.authority,
        mandate=mandate,
        invoice=invoice,
        due_on="2023-07-10",
        amount_cents=2932,
    )
