"""The back office « Prélèvements »: every agent reads, only « Facturation » and
« Administrateur » generate, download, mark transmitted and import rejects; another
authority's files are a 404; bad input is told in French next to its field."""

import datetime
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.payments.debit_files import debit_file_generate, debit_file_mark_transmitted
from levee.payments.models import DebitFile, DebitFileStatus, DebitRejectImport, DebitStatus
from levee.payments.views_backoffice import end_of_next_month
from levee.treasury.models import CollectionMode, PublicAccountingSettings
from testkit import ccfi_world, make_user

from .debit_world import TODAY, RegieWorld

pytestmark = pytest.mark.django_db
PAGE = reverse("payments_bo:debit_files")
GENERATE = reverse("payments_bo:generate")
REJECTS = reverse("payments_bo:rejects")
WRITERS = {AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR}


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world(db):
    regie = RegieWorld()
    regie.agents = {
        role: Agent.objects.create(
            authority=regie.authority, user=make_user(f"{role}@pilat.example.org"), role=role
        ).user
        for role in AgentRole
    }
    return regie


def made(world, up_to=datetime.date(2027, 1, 31)):
    return debit_file_generate(
        authority=world.authority, up_to=up_to, by=world.agents[AgentRole.FACTURATION], today=TODAY
    )


def test_the_default_date_is_the_end_of_next_month():
    assert end_of_next_month(datetime.date(2026, 12, 2)) == datetime.date(2027, 1, 31)
    assert end_of_next_month(datetime.date(2027, 1, 15)) == datetime.date(2027, 2, 28)


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_agent_reads_the_page_and_only_billing_is_offered_the_actions(client, world, role):
    made(world)
    client.force_login(world.agents[role])
    page = text(client.get(PAGE))
    assert "<h1>Prélèvements</h1>" in page
    assert "prelevements-00420-20270131" in page
    assert ("Générer le fichier de prélèvements" in page) == (role in WRITERS)
    assert ("Marquer comme transmis" in page) == (role in WRITERS)
    assert ("Télécharger" in page) == (role in WRITERS)


@pytest.mark.parametrize("role", list(AgentRole))
def test_only_billing_generates_downloads_and_marks_transmitted(client, world, role):
    client.force_login(world.agents[role])
    response = client.post(GENERATE, {"up_to": "2027-01-31"})
    if role not in WRITERS:
        assert response.status_code == 403
        assert not DebitFile.objects.exists()
        debit_file = made(world)
        assert client.get(reverse("payments_bo:download", args=[debit_file.pk])).status_code == 403
        assert client.post(reverse("payments_bo:transmit", args=[debit_file.pk])).status_code == 403
        assert DebitFile.objects.get().status == DebitFileStatus.GENERATED
        return
    assert response.status_code == 302
    debit_file = DebitFile.objects.get()
    assert debit_file.count == 2
    download = client.get(reverse("payments_bo:download", args=[debit_file.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{debit_file.name}.xml"'
    assert b"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02" in b"".join(download.streaming_content)
    assert client.post(reverse("payments_bo:transmit", args=[debit_file.pk])).status_code == 302
    debit_file.refresh_from_db()
    assert debit_file.status == DebitFileStatus.TRANSMITTED
    page = text(client.get(PAGE))
    assert "Transmis" in page and "Marquer comme transmis<" not in page
    assert "Importer les rejets" in page


def test_another_authority_s_file_is_a_404(client, world):
    debit_file = made(world)
    ccfi, _ = ccfi_world()
    stranger = Agent.objects.create(
        authority=ccfi, user=make_user("agent@flandre.example.org"), role=AgentRole.ADMINISTRATEUR
    ).user
    client.force_login(stranger)
    assert client.get(reverse("payments_bo:download", args=[debit_file.pk])).status_code == 404
    assert client.post(reverse("payments_bo:transmit", args=[debit_file.pk])).status_code == 404
    assert "prelevements-00420" not in text(client.get(PAGE))
    # CCFI sends titles (PES): its page offers no file.
    PublicAccountingSettings.objects.create(authority=ccfi, collection_mode=CollectionMode.PES)
    page = text(client.get(PAGE))
    assert "le mode de recouvrement « Régie »" in page
    assert "Générer le fichier de prélèvements" not in page
    assert client.post(GENERATE, {"up_to": "2027-01-31"}).status_code == 400
    assert not DebitFile.objects.filter(authority=ccfi).exists()


def test_a_bad_date_or_no_debit_due_is_told_next_to_the_date(client, world):
    client.force_login(world.agents[AgentRole.FACTURATION])
    response = client.post(GENERATE, {"up_to": "31 janvier"})
    assert response.status_code == 400
    page = text(response)
    assert "Saisissez une date valide, par exemple 31/01/2027." in page
    assert 'id="id_up_to_error"' in page
    assert 'aria-describedby="id_up_to_helptext id_up_to_error"' in page
    response = client.post(GENERATE, {"up_to": "2026-06-30"})
    assert response.status_code == 400
    assert "Aucun prélèvement n'est dû jusqu'au 30/06/2026" in text(response)
    assert not DebitFile.objects.exists()


def test_rejects_are_imported_and_each_ignored_line_is_listed(client, world):
    debit_file_mark_transmitted(debit_file=made(world), by=world.agents[AgentRole.FACTURATION])
    world.martin_debit.refresh_from_db()
    client.force_login(world.agents[AgentRole.FACTURATION])
    content = (
        "reference;date;montant;motif\n"
        f"{world.martin_debit.end_to_end_id};04/01/2027;123,45;AM04\n"
        "RUM-INCONNU;04/01/2027;12,00;MD01\n"
    ).encode()
    response = client.post(REJECTS, {"file": SimpleUploadedFile("rejets.csv", content)})
    assert response.status_code == 302
    page = text(client.get(PAGE))
    assert "1 rejet appliqué sur 2 lignes" in page
    assert "Ligne 3 (RUM-INCONNU) : ignorée — Aucun prélèvement ni mandat" in page
    world.martin_debit.refresh_from_db()
    assert world.martin_debit.status == DebitStatus.REJECTED
    again = client.post(REJECTS, {"file": SimpleUploadedFile("rejets.csv", content)})
    assert again.status_code == 400
    assert "Ce fichier a déjà été importé le" in text(again)
    assert DebitRejectImport.objects.count() == 1


def test_a_rejects_file_in_latin1_or_missing_is_told_next_to_the_field(client, world):
    debit_file_mark_transmitted(debit_file=made(world), by=world.agents[AgentRole.FACTURATION])
    client.force_login(world.agents[AgentRole.ADMINISTRATEUR])
    response = client.post(REJECTS, {})
    assert response.status_code == 400
    assert "Choisissez le fichier des rejets à importer." in text(response)
    latin = "reference;date;montant;motif\nRUM-É;04/01/2027;1,00;AM04\n".encode("latin-1")
    response = client.post(REJECTS, {"file": SimpleUploadedFile("rejets.csv", latin)})
    assert response.status_code == 400
    page = text(response)
    assert "n'est pas encodé en UTF-8" in page
    assert 'id="id_file_error' in page
    assert not DebitRejectImport.objects.exists()


@pytest.mark.parametrize("role", sorted(set(AgentRole) - WRITERS))
def test_other_roles_cannot_import_rejects(client, world, role):
    client.force_login(world.agents[role])
    content = b"reference;date;montant;motif\nX;04/01/2027;1,00;AM04\n"
    response = client.post(REJECTS, {"file": SimpleUploadedFile("rejets.csv", content)})
    assert response.status_code == 403
    assert not DebitRejectImport.objects.exists()
