"""The back office of « Comptabilité publique » and « Titres et rôles »: every agent reads,
only « Facturation » and « Administrateur » change or download; another authority's files
and runs are a 404; bad input is told in French next to its field; incomplete settings and
an unpublished run offer no « Générer le fichier PES »."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import RunStatus
from levee.treasury.models import (
    CollectionMode,
    PesFile,
    PesFileStatus,
    PesGeneration,
    PublicAccountingSettings,
)
from levee.treasury.services import pes_file_generate, pes_file_mark_transmitted
from testkit import ccfi_world, make_user, pilat_world

from .builders import another_account, pes_settings, published_run, run_invoice
from .test_pes_acknowledgement import acquit, element

pytestmark = pytest.mark.django_db

ROLES_URL = reverse("treasury_bo:roles")
SETTINGS_URL = reverse("treasury_bo:accounting_settings")
WRITERS = {AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR}


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    authority, account = ccfi_world()
    pes_settings(authority)
    run = published_run(authority)
    run_invoice(run, account, 1)
    run_invoice(run, another_account(authority, "00002"), 2)
    agents = {
        role: Agent.objects.create(
            authority=authority, user=make_user(f"{role}@flandre.example.org"), role=role
        ).user
        for role in AgentRole
    }
    return authority, run, agents


def settings_post(**fields):
    data = {
        "collection_mode": CollectionMode.PES,
        "siret": "200 040 947 00190",
        "poste_code": "059030",
        "collectivity_code": "240",
        "budget_code": "02",
        "budget_label": "BUDGET DECHETS",
        "role_object": "REDEVANCE INCITATIVE",
        "pieces_per_file": "5000",
        "attach_pdfs": "on",
        "nature_abonnement": "588",
        "product_abonnement": "reof",
        "nature_incluses": "588",
        "product_incluses": "REOI",
        "nature_supplementaires": "588",
        "product_supplementaires": "REOS",
        "nature_poids": "588",
        "product_poids": "REOP",
        "nature_autre": "588",
        "product_autre": "REOA",
    }
    data.update(fields)
    return data


# « Comptabilité publique »


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_agent_reads_the_settings_and_sees_the_ics_read_only(client, world, role):
    authority, run, agents = world
    client.force_login(agents[role])
    page = text(client.get(SETTINGS_URL))
    assert "Comptabilité publique" in page
    assert "FR12ZZZ123456" in page
    assert 'name="creditor_identifier"' not in page
    assert ("Enregistrer les réglages" in page) == (role in WRITERS)


@pytest.mark.parametrize("role", list(AgentRole))
def test_only_facturation_and_administrateur_save_the_settings_audited(client, world, role):
    authority, run, agents = world
    client.force_login(agents[role])
    response = client.post(SETTINGS_URL, settings_post(role_object="REOM 2026"))
    settings = PublicAccountingSettings.objects.get(authority=authority)
    if role in WRITERS:
        assert response.status_code == 302
        assert settings.role_object == "REOM 2026"
        assert settings.siret == "20004094700190"
        assert settings.codes_of("abonnement") == ("588", "REOF")
        entry = AuditEntry.objects.get(action="public_accounting_settings.update")
        assert entry.actor == agents[role]
        journal = text(client.get(reverse("backoffice:audit_log")))
        assert "réglages de comptabilité publique" in journal
    else:
        assert response.status_code == 403
        assert settings.role_object == "REDEVANCE INCITATIVE DECHETS MENAGERS"
        assert not AuditEntry.objects.filter(action="public_accounting_settings.update").exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("siret", "200 040 947 00191", "Ce SIRET n'est pas valide"),
        ("siret", "12345", "Le SIRET compte 14 chiffres."),
        ("poste_code", "59A", "Le codique du poste comptable compte 6 ou 7 chiffres"),
        ("collectivity_code", "2-0", "Le code collectivité compte 1 à 3 lettres ou chiffres."),
        ("pieces_per_file", "0", "Un fichier compte au moins 1 facture."),
        ("pieces_per_file", "deux", "Saisissez un nombre entier, sans virgule."),
        ("nature_poids", "58A", "La nature est un numéro de compte : des chiffres seulement."),
        ("product_autre", "RÉO", "Le code produit ne compte que des lettres sans accent"),
        ("product_autre", "REOAB", "Le code produit compte au plus 4 caractères."),
    ],
)
def test_bad_settings_are_refused_in_french_next_to_their_field(
    client, world, field, value, message
):
    authority, run, agents = world
    client.force_login(agents[AgentRole.FACTURATION])
    before = PublicAccountingSettings.objects.filter(authority=authority).values().get()
    response = client.post(SETTINGS_URL, settings_post(**{field: value}))
    page = text(response)
    assert response.status_code == 400
    assert message in page
    assert f'aria-describedby="id_{field}' in page or f'id="id_{field}_error"' in page
    assert f'id="id_{field}_error"' in page
    assert PublicAccountingSettings.objects.filter(authority=authority).values().get() == before


def test_the_settings_page_names_what_the_pes_still_lacks(client, world):
    authority, run, agents = world
    client.force_login(agents[AgentRole.ADMINISTRATEUR])
    client.post(SETTINGS_URL, settings_post(poste_code="", nature_poids=""))
    page = text(client.get(SETTINGS_URL))
    assert "le poste comptable (IdPost)" in page
    assert "la nature (compte) des lignes « Poids »" in page


# « Titres et rôles »


def test_incomplete_settings_are_named_with_a_link_and_no_button(client, world):
    authority, run, agents = world
    PublicAccountingSettings.objects.filter(authority=authority).update(siret="", poste_code="")
    client.force_login(agents[AgentRole.FACTURATION])
    page = text(client.get(ROLES_URL))
    assert "Réglages de comptabilité publique incomplets" in page
    assert "le SIRET de la collectivité (IdColl)" in page
    assert "le poste comptable (IdPost)" in page
    assert SETTINGS_URL in page
    assert "Générer le fichier PES" not in page
    response = client.post(reverse("treasury_bo:generate", args=[run.pk]), follow=True)
    assert "il manque : le SIRET de la collectivité (IdColl)" in text(response)
    assert not PesFile.objects.exists()


def test_a_regie_says_so_and_offers_no_role(client, world):
    authority, run, agents = world
    PublicAccountingSettings.objects.filter(authority=authority).update(
        collection_mode=CollectionMode.REGIE
    )
    client.force_login(agents[AgentRole.FACTURATION])
    page = text(client.get(ROLES_URL))
    assert "Titres transmis au comptable public (PES ORMC)" in page
    assert "Générer le fichier PES" not in page


def test_an_unpublished_run_makes_no_role(client, world):
    authority, run, agents = world
    run.status = RunStatus.RUNNING
    run.save(update_fields=["status"])
    client.force_login(agents[AgentRole.FACTURATION])
    page = text(client.get(ROLES_URL))
    assert "Cette facturation n'est pas encore publiée" in page
    assert "Générer le fichier PES" not in page
    response = client.post(reverse("treasury_bo:generate", args=[run.pk]), follow=True)
    assert "Cette facturation n'est pas encore publiée" in text(response)
    assert not PesFile.objects.exists()


def test_the_whole_life_of_a_role_from_the_page(client, world, django_capture_on_commit_callbacks):
    authority, run, agents = world
    client.force_login(agents[AgentRole.FACTURATION])
    page = text(client.get(ROLES_URL))
    assert "Générer le fichier PES" in page
    assert "0 facture sur 2 factures à transmettre en titre" in page
    with django_capture_on_commit_callbacks(execute=True):  # the task, run by the backend
        response = client.post(reverse("treasury_bo:generate", args=[run.pk]))
    page = text(client.get(response["Location"]))
    (pes_file,) = PesFile.objects.all()
    assert "Génération du rôle de « 2e semestre 2026 » lancée." in page
    assert "Rôle de « 2e semestre 2026 » généré et contrôlé le " in page
    assert ": 1 fichier PES, 2 factures en titre." in page
    assert "2 factures sur 2 factures à transmettre en titre" in page
    assert "Télécharger le fichier PES" in page
    assert "141,00\xa0€" in page  # 2 × 70,50 €

    download = client.get(reverse("treasury_bo:download", args=[pes_file.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert download["Content-Disposition"] == f'attachment; filename="{pes_file.name}.xml"'
    body = b"".join(download.streaming_content)
    assert b"PES_Aller" in body and b"2600240000001" in body

    page = text(client.post(reverse("treasury_bo:transmit", args=[pes_file.pk]), follow=True))
    assert "Bordereau 1 marqué transmis au comptable public." in page
    assert "Générer le fichier PES" not in page
    assert "il ne peut plus être généré à nouveau" in page
    page = text(client.post(reverse("treasury_bo:accept", args=[pes_file.pk]), follow=True))
    assert "Bordereau 1 accepté" in page
    pes_file.refresh_from_db()
    assert pes_file.status == PesFileStatus.ACCEPTED
    assert pes_file.transmitted_by == agents[AgentRole.FACTURATION]
    actions = list(
        AuditEntry.objects.filter(action__startswith="pes_file.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["pes_file.generate", "pes_file.transmit", "pes_file.accept"]
    journal = text(client.get(reverse("backoffice:audit_log")))
    assert "fichier PES du bordereau 1 accepté par le comptable public" in journal


def test_a_second_answer_is_refused_in_french(client, world):
    authority, run, agents = world
    (pes_file,) = pes_file_generate(run=run, by=agents[AgentRole.FACTURATION])
    client.force_login(agents[AgentRole.FACTURATION])
    page = text(client.post(reverse("treasury_bo:accept", args=[pes_file.pk]), follow=True))
    assert "Seul un fichier transmis reçoit la réponse du comptable public" in page
    pes_file.refresh_from_db()
    assert pes_file.status == PesFileStatus.GENERATED


def test_a_rejection_needs_its_reason_next_to_the_field(client, world):
    authority, run, agents = world
    (pes_file,) = pes_file_generate(run=run, by=agents[AgentRole.FACTURATION])
    pes_file_mark_transmitted(pes_file=pes_file, by=agents[AgentRole.FACTURATION])
    client.force_login(agents[AgentRole.ADMINISTRATEUR])
    url = reverse("treasury_bo:reject", args=[pes_file.pk])
    field = f"rejet-{pes_file.pk}-reason"
    response = client.post(url, {field: "   "})
    page = text(response)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in page
    assert "Indiquez le motif du rejet donné par le comptable public." in page
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in page
    pes_file.refresh_from_db()
    assert pes_file.status == PesFileStatus.TRANSMITTED
    page = text(client.post(url, {field: "Poste comptable inconnu"}, follow=True))
    assert "Bordereau 1 marqué rejeté" in page
    pes_file.refresh_from_db()
    assert (pes_file.status, pes_file.reason) == (PesFileStatus.REJECTED, "Poste comptable inconnu")
    assert "Générer à nouveau le fichier PES" in page


def test_the_acknowledgement_file_answers_the_transmitted_bordereau(client, world):
    authority, run, agents = world
    (pes_file,) = pes_file_generate(run=run, by=agents[AgentRole.FACTURATION])
    pes_file_mark_transmitted(pes_file=pes_file, by=agents[AgentRole.FACTURATION])
    client.force_login(agents[AgentRole.FACTURATION])
    upload = SimpleUploadedFile("acquit.xml", acquit(element("7", "1", "1")), "text/xml")
    page = text(client.post(reverse("treasury_bo:acknowledgement"), {"file": upload}, follow=True))
    assert "Accusé de réception importé : bordereau 1 accepté." in page
    pes_file.refresh_from_db()
    assert pes_file.status == PesFileStatus.ACCEPTED


@pytest.mark.parametrize(
    "upload, message",
    [
        (None, "Choisissez le fichier d'accusé de réception à importer."),
        (b"", "Le fichier envoyé est vide."),
        (b"not xml at all", "Ce fichier n'est pas un accusé de réception PES lisible (XML)."),
        (b"<PES_Aller/>", "Ce fichier n'est pas un accusé de réception PES (PES_ACQUIT)"),
    ],
)
def test_a_bad_acknowledgement_is_refused_next_to_the_field(client, world, upload, message):
    authority, run, agents = world
    client.force_login(agents[AgentRole.FACTURATION])
    data = {} if upload is None else {"file": SimpleUploadedFile("a.xml", upload, "text/xml")}
    response = client.post(reverse("treasury_bo:acknowledgement"), data)
    page = text(response)
    assert response.status_code == 400
    assert message in page
    assert 'id="id_file_error"' in page
    assert 'aria-describedby="id_file_helptext id_file_error"' in page


@pytest.mark.parametrize("role", list(AgentRole))
def test_only_facturation_and_administrateur_act_on_the_files(client, world, role):
    authority, run, agents = world
    (pes_file,) = pes_file_generate(run=run, by=agents[AgentRole.FACTURATION])
    client.force_login(agents[role])
    page = text(client.get(ROLES_URL))
    assert "n° 1 (2026)" in page
    assert ("Marquer comme transmis" in page) == (role in WRITERS)
    assert ("Télécharger le fichier PES" in page) == (role in WRITERS)
    download = client.get(reverse("treasury_bo:download", args=[pes_file.pk]))
    assert download.status_code == (200 if role in WRITERS else 403)
    if role not in WRITERS:
        for name in ("transmit", "accept", "reject"):
            assert (
                client.post(reverse(f"treasury_bo:{name}", args=[pes_file.pk])).status_code == 403
            )
        assert client.post(reverse("treasury_bo:generate", args=[run.pk])).status_code == 403
        assert client.post(reverse("treasury_bo:acknowledgement")).status_code == 403
        assert not PesGeneration.objects.exists()
        assert "Générer à nouveau le fichier PES" not in page
        pes_file.refresh_from_db()
        assert pes_file.status == PesFileStatus.GENERATED
    else:
        assert "Générer à nouveau le fichier PES" in page
    progress = client.get(reverse("treasury_bo:generation_progress", args=[run.pk]))
    assert progress.status_code == 200
    assert 'data-running="false"' in text(progress)
    assert "2 factures sur 2 factures à transmettre en titre" in text(progress)


def test_another_authoritys_files_and_runs_are_a_404(client, world):
    authority, run, agents = world
    (pes_file,) = pes_file_generate(run=run, by=agents[AgentRole.FACTURATION])
    pilat, _account = pilat_world()
    stranger = make_user("facturation@pilat.example.org")
    Agent.objects.create(authority=pilat, user=stranger, role=AgentRole.ADMINISTRATEUR)
    client.force_login(stranger)
    assert client.get(reverse("treasury_bo:download", args=[pes_file.pk])).status_code == 404
    for name in ("transmit", "accept", "reject"):
        assert client.post(reverse(f"treasury_bo:{name}", args=[pes_file.pk])).status_code == 404
    assert client.post(reverse("treasury_bo:generate", args=[run.pk])).status_code == 404
    progress = reverse("treasury_bo:generation_progress", args=[run.pk])
    assert client.get(progress).status_code == 404
    assert not PesGeneration.objects.exists()
    page = text(client.get(ROLES_URL))
    assert pes_file.name not in page and "2e semestre 2026" not in page
    pes_file.refresh_from_db()
    assert pes_file.status == PesFileStatus.GENERATED
