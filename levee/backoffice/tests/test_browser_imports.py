"""The back office's imports in Chromium: an agent uploads a lift file, follows it to its
end, downloads the rejected lines."""

import pytest
from playwright.sync_api import expect

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.collection.models import ImportBatch, ImportKind, ImportStatus, Lift
from levee.collection.tests.conftest import make_bin
from testkit import PASSWORD, ccfi_world, field, make_user

pytestmark = pytest.mark.django_db(transaction=True)

LIFTS = (
    "horodatage;puce;cuve;flux;poids_kg;vehicule\n"
    "2024-03-05 07:12;E0040001;;om;12,5;BOM-12\n"
    "2024-03-12 07:12;E0040001;;om;douze;BOM-12\n"
)


@pytest.fixture
def agent_world():
    authority, account = ccfi_world()
    make_bin(account, chip="E0040001")
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=authority, user=agent, role=AgentRole.FACTURATION)
    return authority, agent


def log_in(page):
    page.goto("/backoffice/")
    field(page, "Adresse email").fill("agent.flandre@example.org")
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def test_an_agent_imports_lifts_and_downloads_the_rejected_lines(
    page, live_server, agent_world, assert_accessible, tmp_path
):
    path = tmp_path / "levees-mars.csv"
    path.write_text(LIFTS, encoding="utf-8")
    log_in(page)
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Importer").click()  # nothing chosen
    expect(page.get_by_text("Choisissez le type du fichier")).to_be_visible()
    expect(field(page, "Fichier CSV")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.get_by_label("Levées").check()
    field(page, "Fichier CSV").set_input_files(str(path))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("heading", name="Import des levées — levees-mars.csv")).to_be_visible()
    expect(page.get_by_text("Statut : Terminé")).to_be_visible()
    # Over before the page showed: its figures, not a bar that could never move.
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.locator(".import-counts")).to_match_aria_snapshot(
        """
        - term: Lignes lues
        - definition: "2"
        - term: Lignes importées
        - definition: "1"
        - term: Lignes déjà présentes
        - definition: "0"
        - term: Lignes rejetées
        - definition: "1"
        """
    )
    assert_accessible(page)
    assert Lift.objects.count() == 1

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le rapport des rejets").click()
    report = download.value.path().read_bytes().decode("utf-8")
    assert download.value.suggested_filename.endswith(".csv")
    assert report == "\ufeffligne;motif\n3;poids non numérique : « douze »\n"

    page.get_by_role("link", name="Format du fichier et motifs de rejet").click()
    expect(page.get_by_role("heading", name="Import des levées")).to_be_visible()
    assert_accessible(page)


def test_the_batch_page_follows_a_running_import_to_its_end(
    page, live_server, agent_world, assert_accessible
):
    authority, agent = agent_world
    batch = ImportBatch.objects.create(
        authority=authority,
        kind=ImportKind.LIFTS,
        filename="gros.csv",
        created_by=agent,
        size_bytes=1000,
        bytes_read=400,
        lines_read=12,
    )
    log_in(page)
    page.goto(f"/backoffice/imports/{batch.pk}/")
    expect(page.get_by_role("progressbar", name="Lecture du fichier")).to_have_attribute(
        "value", "40"
    )
    expect(page.get_by_role("link", name="Actualiser la page")).to_be_visible()
    assert_accessible(page)

    ImportBatch.objects.filter(pk=batch.pk).update(bytes_read=700)
    expect(page.get_by_text("70 % du fichier lu")).to_be_visible()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE, bytes_read=1000, rows_total=30, rows_imported=30
    )
    expect(page.get_by_text("Statut : Terminé")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Import terminé.")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_role("link", name="Actualiser la page")).to_have_count(0)
    assert_accessible(page)


def test_a_file_too_big_is_stopped_in_the_browser(
    page, live_server, agent_world, settings, tmp_path
):
    settings.IMPORT_MAX_BYTES = 50
    path = tmp_path / "levees.csv"
    path.write_text(LIFTS, encoding="utf-8")
    log_in(page)
    page.goto("/backoffice/imports/")
    page.get_by_label("Levées").check()
    field(page, "Fichier CSV").set_input_files(str(path))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("Le fichier est trop volumineux")).to_be_visible()
    expect(field(page, "Fichier CSV")).to_be_focused()
    assert not ImportBatch.objects.exists()
