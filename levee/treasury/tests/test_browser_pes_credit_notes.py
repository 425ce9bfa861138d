"""In Chromium: on « Titres et rôles », a « Facturation » agent reads « Avoirs à
transmettre » (an avoir ready, with the title it reduces, and one waiting for its rôle),
« Générer le fichier d'annulation-réduction », then reads the file listed with its avoir
and « Marquer comme transmis ». axe on each page, no sideways scroll at 320 px."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import CreditNoteKind, CreditNoteReason
from levee.billing.services_credit_notes import credit_note_issue
from levee.treasury.models import PesFile, PesFileKind, PesFileStatus
from levee.treasury.services import (
    pes_file_generate,
    pes_file_mark_accepted,
    pes_file_mark_transmitted,
)
from testkit import PASSWORD, ccfi_world, field, make_user

from .builders import another_account, pes_settings, published_run, run_invoice

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.date
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_an_agent_sends_the_avoirs_of_accepted_titles(page, live_server, assert_accessible):
    authority, account = ccfi_world()
    pes_settings(authority)
    agent = make_user("facturation@flandre.example.org")
    Agent.objects.create(authority=authority, user=agent, role=AgentRole.FACTURATION)
    accepted = published_run(authority)
    invoice = run_invoice(accepted, account, 1)
    (role,) = pes_file_generate(run=accepted, by=agent, today=D(2026, 12, 2))
    pes_file_mark_transmitted(pes_file=role, by=agent)
    pes_file_mark_accepted(pes_file=role, by=agent)
    pending = published_run(authority)
    later = run_invoice(pending, another_account(authority, "00002"), 2)
    for target, cents in ((invoice, 1050), (later, 500)):
        credit_note_issue(
            invoice=target,
            kind=CreditNoteKind.REDUCTION,
            reason=CreditNoteReason.LIFT_CONTEST,
            by=agent,
            amount_cents=cents,
        )

    page.goto("/backoffice/")
    field(page, "Adresse email").fill("facturation@flandre.example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto("/backoffice/comptabilite-publique/")
    section = page.get_by_role("region", name="Avoirs à transmettre")
    expect(section.get_by_text("exercice 2026, bordereau n° 1, article 1")).to_be_visible()
    expect(section.get_by_text(re.compile("en attente : le rôle de sa facture"))).to_be_visible()
    assert_accessible(page)
    section.get_by_role("button", name="Générer le fichier d'annulation-réduction").click()
    expect(
        page.get_by_text(re.compile("Fichier d'annulation-réduction généré et contrôlé"))
    ).to_be_visible()
    credit = PesFile.objects.get(kind=PesFileKind.CREDIT)
    section = page.get_by_role("region", name="Avoirs à transmettre")
    expect(section.get_by_text("Aucun avoir à transmettre pour le moment.")).to_be_visible()
    expect(
        section.get_by_role(
            "link", name=f"Télécharger le fichier PES du bordereau {credit.bordereau}"
        )
    ).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    section.get_by_role(
        "button", name=f"Marquer comme transmis : bordereau {credit.bordereau}"
    ).click()
    expect(
        page.get_by_text(re.compile(f"Bordereau {credit.bordereau} marqué transmis"))
    ).to_be_visible()
    credit.refresh_from_db()
    assert credit.status == PesFileStatus.TRANSMITTED
    assert_accessible(page)
