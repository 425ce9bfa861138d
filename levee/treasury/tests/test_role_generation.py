"""« Générer le fichier PES » asks a task for the rôle (issue 13): one generation at a time
per run, its progress (pieces written out of those to write) stored and shown on « Titres et
rôles », which polls it; a failure is told in French with what to do, leaves no file and no
number taken, and may be asked again."""

import datetime
import os
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.lib.storage import private_storage
from levee.treasury import services
from levee.treasury.models import (
    PesBordereauSequence,
    PesFile,
    PesGeneration,
    PesGenerationStatus,
)
from levee.treasury.services import (
    TreasuryError,
    pes_file_generate,
    pes_generation_request,
)
from testkit import ccfi_world, make_user

from .builders import another_account, pes_settings, published_run, run_invoice

pytestmark = pytest.mark.django_db

ROLES_URL = reverse("treasury_bo:roles")
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def world():
    authority, account = ccfi_world()
    pes_settings(authority)
    run = published_run(authority)
    run_invoice(run, account, 1)
    run_invoice(run, another_account(authority, "00002"), 2)
    agent = make_user("facturation@flandre.example.org")
    Agent.objects.create(authority=authority, user=agent, role=AgentRole.FACTURATION)
    return authority, run, agent


@pytest.fixture
def queued(settings):
    """Tasks are kept in the dummy backend's queue, run only when the test says."""
    settings.TASKS = DUMMY
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def pes_folder_files(authority) -> list[str]:
    folder = private_storage.path(f"pes/{authority.pk}")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def request(run, agent, capture) -> PesGeneration:
    with capture(execute=True):
        return pes_generation_request(run=run, by=agent)


def run_queued(backend) -> list[str]:
    """What a worker does: each task of the queue, in order."""
    results = list(backend.results)
    backend.clear()
    return [result.task.call(*result.args, **result.kwargs) for result in results]


def test_the_request_enqueues_one_task_and_the_task_generates_the_role(
    world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    generation = request(run, agent, django_capture_on_commit_callbacks)

    assert generation.status == PesGenerationStatus.PENDING
    assert (generation.pieces_done, generation.pieces_total) == (0, 2)
    [result] = queued.results
    assert result.task.name == "pes_generation_execute_task"
    assert list(result.args) == [generation.pk, 1]
    assert not PesFile.objects.exists()

    assert run_queued(queued) == [PesGenerationStatus.DONE]
    generation.refresh_from_db()
    assert generation.status == PesGenerationStatus.DONE
    assert (generation.pieces_done, generation.pieces_total, generation.files) == (2, 2, 1)
    assert generation.finished_at is not None
    (pes_file,) = PesFile.objects.all()
    assert pes_file.generated_by == agent and pes_file.bordereau == 1
    assert AuditEntry.objects.get(action="pes_file.generate").actor == agent
    assert pes_folder_files(authority) == [f"{pes_file.name}.xml"]


def test_production_stores_the_task_in_the_database_queue(
    world, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    authority, run, agent = world
    settings.TASKS = DATABASE
    generation = request(run, agent, django_capture_on_commit_callbacks)

    row = DBTaskResult.objects.get()
    assert row.task_path.endswith("pes_generation_execute_task")
    assert row.args_kwargs == {"args": [generation.pk, 1], "kwargs": {}}
    assert not PesFile.objects.exists()


def test_a_second_request_while_it_goes_on_is_refused_and_nothing_is_doubled(
    world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    request(run, agent, django_capture_on_commit_callbacks)

    with pytest.raises(TreasuryError) as refused:
        request(run, agent, django_capture_on_commit_callbacks)

    assert refused.value.message == (
        "Le rôle de « 2e semestre 2026 » est déjà en cours de génération (0 sur 2 pièces "
        "écrites) : il n'est pas demandé une seconde fois. Suivez son avancement sur cette page."
    )
    assert len(queued.results) == 1
    assert PesGeneration.objects.get().attempt == 1
    # A task run twice (a worker's retry) generates once.
    [result] = queued.results
    queued.results.append(result)
    assert run_queued(queued) == [PesGenerationStatus.DONE, PesGenerationStatus.DONE]
    assert PesFile.objects.count() == 1
    assert PesBordereauSequence.objects.get().next_value == 2


def test_a_stalled_generation_may_be_asked_again_and_its_old_task_does_nothing(
    world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    first = request(run, agent, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    PesGeneration.objects.filter(pk=first.pk).update(updated_at=long_ago)

    again = request(run, agent, django_capture_on_commit_callbacks)

    assert again.pk == first.pk and again.attempt == 2
    old_task, new_task = queued.results
    assert old_task.task.call(*old_task.args) == PesGenerationStatus.PENDING
    assert not PesFile.objects.exists()
    assert new_task.task.call(*new_task.args) == PesGenerationStatus.DONE
    assert PesFile.objects.count() == 1


def test_a_failed_check_is_told_in_french_leaves_nothing_and_may_be_retried(
    world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    authority, run, agent = world
    real_check = services.pes_check
    monkeypatch.setattr(services, "pes_check", lambda path: ["Pièce 1 : Prenom est requis"])
    request(run, agent, django_capture_on_commit_callbacks)

    assert run_queued(queued) == [PesGenerationStatus.FAILED]

    generation = PesGeneration.objects.get()
    assert generation.message == (
        "La génération du rôle a échoué : Le fichier PES du bordereau 1 ne passe pas le "
        "contrôle : Pièce 1 : Prenom est requis. Aucun fichier n'a été enregistré. Corrigez ce "
        "qui est indiqué (réglages de comptabilité publique ou fiche de l'usager), puis "
        "relancez « Générer le fichier PES »."
    )
    assert generation.finished_at is not None
    assert not PesFile.objects.exists()
    assert pes_folder_files(authority) == []  # no half file, no temporary file
    assert not PesBordereauSequence.objects.filter(next_value__gt=1).exists()
    assert not AuditEntry.objects.filter(action="pes_file.generate").exists()

    monkeypatch.setattr(services, "pes_check", real_check)
    again = request(run, agent, django_capture_on_commit_callbacks)
    assert again.status == PesGenerationStatus.PENDING and again.message == ""
    assert run_queued(queued) == [PesGenerationStatus.DONE]
    (pes_file,) = PesFile.objects.all()
    assert pes_file.bordereau == 1  # the number the failure did not take


def test_an_exception_while_writing_removes_the_half_written_file(
    world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    authority, run, agent = world

    def write_then_break(spec, path, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"<?xml version='1.0'?><PES_Aller>")
        raise OSError("Plus de place sur le disque")

    monkeypatch.setattr(services, "pes_file_write", write_then_break)
    request(run, agent, django_capture_on_commit_callbacks)

    assert run_queued(queued) == [PesGenerationStatus.FAILED]
    message = PesGeneration.objects.get().message
    assert message.startswith(
        "La génération du rôle s'est arrêtée sur une erreur (OSError : Plus de place sur le "
        "disque). Aucun fichier n'a été enregistré : relancez « Générer le fichier PES »"
    )
    assert pes_folder_files(authority) == []
    assert not PesFile.objects.exists()


def test_what_a_killed_attempt_left_half_written_goes_with_the_next_one(
    world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    folder = private_storage.path(f"pes/{authority.pk}")
    os.makedirs(folder, exist_ok=True)
    killed = os.path.join(folder, f"PESORMC_x.xml.r{run.pk}-0123456789ab.part")
    others = os.path.join(folder, f"PESORMC_y.xml.r{run.pk + 1}-0123456789ab.part")
    for path in (killed, others):
        with open(path, "wb") as handle:
            handle.write(b"<?xml version='1.0'?><PES_Aller>")

    request(run, agent, django_capture_on_commit_callbacks)
    assert run_queued(queued) == [PesGenerationStatus.DONE]

    (pes_file,) = PesFile.objects.all()
    assert pes_folder_files(authority) == sorted([f"{pes_file.name}.xml", os.path.basename(others)])


def test_a_role_recorded_meanwhile_by_another_run_is_never_numbered_twice(
    world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    """Two rôles of the authority generated at once plan the same bordereau number: the
    second to be recorded sees the numbering moved, records nothing and says to retry."""
    authority, run, agent = world
    other = published_run(authority)
    run_invoice(other, another_account(authority, "00003"), 3)
    real_check = services.pes_check
    interleaved = []

    def check_while_the_other_is_recorded(path):
        if not interleaved:
            interleaved.append(None)  # the other's own check goes straight through
            interleaved[0] = pes_file_generate(run=other, by=agent)
        return real_check(path)

    monkeypatch.setattr(services, "pes_check", check_while_the_other_is_recorded)
    request(run, agent, django_capture_on_commit_callbacks)

    assert run_queued(queued) == [PesGenerationStatus.FAILED]
    assert "a changé pendant la génération" in PesGeneration.objects.get().message
    [[other_file]] = interleaved
    assert list(PesFile.objects.values_list("run_id", "bordereau")) == [(other.pk, 1)]
    assert pes_folder_files(authority) == [f"{other_file.name}.xml"]
    assert PesBordereauSequence.objects.get().next_value == 2

    request(run, agent, django_capture_on_commit_callbacks)
    assert run_queued(queued) == [PesGenerationStatus.DONE]
    assert PesFile.objects.get(run=run).bordereau == 2


def test_a_run_that_cannot_make_a_role_is_refused_at_the_request(
    world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    pes_settings(authority, siret="")
    with pytest.raises(TreasuryError, match="il manque : le SIRET de la collectivité"):
        request(run, agent, django_capture_on_commit_callbacks)
    assert not PesGeneration.objects.exists()
    assert queued.results == []


# The page, while the rôle is generated and after


def test_the_page_shows_the_progress_while_it_runs_then_the_files(
    client, world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    authority, run, agent = world
    client.force_login(agent)
    progress_url = reverse("treasury_bo:generation_progress", args=[run.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("treasury_bo:generate", args=[run.pk]), follow=True)

    page = text(response)
    assert response.redirect_chain == [(f"{ROLES_URL}#run-{run.pk}-title", 302)]
    assert "Génération du rôle de « 2e semestre 2026 » lancée." in page
    assert "État : <strong>En attente</strong> (la génération va commencer)" in page
    assert 'data-running="true"' in page
    assert f'data-url="{progress_url}"' in page
    assert f'data-progress-announce="pes-announce-{run.pk}"' in page
    assert f'<p class="sr-only" role="status" id="pes-announce-{run.pk}"></p>' in page
    assert "js/progress.js" in page
    assert "Générer le fichier PES" not in page  # no second click offered
    again = client.post(reverse("treasury_bo:generate", args=[run.pk]), follow=True)
    assert "est déjà en cours de génération" in text(again)
    assert len(queued.results) == 1

    seen = []
    real_check = services.pes_check

    def look_at_the_page(path):  # the file is written, not yet checked nor recorded
        seen.append(client.get(progress_url))
        return real_check(path)

    monkeypatch.setattr(services, "pes_check", look_at_the_page)
    run_queued(queued)

    [during] = seen
    fragment = text(during)
    assert during["Cache-Control"] == "no-store"
    assert fragment.lstrip().startswith('<div class="run-status" data-running="true"')
    assert "État : <strong>En cours de génération</strong>, demandée le " in fragment
    assert f'<label for="pes-generation-progress-{run.pk}">Pièces écrites</label>' in fragment
    assert 'max="2" value="2"' in fragment
    assert "2 sur 2 pièces écrites (une par facture)" in fragment
    assert "Télécharger le fichier PES" not in fragment

    after = text(client.get(progress_url))
    assert 'data-running="false"' in after
    assert 'data-announce="Rôle de « 2e semestre 2026 » généré et contrôlé."' in after
    page = text(client.get(ROLES_URL))
    assert "Rôle de « 2e semestre 2026 » généré et contrôlé le " in page
    assert ": 1 fichier PES, 2 factures en titre." in page
    assert "2 factures sur 2 factures à transmettre en titre" in page
    assert "Télécharger le fichier PES" in page
    assert "Générer à nouveau le fichier PES" in page


def test_the_page_tells_a_failure_and_offers_to_retry(
    client, world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    authority, run, agent = world
    monkeypatch.setattr(services, "pes_check", lambda path: ["Pièce 1 : Prenom est requis"])
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("treasury_bo:generate", args=[run.pk]))
    run_queued(queued)

    page = text(client.get(ROLES_URL))
    assert '<p class="message message-error">La génération du rôle a échoué : ' in page
    assert "Aucun fichier n'a été enregistré. Corrigez ce qui est indiqué" in page
    assert 'data-running="false"' in page
    assert "0 facture sur 2 factures à transmettre en titre" in page
    assert "Générer le fichier PES" in page
    assert "Télécharger le fichier PES" not in page


def test_a_stalled_generation_says_so_and_offers_the_button_again(
    client, world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    request(run, agent, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    PesGeneration.objects.update(updated_at=long_ago)
    client.force_login(agent)

    page = text(client.get(ROLES_URL))

    assert "Aucun avancement depuis plus de 10 minutes : la génération s'est arrêtée" in page
    assert "Générer le fichier PES</button>" not in page  # the sr-only label follows
    assert "Générer le fichier PES<span" in page


def test_every_agent_follows_the_progress_and_only_writers_ask(
    client, world, queued, django_capture_on_commit_callbacks
):
    authority, run, agent = world
    reader = make_user("lecture@flandre.example.org")
    Agent.objects.create(authority=authority, user=reader, role=AgentRole.CONSULTATION)
    request(run, agent, django_capture_on_commit_callbacks)
    client.force_login(reader)

    fragment = client.get(reverse("treasury_bo:generation_progress", args=[run.pk]))

    assert fragment.status_code == 200
    assert "En attente" in text(fragment)
    assert client.post(reverse("treasury_bo:generate", args=[run.pk])).status_code == 403
    assert PesGeneration.objects.get().attempt == 1
