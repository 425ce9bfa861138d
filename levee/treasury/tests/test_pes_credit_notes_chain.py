"""Issue 14's « Done when » for credit notes, end to end: in PES mode, a real run's rôle
generated, transmitted and accepted; a lift contest accepted after billing with « Émettre
un avoir pour cette levée »; then « Générer le fichier d'annulation-réduction » on « Titres
et rôles » carries that avoir as a reduction of the invoice's title."""

import datetime

import pytest
from django.urls import reverse

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import CreditNote, CreditNoteReason, LineKind, RunKind, RunStatus
from levee.billing.tests.factories import make_run
from levee.collection.tests.conftest import make_bin
from levee.lib.storage import private_storage
from levee.requests.tests.conftest import BO, plain, world  # noqa: F401 (the fixture)
from levee.requests.tests.test_lift_contest_billed import FIRST_HALF, contest, lift_at
from levee.treasury.models import PesFile, PesFileKind, PesFileStatus
from levee.treasury.pes_check import pes_check
from levee.treasury.services import (
    pes_file_generate,
    pes_file_mark_accepted,
    pes_file_mark_transmitted,
)
from testkit import make_user

from .builders import parsed, pes_settings, run_invoice, v

pytestmark = pytest.mark.django_db
D = datetime.date


def test_a_lift_contest_accepted_after_billing_ends_in_the_next_pes_file(client, world):  # noqa: F811
    pes_settings(world.ccfi)
    run = make_run(
        world.ccfi,
        kind=RunKind.REAL,
        status=RunStatus.DONE,
        year=2024,
        label="1er semestre 2024",
        issued_on=D(2024, 7, 2),
    )
    run.period_start, run.period_end = FIRST_HALF
    run.save(update_fields=["period_start", "period_end"])
    invoice = run_invoice(
        run,
        world.account,
        1,
        lines=[
            ("Abonnement Bac 140 L du 01/01/2024 au 30/06/2024", 1, 8000, 8000, LineKind.FIXED),
            ("Levées incluses dans le forfait : 13 sur 13", 13, 0, 0, LineKind.INCLUDED),
            ("3 levées supplémentaires × 2,50 €", 3, 250, 750, LineKind.EXTRA),
        ],
        vat_rate_bp=1000,
        vat_cents=875,
    )
    # The rôle: generated, transmitted, accepted.
    (role,) = pes_file_generate(run=run, by=world.ccfi_agent, today=D(2024, 7, 3))
    pes_file_mark_transmitted(pes_file=role, by=world.ccfi_agent)
    pes_file_mark_accepted(pes_file=role, by=world.ccfi_agent)
    title_piece = role.piece_number_of(invoice.pk)

    # The resident contests a lift; the agent accepts it with its avoir.
    household_bin = make_bin(world.account, chip="E0040001", volume=140)
    service_request = contest(world, lift_at(household_bin, datetime.datetime(2024, 3, 5, 6, 12)))
    client.force_login(world.ccfi_agent)
    values = {"message": "Nous annulons cette levée.", "cancel_lift": "on", "credit_note": "on"}
    plain(client.post(f"{BO}{service_request.pk}/accepter/", values, follow=True))
    note = CreditNote.objects.get(invoice=invoice)
    assert note.reason == CreditNoteReason.LIFT_CONTEST
    assert (note.total_ht_cents, note.vat_cents) == (250, 25)

    # « Titres et rôles », as a « Facturation » agent: the avoir is listed, then goes out.
    billing = make_user("claire.verhaeghe@example.org")
    Agent.objects.create(authority=world.ccfi, user=billing, role=AgentRole.FACTURATION)
    client.force_login(billing)
    roles = reverse("treasury_bo:roles")
    page = plain(client.get(roles))
    assert f"n° {note.number}" in page
    assert f"exercice 2024, bordereau n° {role.bordereau}, article {title_piece}" in page
    page = plain(client.post(reverse("treasury_bo:generate_credit"), follow=True))
    assert "Fichier d'annulation-réduction généré et contrôlé" in page
    credit = PesFile.objects.get(kind=PesFileKind.CREDIT)
    assert credit.status == PesFileStatus.GENERATED
    note.refresh_from_db()
    assert note.pes_file_id == credit.pk
    root = parsed(credit)
    assert v(root, "PES_RecetteAller/Bordereau/BlocBordereau/TypBord") == "02"
    (piece,) = root.findall("PES_RecetteAller/Bordereau/Piece")
    assert v(piece, "BlocPiece/NumDette") == invoice.number
    (line,) = piece.findall("LigneDePiece")  # the extra lifts' line only
    assert v(line, "BlocLignePiece/InfoLignePiece/MtHT") == "2.50"
    assert v(line, "BlocLignePiece/InfoLignePiece/MtTVA") == "0.25"
    assert v(line, "BlocLignePiece/RattachPiece/ExerRat") == "2024"
    assert v(line, "BlocLignePiece/RattachPiece/IdPceOrig") == str(title_piece)
    assert pes_check(private_storage.path(credit.file.name)) == []
    # Carried: the next generation has nothing left to send.
    page = plain(client.get(roles))
    assert "Aucun avoir à transmettre pour le moment." in page
