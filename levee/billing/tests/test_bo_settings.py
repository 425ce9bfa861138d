"""Billing settings and the numbering's first value of a year, in the back office."""

from html import unescape

import pytest

from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import BillingSettings, Invoice, InvoiceSequence
from levee.billing.tests.bo_world import bo_world, launch

pytestmark = pytest.mark.django_db

URL = "/backoffice/facturation/reglages/"
SEQUENCE = URL + "numerotation/"
VALID = {
    "due_days": "30",
    "online_payment_grace_days": "45",
    "reminder_before_days": "5",
    "reminder_after_days": "10",
    "treasury_name": "SGC HAZEBROUCK",
    "appeal_text": "Recours devant le tribunal judiciaire dans les deux mois.",
}


@pytest.fixture
def world():
    return bo_world()


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_role_reads_the_settings_and_only_billing_roles_get_the_forms(client, world, role):
    client.force_login(world.agents[role].user)
    page = text(client.get(URL))
    assert "Numérotation des factures" in page and "code de la collectivité (00240)" in page
    writes = role in (AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR)
    assert ("Enregistrer les réglages" in page) == writes
    assert ("Enregistrer le premier numéro" in page) == writes
    if not writes:
        assert "30 jours après la date de facture" in page


def test_a_billing_agent_saves_the_settings_and_it_is_audited(client, world):
    client.force_login(world.biller)
    response = client.post(URL, VALID)
    assert response["Location"] == URL
    settings = BillingSettings.objects.get(authority=world.ccfi)
    assert (settings.online_payment_grace_days, settings.treasury_name) == (45, "SGC HAZEBROUCK")
    entry = AuditEntry.objects.get(action="billing_settings.update")
    assert entry.before == {"online_payment_grace_days": 30, "treasury_name": "", "appeal_text": ""}
    assert entry.after["treasury_name"] == "SGC HAZEBROUCK"
    assert "Réglages de facturation enregistrés." in text(client.get(URL))
    client.post(URL, VALID)  # nothing changed: nothing audited
    assert AuditEntry.objects.filter(action="billing_settings.update").count() == 1


@pytest.mark.parametrize(
    "fields, name, message",
    [
        ({"due_days": "-1"}, "due_days", "ne peut pas être négatif"),
        ({"due_days": "trente"}, "due_days", "nombre entier"),
        ({"due_days": ""}, "due_days", "obligatoire"),
        ({"online_payment_grace_days": "400"}, "online_payment_grace_days", "365 au plus"),
        ({"treasury_name": "x" * 201}, "treasury_name", "200"),
        ({"reminder_before_days": "-2"}, "reminder_before_days", "ne peut pas être négatif"),
        ({"reminder_before_days": "cinq"}, "reminder_before_days", "nombre entier"),
        ({"reminder_before_days": "61"}, "reminder_before_days", "60 au plus"),
        ({"reminder_after_days": ""}, "reminder_after_days", "obligatoire"),
        ({"reminder_after_days": "2,5"}, "reminder_after_days", "nombre entier"),
    ],
)
def test_bad_settings_are_refused_next_to_their_field(client, world, fields, name, message):
    client.force_login(world.biller)
    response = client.post(URL, {**VALID, **fields})
    assert response.status_code == 400
    page = text(response)
    assert message in page.split(f'id="id_{name}_error">')[1].split("</p>")[0]
    assert BillingSettings.objects.get(authority=world.ccfi).treasury_name == ""


@pytest.mark.parametrize("role", [AgentRole.ACCUEIL, AgentRole.CONSULTATION])
def test_the_other_roles_change_nothing(client, world, role):
    client.force_login(world.agents[role].user)
    assert client.post(URL, VALID).status_code == 403
    assert client.post(SEQUENCE, {"year": "2023", "first_value": "69928"}).status_code == 403
    assert not InvoiceSequence.objects.exists()
    assert not BillingSettings.objects.filter(treasury_name="SGC HAZEBROUCK").exists()


def test_the_first_value_numbers_the_year_s_first_invoice_as_in_the_seed(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.biller)
    response = client.post(SEQUENCE, {"year": "2023", "first_value": "69928"})
    assert response["Location"] == URL
    assert "la première facture portera le numéro …069928" in text(client.get(URL))
    entry = AuditEntry.objects.get(action="invoice_sequence.first_value_set")
    assert entry.after == {"year": 2023, "first_value": 69928}
    launch(world, django_capture_on_commit_callbacks, kind="reelle")
    assert Invoice.objects.get().number == "2300240069928"


def test_the_first_value_cannot_change_once_an_invoice_of_the_year_is_numbered(
    client, world, django_capture_on_commit_callbacks
):
    launch(world, django_capture_on_commit_callbacks, kind="reelle")
    client.force_login(world.biller)
    response = client.post(SEQUENCE, {"year": "2023", "first_value": "69928"})
    assert response.status_code == 400
    page = text(response)
    error = page.split('id="id_first_value_error">')[1].split("</p>")[0]
    assert "Des factures 2023 sont déjà numérotées" in error
    assert InvoiceSequence.objects.get(year=2023).first_value == 1
    assert not AuditEntry.objects.filter(action="invoice_sequence.first_value_set").exists()
    # Another year still can.
    assert client.post(SEQUENCE, {"year": "2024", "first_value": "5"}).status_code == 302


@pytest.mark.parametrize(
    "value, message",
    [("0", "entre 1 et 999999"), ("1000000", "entre 1 et 999999"), ("abc", "nombre entier")],
)
def test_a_bad_first_value_is_refused_next_to_its_field(client, world, value, message):
    client.force_login(world.biller)
    response = client.post(SEQUENCE, {"year": "2023", "first_value": value})
    assert response.status_code == 400
    assert message in text(response).split('id="id_first_value_error">')[1].split("</p>")[0]
    assert not InvoiceSequence.objects.exists()


def test_another_authority_s_settings_are_never_shown_nor_changed(client, world):
    client.force_login(world.biller)
    client.post(URL, VALID)
    client.force_login(world.outsider)
    assert "SGC HAZEBROUCK" not in text(client.get(URL))
    client.post(SEQUENCE, {"year": "2023", "first_value": "7"})
    assert InvoiceSequence.objects.get().authority == world.pilat
    for user in (world.resident, None):
        client.logout()
        if user:
            client.force_login(user)
        assert client.get(URL)["Location"].startswith("/backoffice/connexion/")
        assert client.post(SEQUENCE, {"year": "2023", "first_value": "9"}).status_code == 302
    assert InvoiceSequence.objects.count() == 1


def test_the_reminders_are_set_or_turned_off_with_0(client, world):
    client.force_login(world.biller)
    page = text(client.get(URL))
    assert "Rappel avant échéance (jours)" in page and "Relance après échéance (jours)" in page
    response = client.post(URL, {**VALID, "reminder_before_days": "0", "reminder_after_days": "15"})
    assert response["Location"] == URL
    settings = BillingSettings.objects.get(authority=world.ccfi)
    assert (settings.reminder_before_days, settings.reminder_after_days) == (0, 15)
    entry = AuditEntry.objects.get(action="billing_settings.update")
    assert entry.after["reminder_before_days"] == 0
    assert entry.after["reminder_after_days"] == 15
    # Read-only, the other roles see them in words.
    client.force_login(world.agents[AgentRole.CONSULTATION].user)
    page = text(client.get(URL))
    assert "Rappel avant échéance</dt><dd>aucun</dd>" in page
    assert "Relance après échéance</dt><dd>15 jours après l'échéance</dd>" in page
