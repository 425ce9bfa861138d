"""Avoirs in the next PES file: the bordereau d'annulation-réduction (TypBord 02) carries
each avoir whose invoice's title the public accountant accepted, one piece referring to
that title (issue 14, item 3)."""

import datetime
import shutil

import pytest

from levee.audit.models import AuditEntry
from levee.audit.sentences import entry_text
from levee.billing.models import CreditNote, CreditNoteKind, CreditNoteReason, LineKind
from levee.billing.services_credit_notes import credit_note_issue
from levee.lib.storage import private_storage
from levee.treasury.models import (
    PesBordereauSequence,
    PesFile,
    PesFileKind,
    PesFileStatus,
)
from levee.treasury.pes import cle1, cle2
from levee.treasury.pes_check import pes_check
from levee.treasury.selectors import CREDIT_NO_TITLE, CREDIT_WAITS_FOR_ROLE, credit_notes_pending
from levee.treasury.services import (
    NO_CREDIT_NOTE,
    TreasuryError,
    pes_credit_file_generate,
    pes_file_generate,
    pes_file_mark_accepted,
    pes_file_mark_rejected,
    pes_file_mark_transmitted,
)
from testkit import ccfi_world, make_user, pilat_world

from .builders import another_account, parsed, pes_settings, published_run, run_invoice, v

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2027, 1, 15)


def _accepted_role(run, agent):
    files = pes_file_generate(run=run, by=agent, today=D(2026, 12, 2))
    for f in files:
        pes_file_mark_transmitted(pes_file=f, by=agent)
        pes_file_mark_accepted(pes_file=f, by=agent)
    return files


def _issue(
    invoice,
    agent,
    *,
    kind=CreditNoteKind.REDUCTION,
    cents=None,
    today=TODAY,
    reason=CreditNoteReason.LIFT_CONTEST,
):
    return credit_note_issue(
        invoice=invoice,
        kind=kind,
        reason=reason,
        text="Tarif corrigé" if reason == CreditNoteReason.OTHER else "",
        by=agent,
        amount_cents=cents,
        today=today,
    )


@pytest.fixture
def world():
    authority, account = ccfi_world()
    settings = pes_settings(authority)
    run = published_run(authority)
    agent = make_user("claire.verhaeghe@example.org")
    invoices = [
        run_invoice(run, account, 1),
        run_invoice(run, another_account(authority, "00002", last_name="MARTIN"), 2),
        run_invoice(run, another_account(authority, "00003", last_name="LEROY"), 3),
    ]
    return authority, settings, run, agent, invoices


def _pieces(root):
    return root.findall("PES_RecetteAller/Bordereau/Piece")


def test_the_file_refers_each_avoir_to_the_title_it_reduces(world):
    authority, settings, run, agent, invoices = world
    (role,) = _accepted_role(run, agent)
    role_pieces = {v(p, "BlocPiece/NumDette"): p for p in _pieces(parsed(role))}
    reduction = _issue(invoices[1], agent, cents=1050)  # the 3 extra lifts
    cancellation = _issue(invoices[2], agent, kind=CreditNoteKind.TOTAL)

    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)

    assert (credit.kind, credit.run, credit.status) == (
        PesFileKind.CREDIT,
        None,
        PesFileStatus.GENERATED,
    )
    assert (credit.year, credit.bordereau) == (2027, 1)  # the 2027 sequence's first
    root = parsed(credit)
    assert v(root, "Enveloppe/Parametres/NomFic") == credit.name
    bloc = root.find("PES_RecetteAller/Bordereau/BlocBordereau")
    assert [v(bloc, t) for t in ("Exer", "IdBord", "TypBord", "NbrPce", "MtBordHt")] == [
        "2027",
        "1",
        "02",
        "2",
        "81.00",  # 10,50 € + the whole 70,50 €
    ]
    assert v(bloc, "MtBordTVA") is None
    pieces = _pieces(root)
    assert [v(p, "BlocPiece/IdPce") for p in pieces] == ["1", "2"]
    for piece, note, invoice in zip(pieces, (reduction, cancellation), invoices[1:], strict=True):
        title = role_pieces[invoice.number]
        assert v(piece, "BlocPiece/TypPce") == "15"
        assert v(piece, "BlocPiece/NatPce") == "06"
        assert v(piece, "BlocPiece/NumDette") == invoice.number
        # The article it corrects, named as the rôle wrote it.
        for tag in ("Per", "Cle1", "Cle2"):
            assert v(piece, f"BlocPiece/{tag}") == v(title, f"BlocPiece/{tag}")
        assert v(piece, "BlocPiece/Cle1") == cle1(
            collectivity_code=settings.collectivity_code,
            nature_code=str(role.bordereau),
            year=2026,
            period="2",
            debt=invoice.number,
        )
        assert v(piece, "BlocPiece/Cle2") == cle2(year=2026, period="2", debt=invoice.number)
        id_pce = role.piece_number_of(invoice.pk)
        assert str(id_pce) == v(title, "BlocPiece/IdPce")
        assert v(piece, "BlocPiece/ObjPce").endswith(
            f"FACTURE {invoice.number} ROLE 2026 BORDEREAU {role.bordereau} ARTICLE {id_pce}"
        )
        assert v(piece, "BlocPiece/ObjPce").startswith(f"AVOIR {note.number}")
        for line in piece.findall("LigneDePiece"):
            rattach = line.find("BlocLignePiece/RattachPiece")
            assert v(rattach, "NatPceOrig") == "01"
            assert v(rattach, "ExerRat") == "2026"
            assert v(rattach, "IdPceOrig") == str(id_pce)
            assert line.find("BlocLignePiece/InfoPrelevementSEPA") is None
            # The Tiers as in the title.
            assert v(line, "Tiers/InfoTiers/Nom") == v(title, "LigneDePiece/Tiers/InfoTiers/Nom")
            assert v(line, "Tiers/Adresse/Adr2") == v(title, "LigneDePiece/Tiers/Adresse/Adr2")
            assert line.find("Tiers/CpteBancaire") is None

    # A lift contest's reduction takes the extra lifts' line (the title's line 2) first;
    # the cancellation takes each line whole, tied to its line of the title.
    def lines_of(piece):
        return [
            (
                v(line, "BlocLignePiece/RattachPiece/IdLigneOrig"),
                v(line, "BlocLignePiece/InfoLignePiece/MtHT"),
                v(line, "BlocLignePiece/InfoLignePiece/CodProdLoc"),
            )
            for line in piece.findall("LigneDePiece")
        ]

    title_lines = [
        (
            v(line, "BlocLignePiece/InfoLignePiece/IdLigne"),
            v(line, "BlocLignePiece/InfoLignePiece/MtHT"),
            v(line, "BlocLignePiece/InfoLignePiece/CodProdLoc"),
        )
        for line in role_pieces[invoices[2].number].findall("LigneDePiece")
    ]
    assert lines_of(pieces[1]) == title_lines
    assert [(o, ht) for o, ht, _c in lines_of(pieces[0])] == [("2", "10.50")]
    assert pes_check(private_storage.path(credit.file.name)) == []
    # Marked carried: no longer pending, and the audit says so.
    assert set(CreditNote.objects.filter(pes_file=credit).values_list("pk", flat=True)) == {
        reduction.pk,
        cancellation.pk,
    }
    assert credit_notes_pending(authority) == ([], [])
    entry = AuditEntry.objects.get(action="pes_file.generate", object_id=str(credit.pk))
    assert entry.after["credit_notes"] == [reduction.number, cancellation.number]
    assert "(2027) généré : 2 avoirs en annulation-réduction" in entry_text(entry)
    assert (credit.pieces, credit.total_ht_cents, credit.vat_cents) == (2, 8100, 0)


def test_carried_avoirs_are_not_sent_twice_and_a_generated_file_is_replaced(world):
    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    first = _issue(invoices[0], agent, cents=500)
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    # Not transmitted yet: an avoir issued since joins it, the number kept.
    second = _issue(invoices[1], agent, cents=700)
    again = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    assert not PesFile.objects.filter(pk=credit.pk).exists()
    assert (again.year, again.bordereau, again.pieces) == (credit.year, credit.bordereau, 2)
    assert {n.pes_file_id for n in CreditNote.objects.filter(pk__in=[first.pk, second.pk])} == {
        again.pk
    }
    pes_file_mark_transmitted(pes_file=again, by=agent)
    # Once transmitted, nothing is pending: refused in French, no file.
    with pytest.raises(TreasuryError) as refused:
        pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    assert refused.value.message == NO_CREDIT_NOTE
    assert PesFile.objects.filter(kind=PesFileKind.CREDIT).count() == 1
    # A new avoir of the same invoice goes alone, in the next number; another reason than
    # a lift contest is shared in proportion to what each line still amounts to after the
    # earlier avoir (5,00 € off the extra lifts: 60,00 € and 5,50 € left).
    third = _issue(invoices[0], agent, cents=6000, reason=CreditNoteReason.TARIFF_ERROR)
    later = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    assert later.bordereau == again.bordereau + 1
    (piece,) = _pieces(parsed(later))
    assert v(piece, "BlocPiece/NumDette") == invoices[0].number
    assert v(piece, "BlocPiece/ObjPce").startswith(f"AVOIR {third.number}")
    amounts = [v(x, "BlocLignePiece/InfoLignePiece/MtHT") for x in piece.findall("LigneDePiece")]
    assert amounts == ["54.96", "5.04"]
    assert PesBordereauSequence.objects.get(authority=authority, year=2027).next_value == 3


def test_a_rejected_file_gives_its_avoirs_and_its_number_back(world):
    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    note = _issue(invoices[0], agent, cents=500)
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    pes_file_mark_transmitted(pes_file=credit, by=agent)
    pes_file_mark_rejected(pes_file=credit, by=agent, reason="Pièce 1 : titre inconnu")
    note.refresh_from_db()
    assert note.pes_file_id is None
    again = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    assert again.bordereau == credit.bordereau
    note.refresh_from_db()
    assert note.pes_file_id == again.pk


def test_an_avoir_waits_for_its_role_to_be_accepted(world):
    authority, settings, run, agent, invoices = world
    (role,) = pes_file_generate(run=run, by=agent, today=D(2026, 12, 2))
    note = _issue(invoices[0], agent, cents=500)
    # Rôle generated, then transmitted, not accepted: the avoir waits (the rôle keeps the
    # invoice as issued; the reduction follows once Hélios holds the title).
    for step in (None, pes_file_mark_transmitted):
        if step:
            step(pes_file=role, by=agent)
        ready, waiting = credit_notes_pending(authority)
        assert ready == [] and [(n.pk, n.waits) for n in waiting] == [
            (note.pk, CREDIT_WAITS_FOR_ROLE)
        ]
        with pytest.raises(TreasuryError) as refused:
            pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
        assert refused.value.message == NO_CREDIT_NOTE
    assert PesFile.objects.filter(kind=PesFileKind.CREDIT).count() == 0
    pes_file_mark_accepted(pes_file=role, by=agent)
    ready, waiting = credit_notes_pending(authority)
    assert [n.pk for n in ready] == [note.pk] and waiting == []
    assert (ready[0].title.year, ready[0].title.bordereau, ready[0].title.piece) == (2026, 1, 1)


def test_an_avoir_of_an_invoice_no_role_carries_stays_out(world):
    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    from levee.billing.tests.factories import make_invoice

    brought = make_invoice(
        invoices[0].account, number="2300240069928", issued_on=D(2023, 6, 1), total_cents=8794
    )
    note = _issue(brought, agent, cents=1000)
    ready, waiting = credit_notes_pending(authority)
    assert ready == [] and [(n.pk, n.waits) for n in waiting] == [(note.pk, CREDIT_NO_TITLE)]


def test_vat_lines_and_totals(world):
    authority, settings, run, agent, _invoices = world
    account = another_account(authority, "00009", last_name="PETIT")
    invoice = run_invoice(
        run,
        account,
        9,
        lines=[("Abonnement professionnel", 1, 10000, 10000, LineKind.FIXED)],
        vat_rate_bp=1000,
        vat_cents=1000,
    )
    _accepted_role(run, agent)
    _issue(invoice, agent, cents=2200)  # 20,00 € HT + 2,00 € TVA
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    root = parsed(credit)
    bloc = root.find("PES_RecetteAller/Bordereau/BlocBordereau")
    assert (v(bloc, "MtBordHt"), v(bloc, "MtBordTVA")) == ("20.00", "2.00")
    (line,) = root.findall("PES_RecetteAller/Bordereau/Piece/LigneDePiece")
    info = line.find("BlocLignePiece/InfoLignePiece")
    assert (v(info, "TxTva"), v(info, "MtHT"), v(info, "MtTVA")) == ("10.00", "20.00", "2.00")
    assert pes_check(private_storage.path(credit.file.name)) == []


def test_the_avoir_pdf_goes_as_the_pj_when_the_settings_join_pdfs(world):
    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    settings.attach_pdfs = True
    settings.save(update_fields=["attach_pdfs"])
    note = _issue(invoices[0], agent, cents=500)
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    root = parsed(credit)
    (pj,) = root.findall("PES_PJ/PJ")
    ref = root.find("PES_RecetteAller/Bordereau/Piece/BlocPiece/PJRef")
    assert v(ref, "IdUnique") == v(pj, "IdUnique")
    assert v(pj, "NomPJ") == f"AVOIR_{note.number}.pdf"
    assert credit.attachments == 1
    assert pes_check(private_storage.path(credit.file.name)) == []


def test_the_check_refuses_a_broken_file(world, tmp_path):
    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    _issue(invoices[0], agent, cents=500)
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    source = private_storage.path(credit.file.name)
    text = open(source, encoding="iso-8859-1").read()
    broken = {
        "no_rattach": (
            text.replace(
                text[text.index("<RattachPiece>") : text.index("</RattachPiece>") + 15], ""
            ),
            "RattachPiece",
        ),
        "wrong_type": (text.replace('<TypPce V="15"/>', '<TypPce V="01"/>'), "TypBord 02"),
        "wrong_total": (text.replace('<MtBordHt V="5.00"/>', '<MtBordHt V="6.00"/>'), "MtBordHt"),
        "wrong_key": (
            text.replace(
                f'<Cle2 V="{cle2(year=2026, period="2", debt=invoices[0].number)}"/>',
                '<Cle2 V="Z"/>',
            ),
            "Cle2",
        ),
    }
    for name, (content, expected) in broken.items():
        assert content != text, name
        path = tmp_path / f"{name}.xml"
        path.write_text(content, encoding="iso-8859-1")
        problems = pes_check(path)
        assert any(expected in p for p in problems), (name, problems)
    # A RattachPiece in a rôle (TypBord 06) is refused too.
    shutil.copy(source, tmp_path / "role.xml")
    content = text.replace('<TypBord V="02"/>', '<TypBord V="06"/>')
    (tmp_path / "role.xml").write_text(content, encoding="iso-8859-1")
    assert any("RattachPiece" in p for p in pes_check(tmp_path / "role.xml"))


def test_an_avoir_of_another_authority_never_appears(world):
    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    pilat, _pelussin = pilat_world()
    pes_settings(pilat)
    pilat_run = published_run(pilat)
    pilat_invoice = run_invoice(pilat_run, another_account(pilat, "00001"), 1)
    _accepted_role(pilat_run, agent)
    other = _issue(pilat_invoice, agent, cents=1000)
    mine = _issue(invoices[0], agent, cents=500)
    ready, waiting = credit_notes_pending(authority)
    assert [n.pk for n in ready] == [mine.pk] and waiting == []
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    assert [v(p, "BlocPiece/NumDette") for p in _pieces(parsed(credit))] == [invoices[0].number]
    other.refresh_from_db()
    assert other.pes_file_id is None
    # Pilat's own file carries its avoir alone, numbered in its own sequence.
    theirs = pes_credit_file_generate(authority=pilat, by=agent, today=TODAY)
    assert [v(p, "BlocPiece/NumDette") for p in _pieces(parsed(theirs))] == [pilat_invoice.number]
    assert (theirs.bordereau, list(theirs.credit_notes.all())) == (1, [other])


# --- « Avoirs à transmettre » on « Titres et rôles » ---------------------------------------

ROLES_URL = "/backoffice/comptabilite-publique/"


def _agent(authority, role):
    from levee.agents.models import Agent

    return Agent.objects.create(
        authority=authority, user=make_user(f"{role}@flandre.example.org"), role=role
    ).user


def _text(response) -> str:
    from html import unescape

    return unescape(response.content.decode())


def test_the_screen_lists_the_avoirs_and_generates_their_file(world, client):
    from django.urls import reverse

    from levee.agents.roles import AgentRole

    authority, settings, run, agent, invoices = world
    assert reverse("treasury_bo:roles") == ROLES_URL
    billing = _agent(authority, AgentRole.FACTURATION)
    client.force_login(billing)
    # Nothing pending: the section says so, offers no button; a POST anyway is refused in
    # French and writes no file.
    page = _text(client.get(ROLES_URL))
    assert "Avoirs à transmettre" in page and "Aucun avoir à transmettre pour le moment." in page
    assert "Générer le fichier d'annulation-réduction" not in page
    response = client.post(reverse("treasury_bo:generate_credit"), follow=True)
    assert NO_CREDIT_NOTE in _text(response)
    assert not PesFile.objects.filter(kind=PesFileKind.CREDIT).exists()

    (role,) = pes_file_generate(run=run, by=agent, today=D(2026, 12, 2))
    waiting = _issue(invoices[0], agent, cents=500)
    page = _text(client.get(ROLES_URL))
    assert (
        f"Avoir n° {waiting.number} (5,00\u00a0€) sur la facture n° {invoices[0].number} : en attente"
        in page
    )
    pes_file_mark_transmitted(pes_file=role, by=agent)
    pes_file_mark_accepted(pes_file=role, by=agent)
    page = _text(client.get(ROLES_URL))
    assert f"n° {waiting.number} du 15 janvier 2027" in page
    assert "exercice 2026, bordereau n° 1, article 1" in page
    assert "Générer le fichier d'annulation-réduction" in page

    response = client.post(reverse("treasury_bo:generate_credit"), follow=True)
    credit = PesFile.objects.get(kind=PesFileKind.CREDIT)
    assert "Fichier d'annulation-réduction généré et contrôlé : bordereau" in _text(response)
    page = _text(response)
    assert f"({waiting.number})" in page and "Aucun avoir à transmettre pour le moment." in page
    download = client.get(reverse("treasury_bo:download", args=[credit.pk]))
    assert download.status_code == 200
    assert b'<TypBord V="02"/>' in b"".join(download.streaming_content)
    client.post(reverse("treasury_bo:transmit", args=[credit.pk]))
    response = client.post(reverse("treasury_bo:accept", args=[credit.pk]), follow=True)
    assert "ses réductions sont prises en charge" in _text(response)
    credit.refresh_from_db()
    assert credit.status == PesFileStatus.ACCEPTED
    assert list(
        AuditEntry.objects.filter(object_id=str(credit.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["pes_file.generate", "pes_file.transmit", "pes_file.accept"]


def test_readers_do_not_generate_and_another_authority_is_a_404(world, client):
    from django.urls import reverse

    from levee.agents.roles import AgentRole

    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    _issue(invoices[0], agent, cents=500)
    client.force_login(_agent(authority, AgentRole.ACCUEIL))
    page = _text(client.get(ROLES_URL))
    assert "Avoirs à transmettre" in page
    assert "Générer le fichier d'annulation-réduction" not in page
    assert client.post(reverse("treasury_bo:generate_credit")).status_code == 403
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    pilat, _pelussin = pilat_world()
    client.force_login(_agent(pilat, AgentRole.FACTURATION))
    assert client.get(reverse("treasury_bo:download", args=[credit.pk])).status_code == 404
    assert client.post(reverse("treasury_bo:transmit", args=[credit.pk])).status_code == 404
    assert client.post(reverse("treasury_bo:generate_credit")).status_code == 302
    assert PesFile.objects.filter(kind=PesFileKind.CREDIT).count() == 1


def test_a_role_file_keeps_which_invoice_each_piece_carried():
    from levee.treasury.models import PesFile as File

    carried = File(
        first_invoice_id=8231,
        last_invoice_id=8300,
        piece_invoices=File.piece_invoices_encode([8231, 8232, 8240, 8300]),
    )
    assert carried.piece_invoices == "8231,1,8,60"
    assert [carried.piece_number_of(pk) for pk in (8231, 8232, 8240, 8300)] == [1, 2, 3, 4]
    # An invoice of the range that no piece carried (paid before the rôle), or outside it.
    assert [carried.piece_number_of(pk) for pk in (8233, 8230, 8301)] == [None, None, None]


def test_files_written_before_are_read_back_once(world):
    import importlib

    from django.apps import apps

    authority, settings, run, agent, invoices = world
    (role,) = _accepted_role(run, agent)
    written = role.piece_invoices
    PesFile.objects.filter(pk=role.pk).update(piece_invoices="")
    migration = importlib.import_module("levee.treasury.migrations.0006_piece_invoices_backfill")
    migration.backfill(apps, None)
    role.refresh_from_db()
    assert role.piece_invoices == written
    assert [role.piece_number_of(i.pk) for i in invoices] == [1, 2, 3]


def test_the_accountant_s_acknowledgement_answers_an_annulation_reduction_file(world):
    from levee.treasury.services import pes_acknowledgement_import

    from .test_pes_acknowledgement import acquit, element

    authority, settings, run, agent, invoices = world
    _accepted_role(run, agent)
    note = _issue(invoices[0], agent, cents=500)
    credit = pes_credit_file_generate(authority=authority, by=agent, today=TODAY)
    pes_file_mark_transmitted(pes_file=credit, by=agent)
    errors = "<Erreur><NumAnoAck V='12'/><LibelleAnoAck V='Titre d origine inconnu'/></Erreur>"
    content = acquit(element("6", "0", str(credit.bordereau), "2027", errors))
    (answered,) = pes_acknowledgement_import(authority=authority, content=content, by=agent)
    assert (answered.pk, answered.status) == (credit.pk, PesFileStatus.REJECTED)
    assert "Titre d origine inconnu" in answered.reason
    note.refresh_from_db()
    assert note.pes_file_id is None  # pending again, for the next file
