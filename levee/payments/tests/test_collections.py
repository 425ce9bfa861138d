"""The accountant's collections file (`levee/payments/COLLECTIONS.md`): each line recorded
on its invoice or listed with its reason in French; the same file twice, or a line another
file brought, counts once; a file that cannot be read, or that fails midway, records
nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.audit.sentences import entry_text
from levee.billing.models import Invoice, InvoiceStatus
from levee.mailing.models import OutboxMessage
from levee.payments import collection_files
from levee.payments.collection_files import CollectionFileError, collections_import
from levee.payments.models import CollectionImport, Payment, PaymentChannel, PaymentMethod
from testkit import make_account, make_user, pilat_world

from .conftest import make_invoice, plain

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ON = (TODAY - datetime.timedelta(days=2)).strftime("%d/%m/%Y")
HEADER = "facture;date;montant;mode;reference\n"
URL = "/backoffice/facturation/reglements/encaissements/"


@pytest.fixture
def billing(world):
    user = make_user("facturation@flandre.example.org")
    Agent.objects.create(authority=world.authority, user=user, role=AgentRole.FACTURATION)
    world.agent = user
    world.second = make_invoice(world.account, number="2300240069929", total_cents=5000)
    return world


def csv_of(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(f"{line}\n" for line in lines)).encode()


def run(world, content: bytes, filename="encaissements.csv") -> CollectionImport:
    return collections_import(
        authority=world.authority, content=content, filename=filename, by=world.agent
    )


def outcomes(imported) -> list[tuple[int, str, str]]:
    return [(e["line"], e["outcome"], e["message"]) for e in imported.report]


def test_good_lines_are_recorded_on_their_invoices(billing):
    imported = run(
        billing,
        csv_of(
            f"2300240069928;{ON};87,94;Chèque;4721503",
            f"2300240069929;{ON};20,00;virement;VIR-1",
        ),
    )
    assert (imported.lines, imported.applied, imported.applied_cents) == (2, 2, 10794)
    assert outcomes(imported) == [
        (2, "applied", "Facture réglée."),
        (3, "applied", "Règlement enregistré."),
    ]
    assert Invoice.objects.get(pk=billing.invoice.pk).status == InvoiceStatus.PAID
    assert Invoice.objects.get(pk=billing.second.pk).status == InvoiceStatus.OPEN
    cheque = Payment.objects.get(invoice=billing.invoice)
    assert (cheque.channel, cheque.method, cheque.reference, cheque.collection_import) == (
        PaymentChannel.IMPORT,
        PaymentMethod.CHEQUE,
        "4721503",
        imported,
    )
    assert OutboxMessage.objects.filter(template="payment_receipt").count() == 2
    entry = AuditEntry.objects.get(action="collections.import")
    assert entry_text(entry) == (
        "encaissements du comptable importés (encaissements.csv) : 2 règlements enregistrés "
        "sur 2 lignes, 107,94 €"
    )


def test_a_bom_and_other_columns_are_accepted(billing):
    content = "\ufeffFacture;Date;Montant;Mode;Référence;Guichet\n".encode() + (
        f"2300240069928;{ON};87,94;especes;;SGC Hazebrouck\n".encode()
    )
    imported = run(billing, content)
    assert imported.applied == 1


def test_each_bad_line_is_listed_with_its_reason_and_the_others_recorded(billing):
    future = (TODAY + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    imported = run(
        billing,
        csv_of(
            f"2399999999999;{ON};10,00;cheque;1",
            f"2300240069928;{ON};-12,00;cheque;2",
            f"2300240069928;{ON};douze;cheque;3",
            f"2300240069928;{ON};0,00;cheque;4",
            "2300240069928;31/02/2026;10,00;cheque;5",
            "2300240069928;2026-01-15;10,00;cheque;6",
            f"2300240069928;{future};10,00;cheque;7",
            f"2300240069928;{ON};10,00;bitcoin;8",
            f"2300240069928;{ON};10,00;virement;",
            f";{ON};10,00;cheque;9",
            f"2300240069929;{ON};20,00;cheque;10",
            f"2300240069929;{ON};20,00;cheque;10",
        ),
    )
    assert outcomes(imported) == [
        (2, "ignored", "Facture « 2399999999999 » inconnue dans la collectivité."),
        (
            3,
            "ignored",
            "Le montant « -12,00 » est négatif : un remboursement ne s'importe pas comme un "
            "encaissement.",
        ),
        (4, "ignored", "Le montant « douze » n'est pas un montant en euros (par exemple 87,94)."),
        (5, "ignored", "Le montant est nul."),
        (6, "ignored", "La date « 31/02/2026 » n'est pas une date valide JJ/MM/AAAA."),
        (7, "ignored", "La date « 2026-01-15 » n'est pas une date valide JJ/MM/AAAA."),
        (8, "ignored", f"La date {future} est dans le futur."),
        (
            9,
            "ignored",
            "Le mode « bitcoin » est inconnu : cheque, especes, virement, carte ou prelevement.",
        ),
        (
            10,
            "ignored",
            "La référence manque : elle est obligatoire pour un chèque ou un virement.",
        ),
        (11, "ignored", "Le numéro de facture manque."),
        (12, "applied", "Règlement enregistré."),
        (13, "ignored", "Ligne en double : identique à la ligne 12."),
    ]
    assert Payment.objects.count() == 1
    assert imported.applied == 1


def test_the_same_file_twice_counts_once(billing):
    content = csv_of(f"2300240069929;{ON};20,00;cheque;10")
    run(billing, content)
    with pytest.raises(CollectionFileError) as refusal:
        run(billing, content, filename="encore.csv")
    assert "Ce fichier a déjà été importé le" in refusal.value.message
    assert Payment.objects.count() == 1
    assert CollectionImport.objects.count() == 1


def test_a_line_another_file_brought_is_not_recorded_again(billing):
    run(billing, csv_of(f"2300240069929;{ON};20,00;cheque;10"))
    imported = run(
        billing,
        csv_of(f"2300240069929;{ON};20,00;cheque;10", f"2300240069929;{ON};5,00;especes;"),
    )
    assert outcomes(imported)[0][2].startswith("Déjà importée (fichier « encaissements.csv » du")
    assert outcomes(imported)[1][1] == "applied"
    assert Payment.objects.count() == 2


def test_a_cheque_an_agent_recorded_is_not_recorded_again(billing):
    from levee.payments.recorded import payment_record

    payment_record(
        invoice=billing.second,
        method=PaymentMethod.CHEQUE,
        paid_on=TODAY - datetime.timedelta(days=2),
        reference="10",
        amount_cents=2000,
        by=billing.agent,
    )
    imported = run(billing, csv_of(f"2300240069929;{ON};20,00;cheque;10"))
    assert (
        "Ce règlement est déjà enregistré sur la facture 2300240069929"
        in (outcomes(imported)[0][2])
    )
    assert Payment.objects.count() == 1


def test_a_cancelled_invoice_or_another_authoritys_is_listed(billing):
    Invoice.objects.filter(pk=billing.second.pk).update(status=InvoiceStatus.CANCELLED)
    pilat, _ = pilat_world()
    make_invoice(
        make_account(pilat, code="00009", portal_key="PILAT009", last_name="MARTIN"),
        number="2300420000001",
    )
    imported = run(
        billing,
        csv_of(f"2300240069929;{ON};20,00;cheque;10", f"2300420000001;{ON};20,00;cheque;11"),
    )
    assert outcomes(imported) == [
        (
            2,
            "ignored",
            "La facture 2300240069929 est annulée : aucun règlement ne peut y être enregistré.",
        ),
        (3, "ignored", "Facture « 2300420000001 » inconnue dans la collectivité."),
    ]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "facture;date;montant;mode;référence\n2300240069928;01/03/2026;87,94;chèque;1\n".encode(
                "cp1252"
            ),
            "Le fichier n'est pas encodé en UTF-8",
        ),
        (b"", "Le fichier est vide."),
        (b"facture;date;montant\n2300240069928;01/03/2026;87,94\n", "il manque « mode », "),
        (HEADER.encode(), "Le fichier ne contient aucune ligne d'encaissement."),
    ],
)
def test_a_file_that_cannot_be_read_records_nothing(billing, content, message):
    with pytest.raises(CollectionFileError) as refusal:
        run(billing, content)
    assert message in refusal.value.message
    assert not CollectionImport.objects.exists() and not Payment.objects.exists()


def test_a_failure_midway_records_no_line(billing, monkeypatch):
    real = collection_files.payment_record
    calls = []

    def fails_at_the_second(**kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(collection_files, "payment_record", fails_at_the_second)
    with pytest.raises(RuntimeError):
        run(
            billing,
            csv_of(f"2300240069928;{ON};87,94;cheque;1", f"2300240069929;{ON};20,00;cheque;2"),
        )
    assert not Payment.objects.exists() and not CollectionImport.objects.exists()
    assert Invoice.objects.get(pk=billing.invoice.pk).status == InvoiceStatus.OPEN
    assert not OutboxMessage.objects.filter(template="payment_receipt").exists()


# The pages


def upload(client, world, content: bytes, name="encaissements.csv"):
    client.force_login(world.agent)
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_the_agent_imports_and_reads_the_result(client, billing):
    response = upload(
        client,
        billing,
        csv_of(f"2300240069928;{ON};87,94;cheque;1", f"2399999999999;{ON};10,00;cheque;2"),
    )
    imported = CollectionImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("billing_bo:collection_import", args=[imported.pk])
    page = plain(client.get(response.url))
    assert "Encaissements importés : 1 règlement enregistré (87,94 €), 1 ligne ignorée" in page
    assert "2 2300240069928 Chèque 1 87,94 € Facture réglée." in page
    assert "3 2399999999999 Chèque 2 10,00 Facture « 2399999999999 » inconnue" in page
    listing = plain(client.get(URL))
    assert "encaissements.csv 1 sur 2 lignes 1 87,94 €" in listing


def test_the_report_names_each_mode_as_the_screens_do(client, billing):
    billing.third = make_invoice(billing.account, number="2300240069930", total_cents=3000)
    response = upload(
        client,
        billing,
        csv_of(
            f"2300240069928;{ON};87,94;CHÈQUE;1",
            f"2300240069929;{ON};50,00;especes;",
            f"2300240069930;{ON};30,00;virement;VIR-7",
            f"2399999999999;{ON};10,00;Numéraire;",
            f"2300240069930;{ON};10,00;bitcoin;",
        ),
    )
    page = plain(client.get(response.url))
    assert "2 2300240069928 Chèque 1 87,94 € Facture réglée." in page
    assert "3 2300240069929 Espèces — 50,00 € Facture réglée." in page
    assert "4 2300240069930 Virement VIR-7 30,00 € Facture réglée." in page
    assert "5 2399999999999 Espèces — 10,00 Facture « 2399999999999 » inconnue" in page
    # A mode the import does not know stays as the file wrote it.
    assert "6 2300240069930 bitcoin — 10,00 Le mode « bitcoin » est inconnu" in page
    for code in ("cheque", "especes", "virement"):
        assert f" {code} " not in page


def test_a_refused_file_is_told_next_to_the_field(client, billing):
    response = upload(client, billing, "facture;date\n".encode("utf-16"))
    assert response.status_code == 400
    assert "Le fichier n'est pas encodé en UTF-8" in plain(response)
    assert 'id="id_file_error"' in response.content.decode()
    run(billing, csv_of(f"2300240069929;{ON};20,00;cheque;10"))
    response = upload(client, billing, csv_of(f"2300240069929;{ON};20,00;cheque;10"))
    assert response.status_code == 400
    assert "Ce fichier a déjà été importé le" in plain(response)


def test_a_reader_sees_the_imports_without_the_form(client, billing):
    reader = make_user("lecture@flandre.example.org")
    Agent.objects.create(authority=billing.authority, user=reader, role=AgentRole.CONSULTATION)
    imported = run(billing, csv_of(f"2300240069929;{ON};20,00;cheque;10"))
    client.force_login(reader)
    page = client.get(URL)
    assert page.status_code == 200 and 'type="file"' not in page.content.decode()
    assert (
        client.get(reverse("billing_bo:collection_import", args=[imported.pk])).status_code == 200
    )
    response = client.post(URL, {"file": SimpleUploadedFile("x.csv", b"x")})
    assert response.status_code == 403


def test_another_authoritys_import_is_a_404(client, billing):
    imported = run(billing, csv_of(f"2300240069929;{ON};20,00;cheque;10"))
    pilat, _ = pilat_world()
    other = make_user("facturation@pilat.example.org")
    Agent.objects.create(authority=pilat, user=other, role=AgentRole.ADMINISTRATEUR)
    client.force_login(other)
    assert (
        client.get(reverse("billing_bo:collection_import", args=[imported.pk])).status_code == 404
    )
