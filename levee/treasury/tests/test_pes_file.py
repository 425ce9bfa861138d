"""The rôle of a published real run as a PES ORMC file, read back field by field (issue 13,
item 2): one piece per invoice, its lines, its keys, its debtor, its SEPA debit and its PDF."""

import base64
import datetime
import gzip
import os
from decimal import Decimal

import pytest

from levee.billing.models import InvoiceStatus, LineKind
from levee.billing.tests.factories import make_invoice
from levee.lib.storage import private_storage
from levee.payments.models import DebitSchedule
from levee.treasury.models import PesFile
from levee.treasury.pes import cle1, cle2
from levee.treasury.pes_check import pes_check
from levee.treasury.services import pes_file_generate
from testkit import ccfi_world, make_user

from .builders import another_account, debit, parsed, pes_settings, published_run, run_invoice, v

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    authority, account = ccfi_world()
    settings = pes_settings(authority)
    run = published_run(authority)
    agent = make_user("claire.verhaeghe@example.org")
    return authority, account, settings, run, agent


def mod11_reference(digits: str) -> int:
    """The modulo 11 of the documentation, written again here: weights 2 to 7 from the
    right, 11 − (sum mod 11), 10 and 11 giving 1."""
    total = sum(int(c) * (2 + k % 6) for k, c in enumerate(reversed(digits)))
    key = 11 - total % 11
    return 1 if key > 9 else key


def test_the_keys_match_the_worked_examples():
    # Noethys' own sample: CodCol 2, bordereau 5, exercice 2013, période 9, dette 2013000017.
    assert (
        cle1(collectivity_code="2", nature_code="5", year=2013, period="9", debt="2013000017")
        == "8"
    )
    assert cle2(year=2013, period="9", debt="2013000017") == "C"
    # The older ROLMRE vectors (same modulo 11).
    assert (
        cle1(collectivity_code="01", nature_code="04", year=2000, period="0", debt="900001") == "8"
    )
    assert cle1(collectivity_code="39", nature_code="01", year=2013, period="0", debt="303") == "9"
    # Seed 004's invoice under CodCol 001, bordereau 12 of 2026, période 1: the sum is a
    # multiple of 11, which gives 1.
    assert (
        cle1(collectivity_code="001", nature_code="12", year=2026, period="1", debt="2300240069928")
        == "1"
    )
    assert cle2(year=2026, period="1", debt="2300240069928") == "S"


def test_the_role_reads_back_field_by_field(world):
    authority, account, settings, run, agent = world
    plain = run_invoice(run, account, 1)
    taxed = run_invoice(
        run,
        another_account(authority, "00002", last_name="LEFÈVRE", first_name="Élodie"),
        2,
        lines=[("Abonnement Bac 240 L", 1, 9000, 9000, LineKind.FIXED)],
        vat_rate_bp=1000,
        vat_cents=900,
    )

    # Neither a cancelled invoice nor one paid already (to the régie) is claimed.
    run_invoice(run, another_account(authority, "00003"), 3, status=InvoiceStatus.CANCELLED)
    run_invoice(run, another_account(authority, "00004"), 4, status=InvoiceStatus.PAID)

    [pes_file] = pes_file_generate(run=run, by=agent, today=D(2027, 1, 4))

    root = parsed(pes_file)
    assert v(root, "Enveloppe/Parametres/TypFic") == "PESORMC"
    assert v(root, "Enveloppe/Parametres/NomFic") == pes_file.name
    assert v(root, "EnTetePES/IdColl") == "20004094700190"
    assert v(root, "EnTetePES/IdPost") == settings.poste_code
    assert v(root, "EnTetePES/CodCol") == "240"
    assert v(root, "EnTetePES/CodBud") == "02"
    bordereau = root.find("PES_RecetteAller/Bordereau")
    bloc = bordereau.find("BlocBordereau")
    assert v(bloc, "Exer") == "2026"
    assert v(bloc, "IdBord") == "1"
    assert v(bloc, "TypBord") == "06"
    assert v(bloc, "DteBordEm") == "2027-01-04"
    assert v(bloc, "Objet") == "REDEVANCE INCITATIVE DECHETS MENAGERS 2E SEMESTRE 2026"
    pieces = bordereau.findall("Piece")
    assert [v(p, "BlocPiece/NumDette") for p in pieces] == [plain.number, taxed.number]
    assert [v(p, "BlocPiece/IdPce") for p in pieces] == ["1", "2"]
    assert v(bloc, "NbrPce") == "2"
    amounts = [
        Decimal(v(line, "BlocLignePiece/InfoLignePiece/MtHT"))
        for p in pieces
        for line in p.findall("LigneDePiece")
    ]
    assert Decimal(v(bloc, "MtBordHt")) == sum(amounts) == Decimal("160.50")
    assert v(bloc, "MtBordTVA") == "9.00"

    first = pieces[0]
    assert v(first, "BlocPiece/TypPce") == "15"
    assert v(first, "BlocPiece/Per") == "2"  # the 2nd half-year
    digits = f"240{1}{26}{2}{plain.number:0>13}"
    assert v(first, "BlocPiece/Cle1") == str(mod11_reference(digits))
    assert (
        v(first, "BlocPiece/Cle2")
        == "ABCDEFGHJKLMNPQRSTUVWXY"[int(f"26200{plain.number:0>13}") % 23]
    )
    # The included lifts at 0,00 € are no line of a title (amounts are above zero).
    lines = first.findall("LigneDePiece")
    assert [v(line, "BlocLignePiece/InfoLignePiece/MtHT") for line in lines] == ["60.00", "10.50"]
    assert [v(line, "BlocLignePiece/InfoLignePiece/CodProdLoc") for line in lines] == [
        "REOF",
        "REOS",
    ]
    assert {v(line, "BlocLignePiece/InfoLignePiece/Nature") for line in lines} == {"588"}
    assert v(lines[0], "BlocLignePiece/InfoLignePiece/TxTva") is None
    assert first.find("LigneDePiece/BlocLignePiece/InfoPrelevementSEPA") is None
    tiers = lines[0].find("Tiers")
    assert v(tiers, "InfoTiers/RefTiers") == "00001"
    assert v(tiers, "InfoTiers/CatTiers") == "01"
    assert v(tiers, "InfoTiers/Civilite") == "M"
    assert v(tiers, "InfoTiers/Nom") == "DUPONT"
    assert v(tiers, "InfoTiers/Prenom") == "PIERRE"
    assert v(tiers, "Adresse/Adr2") == "29 ROUTE DE METEREN"
    assert v(tiers, "Adresse/CP") == "59270"
    assert v(tiers, "Adresse/Ville") == "BAILLEUL"
    assert tiers.find("CpteBancaire") is None

    taxed_line = pieces[1].find("LigneDePiece/BlocLignePiece/InfoLignePiece")
    assert v(taxed_line, "TxTva") == "10.00"
    assert v(taxed_line, "MtHT") == "90.00"
    assert v(taxed_line, "MtTVA") == "9.00"
    assert v(pieces[1], "LigneDePiece/Tiers/InfoTiers/Nom") == "LEFEVRE"
    assert v(pieces[1], "LigneDePiece/Tiers/InfoTiers/Prenom") == "ELODIE"

    assert (pes_file.pieces, pes_file.lines, pes_file.total_ht_cents, pes_file.vat_cents) == (
        2,
        3,
        16050,
        900,
    )
    assert pes_check(private_storage.path(pes_file.file.name)) == []
    assert root.find("PES_PJ") is None
    # Read by the service's user only, as every file of the private storage.
    assert os.stat(private_storage.path(pes_file.file.name)).st_mode & 0o777 == 0o600


def test_each_debited_invoice_carries_its_mandate_and_account(world):
    authority, account, settings, run, agent = world
    once = run_invoice(run, account, 1)
    debit(once, rum="RUM-00240-00001-1", dates=[D(2027, 1, 15)])
    monthly_account = another_account(authority, "00002", last_name="MARTIN", first_name="Marie")
    # Its mandate was debited before, for an invoice of the previous software (no run).
    earlier = make_invoice(
        monthly_account, number="2500240000001", issued_on=D(2025, 7, 2), total_cents=4200
    )
    mandate = debit(
        earlier,
        rum="RUM-00240-00002-1",
        dates=[D(2025, 8, 1)],
        holder="Jean MARTIN",
        iban="FR7613507000000000000000000",
        bic="CCBPFRPPLIL",
        schedule=DebitSchedule.MONTHLY,
    )
    monthly = run_invoice(run, monthly_account, 3)
    debit(monthly, rum="", mandate=mandate, dates=[D(2027, 1, 15), D(2027, 2, 15), D(2027, 3, 15)])
    not_debited = run_invoice(run, another_account(authority, "00003"), 4)

    [pes_file] = pes_file_generate(run=run, by=agent, today=D(2027, 1, 4))

    pieces = {v(p, "BlocPiece/NumDette"): p for p in parsed(pes_file).iter("Piece")}
    assert set(pieces) == {once.number, monthly.number, not_debited.number}
    first = pieces[once.number]
    blocks = first.findall("LigneDePiece/BlocLignePiece/InfoPrelevementSEPA")
    assert len(blocks) == 2  # on each line, with its share of the debit
    assert {v(b, "RefUniMdt") for b in blocks} == {"RUM-00240-00001-1"}
    assert {v(b, "DateSignMandat") for b in blocks} == {"2025-09-01"}
    assert {v(b, "DtePrel") for b in blocks} == {"2027-01-15"}
    assert {v(b, "PerPrel") for b in blocks} == {"07"}
    assert {v(b, "SequencePres") for b in blocks} == {"02"}  # the mandate's first debit
    assert {v(b, "TitCpteDiff") for b in blocks} == {None}  # Pierre DUPONT pays for himself
    assert sum(Decimal(v(b, "MtPrel")) for b in blocks) == Decimal(once.total_cents) / 100
    bank = first.find("LigneDePiece/Tiers/CpteBancaire")
    assert (v(bank, "IBAN"), v(bank, "BIC")) == ("FR7630006000011234567890189", "AGRIFRPPXXX")

    second = pieces[monthly.number].findall("LigneDePiece/BlocLignePiece/InfoPrelevementSEPA")
    assert {v(b, "SequencePres") for b in second} == {"03"}  # the mandate debited before
    assert {v(b, "PerPrel") for b in second} == {"02"}
    assert {v(b, "DtePrel") for b in second} == {"2027-01-15"}
    assert {v(b, "TitCpteDiff") for b in second} == {"1"}  # Jean pays for Marie
    assert sum(Decimal(v(b, "MtPrel")) for b in second) == Decimal(monthly.total_cents) / 100
    bank = pieces[monthly.number].find("LigneDePiece/Tiers/CpteBancaire")
    assert (v(bank, "IBAN"), v(bank, "BIC"), v(bank, "TitCpte")) == (
        "FR7613507000000000000000000",
        "CCBPFRPPLIL",
        "JEAN MARTIN",
    )

    assert pieces[not_debited.number].find(".//InfoPrelevementSEPA") is None
    assert pieces[not_debited.number].find(".//CpteBancaire") is None
    assert pes_file.debited == 2
    assert pes_check(private_storage.path(pes_file.file.name)) == []


def test_each_pj_decodes_to_its_invoice_as_issued(world):
    authority, account, settings, run, agent = world
    settings.attach_pdfs = True
    settings.save(update_fields=["attach_pdfs"])
    invoices = [
        run_invoice(run, account, 1),
        run_invoice(run, another_account(authority, "00002"), 2),
    ]

    [pes_file] = pes_file_generate(run=run, by=agent)

    root = parsed(pes_file)
    refs = {
        v(p, "BlocPiece/NumDette"): v(p, "BlocPiece/PJRef/IdUnique") for p in root.iter("Piece")
    }
    # The CCFI sends its invoices itself: no printing by the DGFiP.
    assert {v(p, "BlocPiece/Edition") for p in root.iter("Piece")} == {"04"}
    pjs = {v(pj, "IdUnique"): pj for pj in root.findall("PES_PJ/PJ")}
    assert set(pjs) == set(refs.values())
    for invoice in invoices:
        invoice.refresh_from_db()
        pj = pjs[refs[invoice.number]]
        content = gzip.decompress(base64.b64decode(pj.find("Contenu/Fichier").text))
        with private_storage.open(invoice.pdf.name, "rb") as kept:
            assert content == kept.read()
        assert content.startswith(b"%PDF")
        assert v(pj, "NomPJ") == f"FACTURE_{invoice.number}.pdf"
        assert v(pj, "TypePJ") == "007"
    assert pes_file.attachments == 2

    settings.dgfip_prints_notices = True
    settings.save(update_fields=["dgfip_prints_notices"])
    [again] = pes_file_generate(run=run, by=agent)
    assert {v(p, "BlocPiece/Edition") for p in parsed(again).iter("Piece")} == {"03"}
    assert pes_check(private_storage.path(pes_file.file.name)) == []


def test_a_long_accented_address_fits_the_fields(world):
    authority, account, settings, run, agent = world
    account.billing_street = "chemin du Moulin à vent de la Grande Houblonnière près de l'église"
    account.billing_building = "Résidence Les Tilleuls"
    account.billing_line2 = "Lieu-dit Le Hameau d'en Haut"
    account.save()
    run_invoice(run, account, 1)

    [pes_file] = pes_file_generate(run=run, by=agent)

    address = parsed(pes_file).find(".//Tiers/Adresse")
    assert v(address, "Adr1") == "BAT. RESIDENCE LES TILLEULS"
    assert v(address, "Adr2").startswith("29 CHEMIN DU MOULIN A VENT")
    assert v(address, "Adr3") == "LIEU-DIT LE HAMEAU D'EN HAUT"
    assert all(len(v(address, tag)) <= 38 for tag in ("Adr1", "Adr2", "Adr3", "Ville"))
    assert pes_check(private_storage.path(pes_file.file.name)) == []


def test_a_file_holds_at_most_the_pieces_per_file(world):
    authority, account, settings, run, agent = world
    settings.pieces_per_file = 2
    settings.save(update_fields=["pieces_per_file"])
    accounts = [account] + [another_account(authority, f"0000{n}") for n in range(2, 6)]
    invoices = [run_invoice(run, a, n) for n, a in enumerate(accounts, 1)]

    files = pes_file_generate(run=run, by=agent)

    assert [(f.bordereau, f.pieces) for f in files] == [(1, 2), (2, 2), (3, 1)]
    numbers = [v(p, "BlocPiece/NumDette") for f in files for p in parsed(f).iter("Piece")]
    assert numbers == [i.number for i in invoices]
    assert sum(f.total_ht_cents for f in files) == sum(i.total_ht_cents for i in invoices)
    for pes_file in files:
        assert v(parsed(pes_file), ".//BlocBordereau/IdBord") == str(pes_file.bordereau)
        assert pes_check(private_storage.path(pes_file.file.name)) == []
    assert PesFile.objects.count() == 3


def test_a_deduction_comes_off_the_largest_lines_and_the_piece_still_adds_up(world):
    authority, account, settings, run, agent = world
    discounted = run_invoice(
        run,
        account,
        1,
        lines=[
            ("Abonnement Bac 120 L", 1, 6000, 6000, LineKind.FIXED),
            ("3 levées supplémentaires", 3, 350, 1050, LineKind.EXTRA),
            ("Remise exceptionnelle", 1, -1500, -1500, LineKind.OTHER),
        ],
    )
    emptied = run_invoice(
        run,
        another_account(authority, "00002"),
        2,
        lines=[
            ("Abonnement Bac 120 L", 1, 6000, 6000, LineKind.FIXED),
            ("1 levée supplémentaire", 1, 300, 300, LineKind.EXTRA),
            ("Dégrèvement", 1, -6100, -6100, LineKind.OTHER),
        ],
    )

    [pes_file] = pes_file_generate(run=run, by=agent)

    pieces = {v(p, "BlocPiece/NumDette"): p for p in parsed(pes_file).iter("Piece")}
    amounts = {
        number: [
            v(line, "BlocLignePiece/InfoLignePiece/MtHT") for line in p.findall("LigneDePiece")
        ]
        for number, p in pieces.items()
    }
    assert amounts[discounted.number] == ["45.00", "10.50"]  # 55,50 € HT, as invoiced
    assert amounts[emptied.number] == ["2.00"]  # the emptied line is left out
    assert pes_file.total_ht_cents == 5550 + 200
    assert pes_check(private_storage.path(pes_file.file.name)) == []
