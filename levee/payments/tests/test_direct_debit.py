"""« Je choisis le prélèvement automatique » and « J'arrête le prélèvement automatique »
through the test client: the resident asks, an agent decides, the mandate and its debits
follow, « Mes informations » shows the échéancier with the IBAN masked."""

import datetime
import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from levee.agents.models import Agent
from levee.audit.models import AuditEntry
from levee.mailing.models import OutboxMessage
from levee.payments.models import (
    DebitSchedule,
    DebitStatus,
    Mandate,
    MandateStatus,
    ScheduledDebit,
)
from levee.requests.models import RequestStatus, ServiceRequest
from levee.requests.tests.conftest import BO, TRACKING, plain, text
from levee.subscribers.models import PaymentMode
from testkit import ccfi_world, make_account, make_user, pilat_world

from .test_mandates import IBAN, ICS, OTHER_IBAN, ics_set, make_invoice

pytestmark = pytest.mark.django_db

SERVICES = "/flandre-interieure/espace/mes-services/"
ASK = SERVICES + "je-choisis-le-prelevement-automatique/"
STOP = SERVICES + "j-arrete-le-prelevement-automatique/"
INFORMATIONS = "/flandre-interieure/espace/mes-informations/"
MASKED = "FR76 **** **** **** **** ***0 189"


def error_of(response, name: str) -> str:
    """The message shown next to a field (the paragraph its aria-describedby names)."""
    found = re.search(rf'<p class="error" id="id_{name}_error">(.*?)</p>', text(response), re.S)
    return " ".join(found.group(1).split()) if found else ""


def ask_post(**overrides) -> dict:
    data = {
        "schedule": DebitSchedule.PER_INVOICE,
        "holder_name": "Pierre DUPONT",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "",
        "signed_on": "2024-03-01",
        "consent": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def world(db):
    ccfi, account = ccfi_world()
    ics_set(ccfi)
    pilat, pelussin = pilat_world()
    ccfi_agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=ccfi_agent)
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent)
    neighbour_account = make_account(
        ccfi, code="00002", portal_key="NEIGHBOR", last_name="MARTIN", first_name="Marie"
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=30)
    return {
        "ccfi": ccfi,
        "account": account,
        "resident": make_user("dupont59@gmail.com", accounts=[account]),
        "neighbour": make_user("martin@example.org", accounts=[neighbour_account]),
        "ccfi_agent": ccfi_agent,
        "pilat_agent": pilat_agent,
        "open_invoice": make_invoice(account, number="2400240000001", due_on=tomorrow),
        "neighbour_invoice": make_invoice(
            neighbour_account, number="2400240000002", due_on=tomorrow
        ),
    }


@pytest.fixture
def resident(client, world):
    client.force_login(world["resident"])
    return world


def ask(client, **overrides) -> ServiceRequest:
    response = client.post(ASK, ask_post(**overrides), follow=True)
    assert "Votre demande « Prélèvement automatique » est enregistrée" in plain(response)
    return ServiceRequest.objects.filter(kind="direct_debit").latest("pk")


def accept(client, world, service_request):
    client.force_login(world["ccfi_agent"])
    return client.post(f"{BO}{service_request.pk}/accepter/", follow=True)


# Mes services


def test_mes_services_offers_direct_debit_in_the_paiement_group(client, resident):
    page = text(client.get(SERVICES))
    group = page.split('<h2 id="groupe-2">Paiement</h2>')[1].split("</section>")[0]
    assert "Je choisis le prélèvement automatique" in group
    assert "J'arrête le prélèvement automatique" in group
    try:
        invoices_url = reverse("billing:invoices", args=["flandre-interieure"])
    except NoReverseMatch:
        assert "Paiement en ligne" not in group  # no link to a page that does not exist
    else:
        assert f'<a href="{invoices_url}">Paiement en ligne</a>' in group


def test_the_form_shows_the_sepa_mandate_of_the_authority(client, resident):
    page = plain(client.get(ASK))
    for words in (
        "Prélèvement mensuel",
        "Prélèvement à l'échéance de chaque facture",
        "Titulaire du compte",
        "IBAN",
        "BIC",
        "Date de signature",
        "Mandat de prélèvement SEPA",
        f"Identifiant créancier SEPA (ICS) {ICS}",
        "En signant ce formulaire de mandat, vous autorisez Communauté de Communes Flandre "
        "Intérieure à envoyer des instructions à votre banque",
        "J'autorise Communauté de Communes Flandre Intérieure à envoyer des instructions",
        "dans les 8 semaines suivant la date de débit",
    ):
        assert words in page
    # The holder is pre-filled from the account, the signature date with today.
    assert 'value="DUPONT Pierre"' in text(client.get(ASK))
    assert f'value="{timezone.localdate().isoformat()}"' in text(client.get(ASK))


# Bad input


@pytest.mark.parametrize(
    "overrides, name, message",
    [
        (
            {"iban": "FR76 3000 6000 0112 3456 7890 188"},
            "iban",
            "sa clé de contrôle (les 2 chiffres après le code pays) ne correspond pas",
        ),
        (
            {"iban": "FR76 3000 6000 0112 3456 7890 18"},
            "iban",
            "Cet IBAN compte 26 caractères au lieu de 27 pour son pays",
        ),
        (
            {"iban": "XX76 3000 6000 0112 3456 7890 189"},
            "iban",
            "Le code pays « XX » de cet IBAN n'existe pas",
        ),
        ({"iban": "3000 6000 0112"}, "iban", "Un IBAN commence par le code de son pays"),
        ({"iban": "FR54 3000 6000 0112 3456 7890 100"}, "iban", "la clé RIB"),
        (
            {"iban": "BR15 0000 0000 0000 1093 2840 814P 2"},
            "iban",
            "Le prélèvement SEPA n'est possible que depuis un compte d'un pays de la zone SEPA",
        ),
        ({"iban": "FR76 3000 6000 0112 3456 7890 18!"}, "iban", "Cet IBAN n'est pas valide"),
        ({"iban": ""}, "iban", "Indiquez l'IBAN du compte à débiter."),
        ({"bic": "AGRIFRP"}, "bic", "Ce BIC n'est pas valide : il compte 8 ou 11"),
        (
            {"bic": "BNPAFRPPXXX"},
            "bic",
            "Ce BIC ne correspond pas à la banque de l'IBAN (CREDIT AGRICOLE SA, BIC AGRIFRPPXXX)",
        ),
        (
            {"iban": "FR76 9999 9000 0012 3456 7890 167", "bic": ""},
            "bic",
            "Indiquez le BIC de votre banque : il ne se déduit pas de cet IBAN.",
        ),
        (
            {"signed_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
            "signed_on",
            "La date de signature ne peut pas être dans le futur",
        ),
        ({"signed_on": "31/02/2024"}, "signed_on", "Saisissez une date valide"),
        ({"consent": ""}, "consent", "Cochez la case pour autoriser le prélèvement"),
        ({"schedule": ""}, "schedule", "Choisissez votre échéancier de prélèvement."),
        ({"schedule": "hebdo"}, "schedule", "Choisissez un des deux échéanciers proposés."),
        ({"holder_name": "   "}, "holder_name", "Indiquez le titulaire du compte."),
    ],
)
def test_bad_input_gets_a_french_message_next_to_its_field(
    client, resident, overrides, name, message
):
    response = client.post(ASK, ask_post(**overrides))
    assert response.status_code == 200
    assert message in error_of(response, name)
    assert 'aria-invalid="true"' in text(response)
    assert not ServiceRequest.objects.exists()


def test_a_bic_of_the_ibans_bank_or_none_at_all_is_taken(client, resident):
    service_request = ask(client, bic="agri fr pp")
    assert service_request.requested["bic"] == "AGRIFRPP"
    ServiceRequest.objects.all().delete()
    service_request = ask(client, bic="")
    assert service_request.requested["bic"] == "AGRIFRPPXXX"  # derived from the IBAN


def test_the_same_mandate_again_is_refused(client, resident, world):
    service_request = ask(client)
    accept(client, world, service_request)
    client.force_login(world["resident"])
    response = client.post(ASK, ask_post())
    assert "Le prélèvement automatique est déjà en place avec ce compte" in plain(response)
    assert ServiceRequest.objects.filter(kind="direct_debit").count() == 1


# The request, end to end


def test_the_resident_asks_an_agent_accepts_and_the_echeancier_shows(client, resident, world):
    service_request = ask(client, schedule=DebitSchedule.MONTHLY)
    assert service_request.status == RequestStatus.PENDING
    assert service_request.requested["iban"] == IBAN
    assert service_request.requested["bic"] == "AGRIFRPPXXX"
    detail = plain(client.get(f"{TRACKING}{service_request.pk}/"))
    assert MASKED in detail and "Prélèvement mensuel" in detail and "01/03/2024" in detail
    assert IBAN not in detail and "3456 7890" not in detail

    client.force_login(world["ccfi_agent"])
    agent_page = plain(client.get(f"{BO}{service_request.pk}/"))
    assert MASKED in agent_page and IBAN not in agent_page
    assert f"Le mandat sera émis sous l'identifiant créancier SEPA {ICS}." in agent_page
    assert "1 facture à régler non échue sera prélevée." in agent_page
    response = accept(client, world, service_request)
    assert "Mandat RUM-00240-00001-1 enregistré (Prélèvement mensuel" in plain(response)

    mandate = Mandate.objects.get()
    assert (mandate.rum, mandate.creditor_identifier, mandate.iban, mandate.bic) == (
        "RUM-00240-00001-1",
        ICS,
        IBAN,
        "AGRIFRPPXXX",
    )
    assert mandate.request == service_request and mandate.signed_on == datetime.date(2024, 3, 1)
    invoice = world["open_invoice"]
    invoice.refresh_from_db()
    assert invoice.direct_debit
    debits = list(invoice.debits.order_by("due_on"))
    assert len(debits) == 10 and sum(d.amount_cents for d in debits) == 8794
    assert not world["neighbour_invoice"].debits.exists()
    subscription = world["account"].subscriptions.get()
    assert subscription.payment_mode == PaymentMode.DIRECT_DEBIT

    client.force_login(world["resident"])
    page = plain(client.get(INFORMATIONS))
    assert "Mon échéancier de prélèvement" in page
    assert "Référence unique du mandat (RUM) RUM-00240-00001-1" in page
    assert "Échéancier Prélèvement mensuel" in page and f"IBAN {MASKED}" in page
    assert "Date de signature 01/03/2024" in page
    first = debits[0]
    assert f"{first.due_on:%d/%m/%Y} 2400240000001 8,80 €" in page
    assert "<td>8,80\xa0€</td>" in text(client.get(INFORMATIONS))
    assert IBAN not in page

    # Nothing the resident receives or the agents read holds the whole IBAN.
    mails = OutboxMessage.objects.filter(to="dupont59@gmail.com")
    assert mails.count() == 2
    accepted = mails.get(template="request_accepted")
    assert "votre mandat de prélèvement RUM-00240-00001-1 est enregistré" in accepted.body_text
    for mail in mails:
        assert IBAN not in mail.body_text + mail.body_html
    entry = AuditEntry.objects.get(action="service_request.accept")
    assert entry.after["applied"]["iban"] == MASKED and IBAN not in str(entry.before)
    assert IBAN not in str(entry.after)


def test_the_agent_refuses_and_nothing_changes(client, resident, world):
    service_request = ask(client)
    client.force_login(world["ccfi_agent"])
    client.post(f"{BO}{service_request.pk}/refuser/", {"reason": "RIB illisible."})
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.REFUSED
    assert not Mandate.objects.exists() and not ScheduledDebit.objects.exists()
    world["open_invoice"].refresh_from_db()
    assert not world["open_invoice"].direct_debit
    client.force_login(world["resident"])
    assert "Mon échéancier de prélèvement" not in plain(client.get(INFORMATIONS))


def test_without_an_ics_acceptance_is_refused_with_a_message(client, resident, world):
    service_request = ask(client)
    world["ccfi"].payment_settings.delete()
    client.force_login(world["ccfi_agent"])
    assert "la demande ne pourra pas être acceptée tant qu'il ne l'est pas" in plain(
        client.get(f"{BO}{service_request.pk}/")
    )
    response = accept(client, world, service_request)
    assert (
        "La demande n'est pas acceptée : L'identifiant créancier SEPA (ICS) de la collectivité "
        "n'est pas renseigné dans ses réglages de paiement" in plain(response)
    )
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.PENDING
    assert not Mandate.objects.exists() and not ScheduledDebit.objects.exists()
    assert world["account"].subscriptions.get().payment_mode == ""


def test_a_new_request_replaces_the_mandate(client, resident, world):
    accept(client, world, ask(client))
    client.force_login(world["resident"])
    service_request = ask(client, iban=OTHER_IBAN, bic="", schedule=DebitSchedule.MONTHLY)
    assert service_request.snapshot["iban"] == MASKED
    response = accept(client, world, service_request)
    assert "en remplacement du mandat RUM-00240-00001-1" in plain(response)
    old, new = Mandate.objects.order_by("pk")
    assert old.status == MandateStatus.REVOKED and new.status == MandateStatus.ACTIVE
    assert new.rum == "RUM-00240-00001-2" and new.bic == "AGRIFRPP879"
    assert world["account"].subscriptions.get().iban == OTHER_IBAN


# Stopping


def test_stopping_revokes_the_mandate_and_the_invoices_are_payable_again(client, resident, world):
    accept(client, world, ask(client))
    client.force_login(world["resident"])
    page = plain(client.get(STOP))
    assert "Prélèvement automatique en cours : mandat RUM-00240-00001-1" in page
    assert MASKED in page
    response = client.post(STOP, {"confirm": ""}, follow=True)
    assert "Cochez la case pour confirmer l'arrêt du prélèvement." in error_of(response, "confirm")
    response = client.post(STOP, {"confirm": "on"}, follow=True)
    assert "Votre demande « Arrêt du prélèvement automatique » est enregistrée" in plain(response)
    service_request = ServiceRequest.objects.get(kind="direct_debit_stop")
    client.force_login(world["ccfi_agent"])
    assert "sera révoqué : 1 prélèvement prévu annulé." in plain(
        client.get(f"{BO}{service_request.pk}/")
    )
    response = accept(client, world, service_request)
    assert "Mandat RUM-00240-00001-1 révoqué ; 1 prélèvement prévu annulé" in plain(response)
    mandate = Mandate.objects.get()
    assert mandate.status == MandateStatus.REVOKED
    assert mandate.debits.get().status == DebitStatus.CANCELLED
    world["open_invoice"].refresh_from_db()
    assert not world["open_invoice"].direct_debit
    assert world["account"].subscriptions.get().payment_mode == PaymentMode.INVOICE
    client.force_login(world["resident"])
    assert "Mon échéancier de prélèvement" not in plain(client.get(INFORMATIONS))


def test_stopping_without_a_mandate_is_refused(client, resident):
    page = plain(client.get(STOP))
    assert "Vous n'avez pas de prélèvement automatique en cours" in page
    response = client.post(STOP, {"confirm": "on"})
    assert "il n'y a rien à arrêter" in plain(response)
    assert not ServiceRequest.objects.exists()


def test_a_stop_accepted_after_the_mandate_is_gone_is_refused(client, resident, world):
    accept(client, world, ask(client))
    client.force_login(world["resident"])
    client.post(STOP, {"confirm": "on"})
    Mandate.objects.update(status=MandateStatus.REVOKED)
    service_request = ServiceRequest.objects.get(kind="direct_debit_stop")
    response = accept(client, world, service_request)
    assert "Ce compte n'a plus de prélèvement automatique en cours : refusez la demande." in (
        plain(response)
    )
    service_request.refresh_from_db()
    assert service_request.status == RequestStatus.PENDING


# Tenant isolation


def test_the_echeancier_is_the_accounts_own(client, resident, world):
    accept(client, world, ask(client))
    client.force_login(world["neighbour"])
    page = plain(client.get(INFORMATIONS))
    assert "Mon échéancier de prélèvement" not in page and "RUM-00240" not in page
    # The neighbour's own account: its forms know nothing of the other mandate.
    assert "Vous n'avez pas de prélèvement automatique en cours" in plain(client.get(STOP))


def test_the_request_is_reached_by_its_owner_only(client, resident, world):
    service_request = ask(client)
    assert client.get(f"{TRACKING}{service_request.pk}/").status_code == 200
    client.force_login(world["neighbour"])
    assert client.get(f"{TRACKING}{service_request.pk}/").status_code == 404
    client.force_login(world["pilat_agent"])
    assert client.get(f"{BO}{service_request.pk}/").status_code == 404
    assert client.post(f"{BO}{service_request.pk}/accepter/").status_code == 404
    assert not Mandate.objects.exists()
    client.force_login(world["ccfi_agent"])
    assert client.get(f"{BO}{service_request.pk}/").status_code == 200
