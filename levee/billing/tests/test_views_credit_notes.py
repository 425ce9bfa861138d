"""« Émettre un avoir » on the back office's invoice page: only « Facturation » and
« Administrateur » see and reach it; each bad input is told in French next to its field,
nothing issued; another authority's invoice is a 404; the avoir is then listed on the
invoice's page with its PDF, under its invoice in « Mes factures » (the rest to pay
following), and a refund in « Paiements à vérifier »."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import CreditNote, CreditNoteKind, CreditNoteReason
from levee.billing.services_credit_notes import credit_note_issue
from levee.payments.models import PaymentMethod
from levee.payments.recorded import payment_record
from levee.payments.tests.conftest import World, plain
from testkit import make_user, pilat_world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def agent_of(authority, email, role):
    user = make_user(email)
    Agent.objects.create(authority=authority, user=user, role=role)
    return user


@pytest.fixture
def world(db):
    world = World()
    world.billing = agent_of(world.authority, "facturation@flandre.example.org", "facturation")
    return world


def form_url(invoice):
    return reverse("billing_bo:credit_note_create", args=[invoice.pk])


def page_url(invoice):
    return reverse("billing_bo:invoice_detail", args=[invoice.pk])


def post(client, world, **data):
    values = {
        "kind": "reduction",
        "amount": "12,34",
        "reason": "erreur_tarif",
        "text": "Bac de 120 L facturé comme un 240 L",
        "confirm": "on",
        **data,
    }
    client.force_login(world.billing)
    return client.post(form_url(world.invoice), {k: v for k, v in values.items() if v is not None})


def error_of(response, field: str) -> str:
    html = response.content.decode()
    match = re.search(rf'<p class="error" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert match, f"no error next to {field}"
    return plain(match.group(1))


def test_billing_agent_issues_an_avoir_listed_with_its_pdf(client, world):
    client.force_login(world.billing)
    page = plain(client.get(page_url(world.invoice)))
    assert "Aucun avoir sur cette facture." in page and "Émettre un avoir" in page
    form = plain(client.get(form_url(world.invoice)))
    assert "La facture représente encore 87,94 €" in form
    response = post(client, world)
    assert response.status_code == 302 and response.url == page_url(world.invoice)
    note = CreditNote.objects.get()
    page = plain(client.get(response.url))
    assert (
        f"Avoir n° {note.number} de 12,34 € émis sur la facture 2300240069928 : l'usager en est "
        "averti par email." in page
    )
    assert f"{note.number} {TODAY:%d/%m/%Y} Réduction Erreur de tarif" in page
    assert f"Avoir n° {note.number} (PDF)" in page
    assert "Après avoirs, la facture représente 75,60 €." in page
    assert "reste à payer 75,60 €" in page
    pdf = client.get(reverse("billing_bo:credit_note_pdf", args=[note.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f'filename="avoir-{note.number}.pdf"' in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_an_administrator_may_too_but_not_the_reception(client, world):
    admin = agent_of(world.authority, "admin@flandre.example.org", AgentRole.ADMINISTRATEUR)
    client.force_login(admin)
    assert client.get(form_url(world.invoice)).status_code == 200
    reception = agent_of(world.authority, "accueil@flandre.example.org", AgentRole.ACCUEIL)
    client.force_login(reception)
    assert "Émettre un avoir" not in plain(client.get(page_url(world.invoice)))
    assert client.get(form_url(world.invoice)).status_code == 403
    response = client.post(
        form_url(world.invoice),
        {"kind": "annulation", "reason": "erreur_tarif", "confirm": "on"},
    )
    assert response.status_code == 403
    assert not CreditNote.objects.exists()


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"kind": None}, "kind", "Choisissez : annulation totale ou réduction."),
        ({"kind": "gratuit"}, "kind", "Choisissez : annulation totale ou réduction."),
        ({"amount": ""}, "amount", "Indiquez le montant de la réduction."),
        ({"amount": "0"}, "amount", "Le montant de l'avoir doit être supérieur à 0,00 €."),
        ({"amount": "-3"}, "amount", "Le montant ne peut pas être négatif."),
        ({"amount": "douze"}, "amount", "Saisissez un montant en euros, par exemple 12,34."),
        (
            {"amount": "87,95"},
            "amount",
            "Le montant de l'avoir ne peut pas dépasser ce que la facture représente encore : "
            "87,94 €.",
        ),
        ({"reason": ""}, "reason", "Choisissez le motif de l'avoir."),
        ({"reason": "caprice"}, "reason", "Choisissez le motif de l'avoir dans la liste."),
        (
            {"reason": "autre", "text": "   "},
            "text",
            "Précisez le motif de l'avoir dans le commentaire.",
        ),
        ({"text": "x" * 1001}, "text", "Le commentaire ne doit pas dépasser 1000 caractères."),
        (
            {"confirm": None},
            "confirm",
            "Cochez la confirmation pour émettre l'avoir : il est numéroté et envoyé à l'usager.",
        ),
    ],
)
def test_bad_input_is_told_next_to_its_field_and_issues_nothing(
    client, world, data, field, message
):
    response = post(client, world, **data)
    assert response.status_code == 400
    assert error_of(response, field) == message
    assert not CreditNote.objects.exists()


def test_a_fully_cancelled_invoice_offers_no_other_avoir(client, world):
    response = post(client, world, kind="annulation", amount="")
    assert response.status_code == 302
    page = plain(client.get(page_url(world.invoice)))
    assert "Annulation totale" in page and "Émettre un avoir" not in page
    form = client.get(form_url(world.invoice))
    assert "déjà entièrement annulée par avoir" in plain(form)
    assert post(client, world, kind="annulation", amount="").status_code == 400
    assert CreditNote.objects.count() == 1


def test_another_authority_s_agent_gets_a_404(client, world):
    authority, _ = pilat_world()
    other = agent_of(authority, "facturation@pilat.example.org", AgentRole.FACTURATION)
    note = credit_note_issue(
        invoice=world.invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=100,
        reason=CreditNoteReason.TARIFF_ERROR,
        by=world.billing,
    )
    client.force_login(other)
    assert client.get(form_url(world.invoice)).status_code == 404
    assert client.post(form_url(world.invoice), {"kind": "annulation"}).status_code == 404
    assert client.get(reverse("billing_bo:credit_note_pdf", args=[note.pk])).status_code == 404
    refund = reverse("billing_bo:credit_note_refund_done", args=[note.pk])
    assert client.post(refund).status_code == 404
    assert CreditNote.objects.count() == 1


def test_the_resident_sees_the_avoir_under_its_invoice_and_the_rest_to_pay(client, world):
    note = credit_note_issue(
        invoice=world.invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=1234,
        reason=CreditNoteReason.LIFT_CONTEST,
        by=world.billing,
    )
    client.force_login(world.user)
    url = reverse("billing:invoices", args=[world.authority.slug])
    page = plain(client.get(url))
    assert f"Avoir n° {note.number} sur la facture 2300240069928" in page
    assert "-12,34 €" in page and f"Avoir n° {note.number} (PDF)" in page
    assert "Réduction : contestation de levée acceptée" in page
    assert "Reste à payer : 75,60 €" in page and "Régler" in page
    pdf_url = reverse("billing:credit_note_pdf", args=[world.authority.slug, note.pk])
    assert client.get(pdf_url).status_code == 200
    # Another resident reaches neither the avoir nor its invoice.
    client.force_login(make_user("voisin@example.org"))
    assert client.get(pdf_url).status_code == 404


def test_a_cancelled_invoice_no_longer_offers_to_pay(client, world):
    credit_note_issue(
        invoice=world.invoice,
        kind=CreditNoteKind.TOTAL,
        reason=CreditNoteReason.LATE_MOVE,
        by=world.billing,
    )
    client.force_login(world.user)
    page = plain(client.get(reverse("billing:invoices", args=[world.authority.slug])))
    assert "Annulée par avoir : rien à régler" in page
    assert "Régler la facture" not in page


def test_a_refund_is_listed_to_check_then_marked_done(client, world):
    payment_record(
        invoice=world.invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY,
        reference="42",
        amount_cents=8794,
        by=world.billing,
    )
    response = post(client, world, amount="20,00")
    assert response.status_code == 302
    note = CreditNote.objects.get()
    page = plain(client.get(response.url))
    assert "À rembourser : 20,00 €" in page
    listed = plain(client.get(reverse("billing_bo:payments_to_check")))
    assert f"{note.number} 2300240069928" in listed and "Marquer comme remboursé" in listed
    done = client.post(reverse("billing_bo:credit_note_refund_done", args=[note.pk]))
    assert done.status_code == 302
    listed = plain(client.get(reverse("billing_bo:payments_to_check")))
    assert "Aucun avoir à rembourser." in listed


def test_the_invoice_page_counts_the_avoirs_in_its_balance(client, world):
    payment_record(
        invoice=world.invoice,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY,
        reference="43",
        amount_cents=5000,
        by=world.billing,
    )
    post(client, world, amount="7,94")
    page = plain(client.get(page_url(world.invoice)))
    assert "Réglé : 50,00 € sur 80,00 € (après avoirs). Reste à payer : 30,00 € ." in page


def test_the_resident_s_data_export_lists_the_avoirs(client, world):
    import json

    note = credit_note_issue(
        invoice=world.invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=1234,
        reason=CreditNoteReason.LATE_MOVE,
        text="Départ le 31/03",
        by=world.billing,
    )
    client.force_login(world.user)
    exported = json.loads(
        client.get(f"/{world.authority.slug}/espace/mon-profil/mes-donnees.json").content
    )
    [account] = exported["comptes"]
    assert account["avoirs"] == [
        {
            "numéro": note.number,
            "facture": "2300240069928",
            "date": TODAY.isoformat(),
            "type": "Réduction",
            "motif": "Déménagement déclaré tardivement",
            "commentaire": "Départ le 31/03",
            "montant TTC (centimes)": 1234,
            "à rembourser (centimes)": 0,
        }
    ]


def test_the_account_page_shows_the_avoirs_of_its_invoices(client, world):
    credit_note_issue(
        invoice=world.invoice,
        kind=CreditNoteKind.REDUCTION,
        amount_cents=1234,
        reason=CreditNoteReason.TARIFF_ERROR,
        by=world.billing,
    )
    client.force_login(world.billing)
    page = plain(client.get(reverse("backoffice:account_detail", args=[world.account.pk])))
    assert "Avoirs : -12,34 €, reste 75,60 €" in page


def test_the_confirmation_names_the_public_accountant_only_in_pes_mode(client, world):
    from levee.treasury.models import CollectionMode, PublicAccountingSettings

    client.force_login(world.billing)
    regie = plain(client.get(form_url(world.invoice)).content.decode())
    assert "Je confirme l'émission de cet avoir : il est numéroté et envoyé à l'usager" in regie
    assert "comptable public" not in regie
    PublicAccountingSettings.objects.update_or_create(
        authority=world.authority, defaults={"collection_mode": CollectionMode.PES}
    )
    pes = plain(client.get(form_url(world.invoice)).content.decode())
    assert "numéroté, envoyé à l'usager et transmis au comptable public" in pes
