"""The PDF duplicata of an invoice: rendered on first demand and kept, what it says, and who
reaches it."""

import datetime
import re
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import BillingSettings, Invoice, InvoiceStatus, RunStatus
from levee.billing.pdf import (
    DEFAULT_APPEAL_TEXT,
    invoice_pdf_context,
    postal_lines,
    vat_rate_display,
)
from levee.lib.storage import private_storage
from testkit import ccfi_world, make_account, make_user, pilat_world

from .factories import make_invoice, make_seed_invoice, make_simulation

pytestmark = pytest.mark.django_db

PAGE = "/flandre-interieure/espace/mes-factures/"


def duplicata_url(invoice, slug="flandre-interieure") -> str:
    return f"/{slug}/espace/mes-factures/{invoice.pk}/duplicata.pdf"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def pdf_html(invoice) -> str:
    """The duplicata's HTML, as WeasyPrint lays it out, with its spacing made plain."""
    html = render_to_string("billing/invoice_pdf.html", invoice_pdf_context(invoice))
    return re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def ccfi(db):
    authority, account = ccfi_world()
    authority.address = "468 rue de la Couronne de Bierne\nBP 30 049\n59190 HAZEBROUCK"
    authority.contact_email = "dechets@cc-flandreinterieure.fr"
    authority.contact_phone = "03 74 54 00 00"
    authority.siret = "20004094700190"
    authority.payment_recipient = "Service de gestion comptable d'Hazebrouck"
    authority.payment_recipient_address = "2 rue de l'Église\n59190 HAZEBROUCK"
    authority.payment_recipient_phone = "03 28 41 94 60"
    authority.payment_recipient_hours = "du lundi au vendredi, de 8 h 45 à 12 h"
    authority.save()
    return authority, account


@pytest.fixture
def dupont(client, ccfi):
    authority, account = ccfi
    client.force_login(make_user("dupont59@gmail.com", accounts=[account]))
    return account


# --- Rendered once, then kept ------------------------------------------------------------


def test_the_first_request_keeps_the_invoice_as_issued_and_serves_its_duplicata(client, dupont):
    invoice = make_seed_invoice(dupont)
    response = client.get(duplicata_url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture-2300240069928.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    content = body(response)
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    invoice.refresh_from_db()
    assert invoice.pdf.name.startswith(f"invoices/{dupont.authority_id}/facture-2300240069928")
    kept = private_storage.open(invoice.pdf.name).read()
    assert kept.startswith(b"%PDF-") and kept != content  # the duplicata is stamped


def test_a_second_request_keeps_the_kept_file_and_renders_the_duplicata_again(client, dupont):
    invoice = make_seed_invoice(dupont)
    body(client.get(duplicata_url(invoice)))
    invoice.refresh_from_db()
    kept = invoice.pdf.name
    private_storage.delete(kept)
    private_storage.save(kept, ContentFile(b"%PDF-1.7 the kept one"))
    assert body(client.get(duplicata_url(invoice))).startswith(b"%PDF-1.")
    invoice.refresh_from_db()
    assert invoice.pdf.name == kept
    assert private_storage.open(kept).read() == b"%PDF-1.7 the kept one"


def test_a_kept_file_gone_missing_is_rendered_again(client, dupont):
    invoice = make_seed_invoice(dupont)
    body(client.get(duplicata_url(invoice)))
    invoice.refresh_from_db()
    private_storage.delete(invoice.pdf.name)
    content = body(client.get(duplicata_url(invoice)))
    assert content.startswith(b"%PDF-")
    invoice.refresh_from_db()
    assert private_storage.exists(invoice.pdf.name)


def test_a_simulation_is_served_under_its_own_name(client, dupont):
    invoice = make_simulation(dupont)
    response = client.get(duplicata_url(invoice))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="facture-a-blanc-2024-{invoice.pk}.pdf"'
    )
    assert body(response).startswith(b"%PDF-")


# --- What it says ---------------------------------------------------------------------------


def test_it_carries_the_letterhead_the_payer_and_the_references(dupont):
    text = pdf_html(make_seed_invoice(dupont))
    # The authority's letterhead.
    assert "Communauté de Communes Flandre Intérieure 468 rue de la Couronne de Bierne" in text
    assert "BP 30 049 59190 HAZEBROUCK Téléphone : 03 74 54 00 00" in text
    assert "Email : dechets@cc-flandreinterieure.fr" in text
    # The payer's block in capitals, French postal style.
    assert "M DUPONT PIERRE 29 ROUTE DE MÉTEREN 59270 BAILLEUL" in text
    # The references.
    assert "N° de facture 2300240069928" in text
    assert "Date facture 02/07/2023" in text
    assert "Période du 01/01/2023 au 31/12/2023" in text
    assert "Date d'échéance 01/08/2023" in text
    assert "Code usager 00001" in text and "Identifiant portail PSEMCSMJ" in text


def test_it_lists_the_lines_and_the_totals(dupont):
    text = pdf_html(make_seed_invoice(dupont))
    assert "Libellé Quantité Prix unitaire HT Montant HT" in text
    assert "Abonnement Bac 120 L du 01/01/2023 au 31/12/2023 1 21,44\u00a0€ 21,44\u00a0€" in text
    assert "Levées incluses dans le forfait : 12 sur 12 12 — 0,00\u00a0€" in text
    assert "19 levées supplémentaires × 3,50 € 19 3,50\u00a0€ 66,50\u00a0€" in text
    assert "Total HT 87,94\u00a0€ TVA (non applicable) 0,00\u00a0€ Total TTC 87,94\u00a0€" in text


def test_it_shows_the_vat_rate_when_there_is_vat(dupont):
    invoice = make_invoice(
        dupont,
        number="2300240000010",
        issued_on=datetime.date(2023, 7, 2),
        total_cents=11000,
        vat_rate_bp=1000,
        vat_cents=1000,
    )
    text = pdf_html(invoice)
    assert "Total HT 100,00\u00a0€ TVA (10\u00a0%) 10,00\u00a0€ Total TTC 110,00\u00a0€" in text
    assert vat_rate_display(550) == "5,5\u00a0%" and vat_rate_display(2000) == "20\u00a0%"


def test_it_says_whom_to_pay_and_how_to_pay_online(dupont):
    text = pdf_html(make_seed_invoice(dupont))
    assert "Montant à payer : 87,94\u00a0€ avant le 1er août 2023" in text
    assert "Sur http://testserver/flandre-interieure/espace/mes-factures/" in text or re.search(
        r"Sur https?://\S+/flandre-interieure/espace/mes-factures/ ", text
    )
    assert "ouvrez « Mes factures » et cliquez sur « Régler »" in text
    assert "(carte bancaire ou prélèvement unique) avant le 1er août 2023" in text
    assert "Destinataire des paiements Service de gestion comptable d'Hazebrouck" in text
    assert "2 rue de l'Église 59190 HAZEBROUCK Téléphone : 03 28 41 94 60" in text
    assert "Horaires : du lundi au vendredi, de 8 h 45 à 12 h" in text
    assert "SIRET : 200 040 947 00190" in text


def test_a_debited_invoice_says_it_will_be_debited_instead(dupont):
    text = pdf_html(make_seed_invoice(dupont, direct_debit=True))
    assert "Montant prélevé : 87,94\u00a0€ " in text and "Montant à payer" not in text
    assert "Cette facture sera prélevée sur votre compte bancaire selon votre mandat" in text
    assert "Vous n'avez rien à faire." in text
    assert "Régler" not in text and "avant le" not in text and "à partir du" not in text
    assert "Rappelez la référence" not in text


def test_the_online_payment_line_gives_the_due_date_whatever_the_grace_days(dupont):
    BillingSettings.objects.create(
        authority=dupont.authority, online_payment_grace_days=10, treasury_name="TRES. HAZEBROUCK"
    )
    text = pdf_html(make_seed_invoice(dupont))
    assert "jusqu'au" not in text and "avant le 1er août 2023." in text
    assert "Comptable public : TRES. HAZEBROUCK" in text


def test_it_gives_the_default_appeal_text_before_the_judicial_court(dupont):
    text = pdf_html(make_seed_invoice(dupont))
    assert "Voies et délais de recours" in text
    assert "Dans un délai de deux mois suivant la réception de la présente facture" in text
    assert "tribunal judiciaire" in text and "article L1617-5 du code général" in text
    assert "réclamation écrite à la Communauté de Communes Flandre Intérieure." in text
    assert "{authority}" in DEFAULT_APPEAL_TEXT


def test_the_authoritys_own_appeal_text_replaces_the_default(dupont):
    BillingSettings.objects.create(
        authority=dupont.authority,
        appeal_text="Recours devant le tribunal judiciaire d'Hazebrouck.\n\nSous deux mois.",
    )
    text = pdf_html(make_seed_invoice(dupont))
    assert "Recours devant le tribunal judiciaire d'Hazebrouck. Sous deux mois." in text
    assert "article L1617-5" not in text


def test_a_simulation_is_stamped_and_asks_no_payment(dupont):
    text = pdf_html(make_simulation(dupont))
    assert text.count("FACTURE À BLANC — NE PAS PAYER") == 2  # banner and watermark
    assert "Aucun paiement n'est demandé." in text
    assert "Régler" not in text and "N° de facture" not in text and "Montant à payer" not in text


def test_the_letterhead_carries_the_logo_inline(dupont):
    from testkit import png_bytes

    authority = dupont.authority
    authority.logo.save("ccfi.png", ContentFile(png_bytes()))
    context = invoice_pdf_context(make_seed_invoice(dupont))
    assert context["logo"].startswith("data:image/png;base64,")


def test_an_address_is_set_out_as_postal_lines():
    assert postal_lines("29 route de Méteren 59270 Bailleul") == [
        "29 ROUTE DE MÉTEREN",
        "59270 BAILLEUL",
    ]
    assert postal_lines("App. 4 Bât. B 3 rue X BP 12 59190 Hazebrouck Cedex") == [
        "APP. 4 BÂT. B 3 RUE X BP 12",
        "59190 HAZEBROUCK CEDEX",
    ]
    assert postal_lines("Rue sans code") == ["RUE SANS CODE"]
    assert postal_lines("") == []


# --- Who reaches it -------------------------------------------------------------------------


def test_another_resident_gets_a_404(client, dupont):
    invoice = make_seed_invoice(dupont)
    neighbour = make_account(dupont.authority, code="00002", portal_key="NEIGHBOR")
    client.force_login(make_user("martin@example.org", accounts=[neighbour]))
    assert client.get(duplicata_url(invoice)).status_code == 404
    invoice.refresh_from_db()
    assert not invoice.pdf  # nothing rendered for him


def test_an_agent_of_another_authority_gets_a_404(client, dupont):
    invoice = make_seed_invoice(dupont)
    pilat, _ = pilat_world()
    agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=agent, role=AgentRole.ADMINISTRATEUR)
    client.force_login(agent)
    assert client.get(duplicata_url(invoice)).status_code == 404
    assert client.get(duplicata_url(invoice, "pilat-rhodanien")).status_code == 404


def test_an_invoice_of_the_other_authority_of_the_same_login_is_404_under_this_one(client, ccfi):
    authority, account = ccfi
    pilat, pelussin = pilat_world()
    second_home = make_account(
        pilat, code="10042", portal_key="VZKRTQPM", commune=pelussin, postal_code="42410"
    )
    client.force_login(make_user("dupont59@gmail.com", accounts=[account, second_home]))
    invoice = make_invoice(
        second_home, number="2300420000001", issued_on=datetime.date(2023, 7, 1), total_cents=100
    )
    assert client.get(duplicata_url(invoice)).status_code == 404
    assert client.get(duplicata_url(invoice, "pilat-rhodanien")).status_code == 200


def test_the_other_account_of_the_same_login_is_served_whichever_is_selected(client, ccfi):
    authority, first = ccfi
    second = make_account(authority, code="00002", portal_key="SECONDKY")
    client.force_login(make_user("dupont59@gmail.com", accounts=[first, second]))
    client.get(PAGE + f"?compte={first.pk}")
    invoice = make_invoice(
        second, number="2300240000002", issued_on=datetime.date(2023, 7, 1), total_cents=100
    )
    # A link kept from the other account's list still opens its duplicata.
    assert client.get(duplicata_url(invoice)).status_code == 200


def test_unknown_unpublished_cancelled_and_unfinished_ones_are_404(client, dupont):
    unpublished = make_invoice(
        dupont,
        number="2300240000003",
        issued_on=datetime.date(2023, 7, 1),
        total_cents=100,
        published=False,
    )
    cancelled = make_invoice(
        dupont,
        number="2300240000004",
        issued_on=datetime.date(2023, 7, 1),
        total_cents=100,
        status=InvoiceStatus.CANCELLED,
    )
    running = make_simulation(dupont, run_status=RunStatus.RUNNING)
    for invoice in (unpublished, cancelled, running):
        assert client.get(duplicata_url(invoice)).status_code == 404
    last = Invoice.objects.order_by("-pk").first().pk
    for junk in [str(last + 1), "0", "abc", "-1", "99999999999999999999999", "1.5"]:
        response = client.get(f"{PAGE}{junk}/duplicata.pdf")
        assert response.status_code == 404, junk


def test_an_agent_acting_on_behalf_reaches_that_accounts_invoices_only(client, dupont):
    invoice = make_seed_invoice(dupont)
    neighbour = make_account(dupont.authority, code="00002", portal_key="NEIGHBOR")
    other = make_invoice(
        neighbour, number="2300240000002", issued_on=datetime.date(2023, 7, 1), total_cents=100
    )
    jeanne = make_user("jeanne.leroy@flandre.example.org", accounts=[neighbour])
    Agent.objects.create(authority=dupont.authority, user=jeanne, role=AgentRole.ACCUEIL)
    client.force_login(jeanne)
    client.post(f"/backoffice/comptes/{dupont.pk}/ouvrir-espace/")
    assert client.get(duplicata_url(invoice)).status_code == 200
    # Not even the agent's own account while he acts for Pierre Dupont.
    assert client.get(duplicata_url(other)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, dupont):
    invoice = make_seed_invoice(dupont)
    client.logout()
    response = client.get(duplicata_url(invoice))
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_a_debit_decided_after_the_first_rendering_leaves_the_kept_file_as_issued(client, dupont):
    invoice = make_seed_invoice(dupont)
    body(client.get(duplicata_url(invoice)))
    invoice.refresh_from_db()
    before = invoice.pdf.name
    Invoice.objects.filter(pk=invoice.pk).update(direct_debit=True)  # a mandate since
    assert body(client.get(duplicata_url(invoice))).startswith(b"%PDF-")
    invoice.refresh_from_db()
    assert invoice.pdf.name == before and private_storage.exists(before)
