"""The rôle's writer pinned byte for byte (issue 13, speed): a varied run — debited or not,
several debits, a revoked mandate, accents, long names, apostrophes, « & < > », control
characters, several lines, a deduction, VAT, every category, an address changed since the
invoice, a foreign debtor — written without and with its PDFs, compared to the files kept
in `pes_golden/`. They were written by the first writer (each piece built as an lxml tree
and serialised); the faster writer must give the same bytes.

When the file's content changes on purpose, run this module with PES_GOLDEN_REWRITE=1: it
rewrites the expected files and fails, so that their diff is read before it is committed.
"""

import base64
import datetime
import gzip
import hashlib
import os
from pathlib import Path

import pytest
from lxml import etree

from levee.billing.models import InvoiceStatus, LineKind
from levee.payments.models import DebitSchedule, Mandate, MandateStatus
from levee.subscribers.models import Category, Civility
from levee.treasury.pes import FileSpec, file_totals, pes_file_write
from levee.treasury.pes_check import pes_check
from testkit import ccfi_world

from .builders import another_account, debit, pes_settings, published_run, run_invoice

pytestmark = pytest.mark.django_db
D = datetime.date
GOLDEN = Path(__file__).parent / "pes_golden"
STAMP = "20270104093000"


def fake_pdf(invoice) -> bytes:
    """A stand-in for the invoice's PDF: the same bytes at every run, a few kB."""
    seed = f"FACTURE {invoice.number}".encode()
    body = b"".join(hashlib.sha256(seed + bytes([k])).digest() for k in range(40))
    return b"%PDF-1.4\n" + seed + b"\n" + body + b"\n%%EOF\n"


def varied_run():
    authority, account = ccfi_world()
    settings = pes_settings(
        authority,
        budget_label="Budget annexe « Déchets » & <collecte>",  # 38, the field's size
        role_object="Redevance d'enlèvement des ordures ménagères & assimilées",
    )
    run = published_run(authority)
    run.label = "2e semestre 2026 — Flandre"
    run.save(update_fields=["label"])
    n = iter(range(1, 100))

    # 1. The default account and lines (a line of 0,00 € left out).
    run_invoice(run, account, next(n))

    # 2. Accents, long names, apostrophes, « & < > », a control character; VAT; 5 lines.
    long_name = another_account(
        authority,
        "00002",
        last_name="de la Fontaine-Saint-Étienne du Grand Château d'Œuvre et Dépendances",
        first_name="Marie-Noëlle\tFrançoise Ægidia",
        street='rue "Basse" & <Haute> de l’Église Saint-Pierre-et-Saint-Paul-des-Champs',
        number="127",
    )
    long_name.billing_number_suffix = "bis"
    long_name.civility = Civility.MME
    long_name.save(update_fields=["billing_number_suffix", "civility"])
    run_invoice(
        run,
        long_name,
        next(n),
        lines=[
            ('Abonnement Bac 240 L & <couvercle> "jaune"', 1, 9000, 9000, LineKind.FIXED),
            ("Levées incluses : 12 sur 12", 12, 0, 0, LineKind.INCLUDED),
            ("7 levées supplémentaires × 3,50 € — l’été\nen plus", 7, 350, 2450, LineKind.EXTRA),
            (
                "Pesée : 123,4 kg à 0,20 €/kg " + "très long libellé " * 9,  # under 200
                1,
                2468,
                2468,
                LineKind.WEIGHT,
            ),
            ("Badge perdu\x07 remplacé", 1, 1500, 1500, LineKind.OTHER),
        ],
        vat_rate_bp=1000,
        vat_cents=1542,
    )

    # 3. A company with every part of the address; 4. an association; 5. an administration.
    company = another_account(authority, "00003", street="avenue de la Gare")
    for name, value in {
        "category": Category.PROFESSIONNEL,
        "company_name": "Boulangerie L'Épi d'Or & Fils <SARL>",
        "billing_apartment": "12",
        "billing_staircase": "B",
        "billing_floor": "3",
        "billing_building": "Les Érables",
        "billing_line2": "Zone artisanale du Moulin",
        "billing_po_box": "45",
        "billing_city_complement": "Cedex 2",
    }.items():
        setattr(company, name, value)
    company.save()
    run_invoice(run, company, next(n))
    association = another_account(authority, "00004")
    association.category = Category.ASSOCIATION
    association.company_name = "Les Amis du Mont des Cats"
    association.civility = ""
    association.save(update_fields=["category", "company_name", "civility"])
    run_invoice(run, association, next(n))
    town_hall = another_account(authority, "00005")
    town_hall.category = Category.ADMINISTRATION
    town_hall.company_name = "Mairie de Bailleul"
    town_hall.civility = Civility.M_OU_MME
    town_hall.save(update_fields=["category", "company_name", "civility"])
    run_invoice(run, town_hall, next(n))

    # 6. The address changed after the invoice: read back from the printed line (long).
    moved = another_account(
        authority,
        "00006",
        street="chemin départemental numéro quarante-sept des Monts de Flandre prolongé",
        number="1",
    )
    run_invoice(run, moved, next(n))
    moved.billing_street = "place Charles de Gaulle"
    moved.save(update_fields=["billing_street"])
    # 7. A printed address without a postal code and town.
    odd = another_account(authority, "00007", street="lieu-dit Le Bois", number="")
    invoice = run_invoice(run, odd, next(n))
    invoice.payer_address = "Lieu-dit Le Bois, près de l'étang"
    invoice.save(update_fields=["payer_address"])

    # 8. A deduction taken off the largest line.
    run_invoice(
        run,
        another_account(authority, "00008"),
        next(n),
        lines=[
            ("Abonnement Bac 120 L", 1, 6000, 6000, LineKind.FIXED),
            ("Levées supplémentaires", 4, 350, 1400, LineKind.EXTRA),
            ("Déduction compostage", 1, -2500, -2500, LineKind.OTHER),
        ],
    )

    # 9. Debited once (FRST); 10. three instalments on a mandate already used by an
    # earlier run (RCUR), signed by another holder; 11. the last debits of a revoked
    # mandate (FNAL).
    earlier_run = published_run(authority)
    debited = another_account(authority, "00009", last_name="MARTIN", first_name="Zoé")
    once = run_invoice(run, debited, next(n))
    debit(
        once,
        rum="RUM-00240-00009-1",
        dates=[D(2027, 1, 15)],
        iban="fr76 3000 6000 0112 3456 7890 189",
        bic="agrifrppxxx",  # lower case, as typed; the field holds 11
        holder="Zoé Martin",
        signed_on=D(2026, 11, 20),
    )
    monthly = another_account(authority, "00010", last_name="O'NEIL", first_name="Seán")
    mandate = debit(
        earlier_invoice(earlier_run, monthly, 90),
        rum="RUM-00240-00010-1",
        dates=[D(2026, 3, 15)],
        holder="Jean-François O'Neil & Cie",
        schedule=DebitSchedule.MONTHLY,
    )
    debit(
        run_invoice(run, monthly, next(n)),
        rum="",
        mandate=mandate,
        dates=[D(2027, 2, 15), D(2027, 3, 15), D(2027, 4, 15)],
    )
    leaving = another_account(authority, "00011", last_name="LEROY", first_name="Anaïs")
    revoked = debit(
        earlier_invoice(earlier_run, leaving, 91),
        rum="RUM-00240-00011-1",
        dates=[D(2026, 9, 15)],
        holder="Anaïs Leroy",
        schedule=DebitSchedule.MONTHLY,
    )
    debit(
        run_invoice(run, leaving, next(n)),
        rum="",
        mandate=revoked,
        dates=[D(2027, 1, 15), D(2027, 2, 15)],
    )
    Mandate.objects.filter(pk=revoked.pk).update(
        status=MandateStatus.REVOKED, revoked_on=D(2027, 2, 20)
    )

    # 12. A debtor abroad.
    abroad = another_account(authority, "00012", postal_code="", street="Grote Markt")
    abroad.billing_country = "BE"
    abroad.billing_postal_code = "8900"
    abroad.billing_city = "Ieper"
    abroad.save(update_fields=["billing_country", "billing_postal_code", "billing_city"])
    run_invoice(run, abroad, next(n))

    # Neither cancelled, nor paid, nor of no amount: no piece.
    run_invoice(run, another_account(authority, "00013"), next(n), status=InvoiceStatus.CANCELLED)
    run_invoice(run, another_account(authority, "00014"), next(n), status=InvoiceStatus.PAID)
    run_invoice(
        run,
        another_account(authority, "00015"),
        next(n),
        lines=[("Levées incluses", 6, 0, 0, LineKind.INCLUDED)],
    )
    return settings, run


def earlier_invoice(run, account, sequence: int):
    """An invoice of an earlier run, debited on the mandate before: its history."""
    return run_invoice(run, account, sequence)


def written(tmp_path, settings, run, *, pdfs: bool, chunk_size: int, pdf_of=fake_pdf):
    settings.attach_pdfs = pdfs
    settings.dgfip_prints_notices = pdfs
    settings.save(update_fields=["attach_pdfs", "dgfip_prints_notices"])
    from levee.treasury.pes import titled_invoices

    ids = list(titled_invoices(run).values_list("pk", flat=True))
    spec = FileSpec(
        run=run,
        settings=settings,
        year=2026,
        bordereau=7,
        name=f"PESORMC_{settings.siret}_2026_0000007_{STAMP}",
        first_id=ids[0],
        last_id=ids[-1],
        generated_on=D(2027, 1, 4),
        stamp=STAMP,
    )
    file_totals(spec)
    heard: list[int] = []
    path = tmp_path / f"{'with' if pdfs else 'without'}_pdfs.xml"
    counts = pes_file_write(
        spec,
        str(path),
        pdf_of=pdf_of if pdfs else None,
        progress=heard.append,
        chunk_size=chunk_size,
    )
    return path.read_bytes(), counts, heard, path


@pytest.mark.parametrize("pdfs", [False, True], ids=["without_pdfs", "with_pdfs"])
@pytest.mark.parametrize("chunk_size", [2000, 3])
def test_the_writer_gives_the_pinned_bytes(tmp_path, pdfs, chunk_size):
    settings, run = varied_run()
    content, counts, heard, path = written(
        tmp_path, settings, run, pdfs=pdfs, chunk_size=chunk_size
    )
    expected_path = GOLDEN / f"{'with' if pdfs else 'without'}_pdfs.xml"
    if os.environ.get("PES_GOLDEN_REWRITE"):
        GOLDEN.mkdir(exist_ok=True)
        expected_path.write_bytes(content)
        pytest.fail(f"{expected_path.name} rewritten: read its diff before committing it")
    expected = expected_path.read_bytes()
    assert content.splitlines() == expected.splitlines()
    assert content == expected

    # What the service records, and the progress heard at each chunk then at the end.
    assert (counts.pieces, counts.lines, counts.debited) == (12, 26, 3)
    assert content.count(b"<LigneDePiece>") == 26
    assert counts.attachments == (12 if pdfs else 0)
    assert (counts.total_ht_cents, counts.vat_cents) == (file_total(content), 1542)
    assert heard == [*range(chunk_size, 13, chunk_size), 12]  # each chunk, then the end

    # The check before download finds nothing: the debtor whose printed address has no
    # postal code (7) and the one abroad (12) make a valid Adresse too.
    assert pes_check(path) == []


def file_total(content: bytes) -> int:
    root = etree.fromstring(content)
    found = root.find("PES_RecetteAller/Bordereau/BlocBordereau/MtBordHt").get("V")
    euros, cents = found.split(".")
    return int(euros) * 100 + int(cents)


def test_a_large_pdf_is_encoded_in_slices_that_decode_to_it(tmp_path):
    settings, run = varied_run()
    big = b"%PDF-1.4\n" + b"".join(
        hashlib.sha256(str(k).encode()).digest() for k in range(20_000)
    )  # 640 kB that gzip cannot shrink: several base64 slices

    def pdf_of(invoice):
        return big if invoice.number.endswith("01") else fake_pdf(invoice)

    content, _counts, _heard, _path = written(
        tmp_path, settings, run, pdfs=True, chunk_size=2000, pdf_of=pdf_of
    )
    root = etree.fromstring(content)
    files = {
        pj.find("NomPJ").get("V"): pj.find("Contenu/Fichier").text
        for pj in root.find("PES_PJ").findall("PJ")
    }
    assert len(files) == 12
    for name, text in files.items():
        decoded = gzip.decompress(base64.b64decode(text))
        assert decoded.startswith(b"%PDF-")
        assert (decoded == big) == name.endswith("01.pdf")
