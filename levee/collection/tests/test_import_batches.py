"""The life of an uploaded batch: stored, run once by a task, its progress visible while it
runs, run again when it failed or died."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from levee.collection import tasks
from levee.collection.importers import (
    import_batch_create,
    import_batch_retry,
    import_batch_run,
)
from levee.collection.importers.batches import FILE_MISSING, batch_run
from levee.collection.models import ImportBatch, ImportKind, ImportStatus, Lift
from levee.lib.storage import private_storage
from testkit import ccfi_world

from .conftest import make_bin

LIFTS = "horodatage;puce;cuve;flux;poids_kg;vehicule\n" + "".join(
    f"2024-03-{d:02d} 07:12;E0040001;;;12;\n" for d in range(1, 29)
)


def create(authority, content=LIFTS, name="levees.csv"):
    return import_batch_create(
        authority=authority,
        kind=ImportKind.LIFTS,
        upload=SimpleUploadedFile(name, content.encode()),
        created_by=None,
    )


def test_an_upload_is_stored_privately_under_a_name_of_ours(
    ccfi, django_capture_on_commit_callbacks
):
    authority, _ = ccfi
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = create(authority, name="../../etc/passwd")
    assert len(callbacks) == 1  # the task, enqueued once the upload is committed
    assert batch.filename == "passwd"
    assert batch.file.name.startswith("imports/") and "passwd" not in batch.file.name
    assert private_storage.exists(batch.file.name)
    assert (batch.status, batch.started_at, batch.size_bytes) == (
        ImportStatus.RUNNING,
        None,
        len(LIFTS),
    )


def test_a_batch_is_run_once_whatever_the_tasks(ccfi, bins, django_capture_on_commit_callbacks):
    authority, _ = ccfi
    with django_capture_on_commit_callbacks(execute=False):
        batch = create(authority)
    name = batch.file.name
    assert tasks.import_batch_run_task.call(batch.pk) == ImportStatus.DONE
    assert tasks.import_batch_run_task.call(batch.pk) == "skipped"
    assert import_batch_run(batch_id=batch.pk) is None
    batch.refresh_from_db()
    assert (batch.rows_imported, batch.bytes_read, batch.progress_percent) == (28, len(LIFTS), 100)
    assert not batch.file and not private_storage.exists(name)  # gone in: not kept
    assert Lift.objects.count() == 28


def test_a_task_run_again_after_its_worker_died_imports_the_batch_left_running(
    ccfi, bins, django_capture_on_commit_callbacks
):
    authority, _ = ccfi
    with django_capture_on_commit_callbacks(execute=False):
        batch = create(authority)
    # A worker claimed it, then died (its import's transaction rolled back with it).
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now(), lines_read=9)
    assert tasks.import_batch_run_task.call(batch.pk) == "skipped"  # it may still be alive
    ImportBatch.objects.filter(pk=batch.pk).update(
        updated_at=timezone.now() - ImportBatch.STALE_AFTER * 2
    )

    assert tasks.import_batch_run_task.call(batch.pk) == ImportStatus.DONE
    assert tasks.import_batch_run_task.call(batch.pk) == "skipped"
    batch.refresh_from_db()
    assert (batch.rows_imported, batch.lines_read) == (28, 28)
    assert Lift.objects.count() == 28


def test_a_lost_file_fails_the_batch(ccfi, django_capture_on_commit_callbacks):
    authority, _ = ccfi
    with django_capture_on_commit_callbacks(execute=False):
        batch = create(authority)
    private_storage.delete(batch.file.name)
    batch = import_batch_run(batch_id=batch.pk)
    assert (batch.status, batch.message) == (ImportStatus.FAILED, FILE_MISSING)


def test_a_failed_batch_is_run_again_from_its_stored_file(
    ccfi, bins, settings, django_capture_on_commit_callbacks
):
    authority, _ = ccfi
    settings.IMPORT_MAX_BYTES = 100
    with django_capture_on_commit_callbacks(execute=True):
        batch = create(authority)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and batch.file  # kept, to be run again
    settings.IMPORT_MAX_BYTES = 10_000
    with django_capture_on_commit_callbacks(execute=True):
        assert import_batch_retry(batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_imported, batch.message) == (ImportStatus.DONE, 28, "")
    assert not import_batch_retry(batch=batch)  # done: nothing to run again


def test_a_running_batch_cannot_be_run_again_until_it_shows_no_sign_of_life(
    ccfi, django_capture_on_commit_callbacks
):
    authority, _ = ccfi
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = create(authority)
        assert not import_batch_retry(batch=batch)
        ImportBatch.objects.filter(pk=batch.pk).update(
            updated_at=batch.updated_at - ImportBatch.STALE_AFTER * 2
        )
        batch.refresh_from_db()
        assert batch.is_stale and batch.can_retry
        assert import_batch_retry(batch=batch)
    assert len(callbacks) == 2


def test_a_run_overtaken_by_another_changes_nothing(ccfi, bins):
    authority, _ = ccfi
    batch = ImportBatch.objects.create(
        authority=authority, kind=ImportKind.LIFTS, filename="a.csv", started_at=timezone.now()
    )
    # Meanwhile the batch was taken for dead, and claimed again by another run.
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now())
    batch = batch_run(batch, ContentFile(LIFTS.encode()))
    assert batch.status == ImportStatus.RUNNING  # the other run will finish it
    assert not Lift.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_progress_is_visible_to_others_while_the_file_is_read(monkeypatch):
    """The page polling a batch reads its progress while the import's transaction is open:
    written by a second connection on PostgreSQL; SQLite (one writer at a time, and an
    import run at once in the embedded mode) shows it when the import ends."""
    authority, account = ccfi_world()
    make_bin(account, chip="E0040001")
    monkeypatch.setattr("levee.collection.importers.reading.READ_SIZE", 200)
    batch = ImportBatch.objects.create(
        authority=authority, kind=ImportKind.LIFTS, filename="a.csv", size_bytes=len(LIFTS)
    )
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=batch.created_at)
    batch.refresh_from_db()
    seen = []
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # the polling page's session

    class Watched(ContentFile):
        def read(self, *args):
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT bytes_read FROM collection_importbatch WHERE id = %s", [batch.pk]
                )
                seen.append(cursor.fetchone()[0])
            return super().read(*args)

    try:
        batch = batch_run(batch, Watched(LIFTS.encode()))
    finally:
        other.close()
    assert batch.status == ImportStatus.DONE and batch.progress_percent == 100
    assert batch.bytes_read == len(LIFTS)
    if connection.vendor == "postgresql":
        assert seen[:4] == [0, 200, 400, 600]
    else:
        assert set(seen) == {0}


def test_a_lift_import_brings_the_commune_averages_up_to_date(
    ccfi, bins, django_capture_on_commit_callbacks
):
    from levee.collection.averages import MIN_BINS
    from levee.collection.models import ProductionAverage
    from testkit import make_account

    authority, _ = ccfi
    for n in range(MIN_BINS):
        neighbour = make_account(authority, code=f"0100{n}", portal_key=f"KEYCCCC{n}")
        make_bin(neighbour, chip=f"E00600{n}")
    with django_capture_on_commit_callbacks(execute=False):
        batch = create(authority)
    assert not ProductionAverage.objects.exists()
    assert tasks.import_batch_run_task.call(batch.pk) == ImportStatus.DONE
    march = ProductionAverage.objects.get(
        authority=authority, volume_litres=120, year=2024, month=3
    )
    assert (march.bins, march.lifts) == (MIN_BINS + 1, 28)
