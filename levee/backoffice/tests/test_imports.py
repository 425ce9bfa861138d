from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.backoffice import views_imports
from levee.collection.models import ImportBatch, ImportKind, ImportStatus, Lift
from levee.collection.tests.conftest import make_bin
from testkit import ccfi_world, make_user, pilat_world

pytestmark = pytest.mark.django_db

LIFTS = (
    "horodatage;puce;cuve;flux;poids_kg;vehicule\n"
    "2024-03-05 07:12;E0040001;;om;12,5;BOM-12\n"
    "2024-03-12 07:12;E9999999;;om;10;BOM-12\n"
)


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    ccfi, account = ccfi_world()
    pilat, _ = pilat_world()
    make_bin(account, chip="E0040001")
    ccfi_agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=ccfi_agent, role=AgentRole.FACTURATION)
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent, role=AgentRole.FACTURATION)
    resident = make_user("dupont59@gmail.com", accounts=[account])
    return {
        "ccfi": ccfi,
        "ccfi_agent": ccfi_agent,
        "pilat_agent": pilat_agent,
        "resident": resident,
    }


def upload(client, kind="lifts", content=LIFTS, name="levees-mars.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/backoffice/imports/",
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_an_agent_uploads_a_file_and_reaches_its_batch(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["ccfi_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:import_detail", args=[batch.pk])
    assert (batch.authority, batch.created_by, batch.kind) == (
        world["ccfi"],
        world["ccfi_agent"],
        ImportKind.LIFTS,
    )
    assert (batch.status, batch.rows_imported, batch.rows_rejected) == (ImportStatus.DONE, 1, 1)
    assert Lift.objects.filter(import_batch=batch).count() == 1
    assert not batch.file  # the stored upload went in: it is not kept
    entry = AuditEntry.objects.get(action="import.upload")
    assert entry.actor == world["ccfi_agent"] and entry.object_id == str(batch.pk)
    assert entry.after["filename"] == "levees-mars.csv"

    page = text(client.get(response["Location"]))
    assert "Terminé" in page and "<progress" not in page  # over: no bar stuck at 100 %
    assert "Télécharger le rapport des rejets" in page
    listing = text(client.get("/backoffice/imports/"))
    assert "levees-mars.csv" in listing and "agent.flandre@example.org" in listing


def test_the_report_downloads_as_csv_with_a_bom(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["ccfi_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    batch = ImportBatch.objects.get()
    response = client.get(f"/backoffice/imports/{batch.pk}/rapport.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffligne;motif\n")
    assert body.splitlines()[1].startswith("3;bac inconnu")


def test_a_refused_file_shows_its_message_and_can_be_run_again(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["ccfi_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        # (A binary file is refused by the upload form itself: a wrong header gets this far.)
        upload(client, content=b"nom;prenom\nMartin;Marie\n", name="a.csv")
    batch = ImportBatch.objects.get()
    page = text(client.get(f"/backoffice/imports/{batch.pk}/"))
    assert batch.status == ImportStatus.FAILED
    assert "L'en-tête du fichier" in page and "Relancer l'import" in page
    assert client.get(f"/backoffice/imports/{batch.pk}/rapport.csv").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/backoffice/imports/{batch.pk}/relancer/", follow=True)
    assert "L'import est relancé." in text(response)
    assert AuditEntry.objects.filter(action="import.retry").count() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED  # the same file, refused the same way


def test_the_progress_endpoint_answers_the_status_alone(client, world):
    client.force_login(world["ccfi_agent"])
    batch = ImportBatch.objects.create(
        authority=world["ccfi"],
        kind=ImportKind.LIFTS,
        filename="gros.csv",
        size_bytes=1000,
        bytes_read=420,
        lines_read=12,
    )
    response = client.get(f"/backoffice/imports/{batch.pk}/progression/")
    body = text(response)
    assert response["Cache-Control"] == "no-store"
    assert 'data-running="true"' in body and 'value="42"' in body
    assert "42\xa0% du fichier lu (12 lignes)" in body
    assert "Actualiser la page" in body
    assert "<html" not in body


def test_a_bar_shows_while_an_import_runs_and_none_once_it_is_over(client, world):
    """The demo runs an import within its upload's request: the page came to a bar stuck at
    100 %. A bar shows only while it can move (the page polls it); a batch over shows its
    figures."""
    client.force_login(world["ccfi_agent"])
    batch = ImportBatch.objects.create(
        authority=world["ccfi"],
        kind=ImportKind.LIFTS,
        filename="gros.csv",
        size_bytes=1000,
        bytes_read=250,
        lines_read=1,
    )
    running = text(client.get(f"/backoffice/imports/{batch.pk}/"))
    assert '<progress id="import-progress-' in running and 'value="25"' in running
    assert "25\xa0% du fichier lu (1 ligne)." in running
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE, bytes_read=1000, rows_total=30, rows_imported=30
    )
    done = text(client.get(f"/backoffice/imports/{batch.pk}/"))
    assert "<progress" not in done and "% du fichier lu" not in done
    assert "Statut : <strong>Terminé</strong>" in done and "<dt>Lignes lues</dt><dd>30</dd>" in done


def test_a_batch_without_sign_of_life_is_shown_interrupted_and_can_be_run_again(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["ccfi_agent"])
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        upload(client)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.RUNNING
    page = text(client.get(f"/backoffice/imports/{batch.pk}/"))
    assert "Relancer l'import" not in page  # still young: it may yet run
    assert client.post(f"/backoffice/imports/{batch.pk}/relancer/").status_code == 302
    ImportBatch.objects.filter(pk=batch.pk).update(
        updated_at=batch.updated_at - ImportBatch.STALE_AFTER * 2
    )
    page = text(client.get(f"/backoffice/imports/{batch.pk}/"))
    assert "Interrompu" in page and "Relancer l'import" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/backoffice/imports/{batch.pk}/relancer/")
    batch.refresh_from_db()
    assert (batch.status, batch.rows_imported) == (ImportStatus.DONE, 1)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"file": "x"}, "Choisissez le type du fichier"),
        ({"kind": "lifts"}, "Choisissez le fichier CSV à importer."),
        ({"kind": "invoices", "file": "x"}, "Sélectionnez un choix valide"),
        ({"kind": "lifts", "file": ""}, "Le fichier envoyé est vide"),
    ],
)
def test_a_bad_upload_gets_its_message_next_to_its_field(client, world, data, message):
    client.force_login(world["ccfi_agent"])
    if "file" in data:
        data["file"] = SimpleUploadedFile("a.csv", data["file"].encode())
    response = client.post("/backoffice/imports/", data)
    body = text(response)
    assert response.status_code == 400
    assert message in body and 'aria-invalid="true"' in body
    assert not ImportBatch.objects.exists()


# A PDF whose start is plain text (objects not compressed), as many producers write them:
# read as a CSV file, it was refused for its header.
TEXT_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
)


@pytest.mark.parametrize(
    "name, content, guess",
    [
        ("factures.pdf", TEXT_PDF, "(PDF ?)"),
        ("leves.csv", TEXT_PDF, "(PDF ?)"),  # the name does not matter, the content does
        ("levees.xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "(classeur Excel"),
    ],
)
def test_a_binary_file_is_refused_next_to_the_upload_field(client, world, name, content, guess):
    client.force_login(world["ccfi_agent"])
    response = client.post(
        "/backoffice/imports/", {"kind": "lifts", "file": SimpleUploadedFile(name, content)}
    )
    body = text(response)
    assert response.status_code == 400
    assert f"Ce fichier est un fichier binaire {guess}" in body
    assert "et non un fichier CSV" in body and "en-tête" not in body
    assert 'aria-describedby="id_file_helptext id_file_error"' in body
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_limit_is_refused_from_its_length_before_its_body_is_read(world, settings):
    settings.IMPORT_MAX_BYTES = 1000
    request = RequestFactory().post(
        "/backoffice/imports/",
        {"kind": "lifts", "file": SimpleUploadedFile("gros.csv", b"x" * 200_000)},
    )

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    request._stream = Unreadable()
    request.user = world["ccfi_agent"]
    request.session = {}
    response = views_imports.imports(request)
    body = unescape(response.content.decode())
    assert response.status_code == 413
    assert "Le fichier est trop volumineux (0,2 Mo) : 0,0 Mo au plus." in body
    assert 'aria-describedby="id_file_helptext id_file_error"' in body
    assert not ImportBatch.objects.exists()


def test_a_file_just_over_the_limit_is_refused_by_the_form(client, world, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(world["ccfi_agent"])
    response = upload(client)
    assert response.status_code == 400
    assert "Le fichier est trop volumineux" in text(response)
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "suffix, method",
    [("", "get"), ("progression/", "get"), ("rapport.csv", "get"), ("relancer/", "post")],
)
def test_an_agent_of_another_authority_gets_404(
    client, world, suffix, method, django_capture_on_commit_callbacks
):
    client.force_login(world["ccfi_agent"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    batch = ImportBatch.objects.get()
    client.force_login(world["pilat_agent"])
    response = getattr(client, method)(f"/backoffice/imports/{batch.pk}/{suffix}")
    assert response.status_code == 404
    assert "levees-mars.csv" not in text(client.get("/backoffice/imports/"))


@pytest.mark.parametrize("url", ["/backoffice/imports/", "/backoffice/imports/aide/"])
def test_a_resident_is_sent_to_the_agents_login(client, world, url):
    client.force_login(world["resident"])
    response = client.get(url)
    assert response.status_code == 302 and "/backoffice/connexion/" in response["Location"]
    response = upload(client)
    assert response.status_code == 302 and not ImportBatch.objects.exists()


def test_the_help_page_renders_the_format_of_each_import(client, world):
    client.force_login(world["ccfi_agent"])
    body = text(client.get("/backoffice/imports/aide/"))
    assert '<h2 id="import-des-levees">Import des levées</h2>' in body
    assert '<h2 id="import-des-apports">Import des apports</h2>' in body
    assert '<h2 id="import-des-abonnes">Import des abonnés</h2>' in body
    assert "<code>horodatage;puce;cuve;flux;poids_kg;vehicule</code>" in body
    assert '<pre tabindex="0"><code>horodatage;puce' in body
    assert '<th scope="col">colonne</th>' in body
    page = text(client.get("/backoffice/imports/"))
    for anchor in ("import-des-levees", "import-des-apports", "import-des-abonnes"):
        assert f"/backoffice/imports/aide/#{anchor}" in page


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_takes_the_same_queries_whatever_the_batches(
    client, world, count, django_assert_num_queries
):
    client.force_login(world["ccfi_agent"])
    ImportBatch.objects.bulk_create(
        ImportBatch(
            authority=world["ccfi"],
            kind=ImportKind.LIFTS,
            filename=f"f{n}.csv",
            created_by=world["ccfi_agent"],
        )
        for n in range(count)
    )
    with django_assert_num_queries(5):  # session, user, agent roles, count, page
        response = client.get("/backoffice/imports/")
    assert response.status_code == 200


def test_an_upload_without_its_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["ccfi_agent"])
    assert upload(client).status_code == 403
    assert not ImportBatch.objects.exists()
