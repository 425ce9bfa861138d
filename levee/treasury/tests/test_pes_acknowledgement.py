"""The accountant's acknowledgement (PES_ACQUIT, as its published schema describes it) is
imported: each transmitted bordereau it names is accepted or rejected with Hélios' reasons
(issue 13, item 3)."""

import pytest

from levee.audit.models import AuditEntry
from levee.treasury.models import PesFileStatus
from levee.treasury.services import (
    TreasuryError,
    pes_acknowledgement_import,
    pes_file_generate,
    pes_file_mark_transmitted,
)
from testkit import ccfi_world, make_user

from .builders import another_account, pes_settings, published_run, run_invoice

pytestmark = pytest.mark.django_db

ACK_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"


def acquit(*elements: str, siret: str = "20004094700190") -> bytes:
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_ACQUIT xmlns:n="{ACK_NS}">
 <Enveloppe><Parametres><Version V="2"/><TypFic V="PES_ACQUIT"/><NomFic V="ACQUIT_TEST"/></Parametres></Enveloppe>
 <EnTetePES><DteStr V="2027-01-05"/><IdPost V="059030"/><IdColl V="{siret}"/><CodCol V="240"/></EnTetePES>
 <ACQUIT><EnTeteAcquit><IdVer V="2"/></EnTeteAcquit>{"".join(elements)}</ACQUIT>
</n:PES_ACQUIT>""".encode("iso-8859-1")


def element(domain: str, state: str, number: str = "", year: str = "2026", errors: str = "") -> str:
    bord = f'<NumBord V="{number}"/><ExerciceBord V="{year}"/>' if number else ""
    return (
        f'<ElementACQUIT><DomaineAck V="{domain}"/><EtatAck V="{state}"/>{bord}{errors}'
        "</ElementACQUIT>"
    )


@pytest.fixture
def world():
    authority, account = ccfi_world()
    settings = pes_settings(authority, pieces_per_file=1)
    run = published_run(authority)
    run_invoice(run, account, 1)
    run_invoice(run, another_account(authority, "00002"), 2)
    agent = make_user("claire.verhaeghe@example.org")
    first, second = pes_file_generate(run=run, by=agent)
    for pes_file in (first, second):
        pes_file_mark_transmitted(pes_file=pes_file, by=agent)
    return authority, settings, agent, first, second


def test_each_bordereau_named_is_accepted_or_rejected_with_its_reasons(world):
    authority, settings, agent, first, second = world
    errors = (
        '<Erreur><NumAnoAck V="ERREUR_CODIFICATION"/><LibelleAnoAck V="Code produit inconnu"/></Erreur>'
        '<DetailPiece><NumPiece V="1"/><Erreur><LibelleAnoAck V="Adresse incomplete"/></Erreur></DetailPiece>'
    )
    content = acquit(
        element("7", "1", "0000001"), element("7", "0", "2", errors=errors), element("4", "1")
    )

    answered = pes_acknowledgement_import(authority=authority, content=content, by=agent)

    assert [f.bordereau for f in answered] == [1, 2]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PesFileStatus.ACCEPTED
    assert second.status == PesFileStatus.REJECTED
    assert second.reason == (
        "ERREUR_CODIFICATION Code produit inconnu ; pièce 1 : Adresse incomplete"
    )
    assert AuditEntry.objects.filter(action__in=["pes_file.accept", "pes_file.reject"]).count() == 2


@pytest.mark.parametrize(
    "content,message",
    [
        (b"pas du XML", "n'est pas un accusé de réception PES lisible"),
        (b"<PES_Aller/>", "son élément racine est « PES_Aller »"),
        (
            acquit(element("7", "1", "1"), siret="21590043000016"),
            "concerne le SIRET 21590043000016",
        ),
        (acquit(element("7", "1", "9")), "ne répond à aucun fichier PES transmis"),
        (
            acquit(element("0", "0", errors='<Erreur><NumAnoAck V="ERREUR_ENCODING"/></Erreur>')),
            "rejet du fichier avant la lecture de ses bordereaux : ERREUR_ENCODING",
        ),
    ],
    ids=["not-xml", "not-an-ack", "other-siret", "unknown-bordereau", "technical-reject"],
)
def test_a_file_that_answers_nothing_here_is_refused_in_french(world, content, message):
    authority, settings, agent, first, second = world
    with pytest.raises(TreasuryError, match=message):
        pes_acknowledgement_import(authority=authority, content=content, by=agent)
    first.refresh_from_db()
    assert first.status == PesFileStatus.TRANSMITTED
