"""The life of an ImportBatch, the same for every kind of import.

A batch is created `running`, then run once: its file is read and its rows imported in one
transaction, so a crash imports nothing. It ends `done` with its counts and the report of
its rejected lines, or `failed` with a French message (and a one-line report). A batch
uploaded in the back office is stored in private storage and run by a task; one whose run
died (a worker killed, a lost task) stops showing signs of life and can be run again.
"""

import csv
import io
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from levee.authorities.models import Authority
from levee.integrations.services import webhook_event_record
from levee.lib.spreadsheet import csv_cell

from ..models import ImportBatch, ImportStatus
from .reading import CsvLayout, FileRefused, file_size, read_rows, size_check

logger = logging.getLogger(__name__)

# The rejected lines kept in the report (all are counted): a wrong 1,000,000-line file must
# not become a 50 MB text column.
REPORT_MAX_LINES = 50_000
REPORT_HEADER = ("ligne", "motif")
INSERT_CHUNK = 5000

UNEXPECTED = (
    "L'import a échoué sur une erreur inattendue : rien n'a été importé. "
    "Vous pouvez le relancer. Si l'erreur persiste, contactez l'assistance."
)
FILE_MISSING = "Le fichier déposé est introuvable : déposez-le à nouveau. Rien n'a été importé."

# Each import format registers itself (`importer_register`, called by its app's ready()):
# this module names none of them, the subscribers' import included.
IMPORTERS: dict[str, "Importer"] = {}


@dataclass
class Outcome:
    """What the rows of a file gave: the counts, the rejected lines (line, reason) in line
    order (the first REPORT_MAX_LINES), and [label, count] pairs shown beside the counts."""

    rows_total: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    rejects: list = field(default_factory=list)
    summary: list = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rows_rejected += 1
        if len(self.rejects) < REPORT_MAX_LINES:
            self.rejects.append((line, reason))


@dataclass(frozen=True)
class Importer:
    """One kind of import: the columns of its file, and what makes rows of data out of the
    parsed lines (`rows_import(authority=…, batch=…, rows=…) -> Outcome`)."""

    layout: CsvLayout
    rows_import: Callable[..., Outcome]


def report_csv(rejects: list, *, more: int = 0) -> str:
    """The report of rejected lines: CSV « ligne;motif ». Every cell is made safe for a
    spreadsheet (a reason never runs as a formula, whatever the file held)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(REPORT_HEADER)
    writer.writerows((csv_cell(line), csv_cell(reason)) for line, reason in rejects)
    if more > 0:
        writer.writerow(["", f"… et {more} autres lignes rejetées"])
    return buffer.getvalue()


def _outcome_report(outcome: Outcome) -> str:
    if not outcome.rows_rejected:
        return ""
    return report_csv(outcome.rejects, more=outcome.rows_rejected - len(outcome.rejects))


class _Progress:
    """Writes how far the reading of the file has got on the batch, where the batch page
    polling it can see it while the import's transaction is still open.

    So it writes through a second connection, in autocommit. PostgreSQL only: SQLite lets
    one connection write at a time (the import's); the embedded mode runs imports at once
    in the upload's request anyway. The import's transaction never writes the batch row
    before its end, so the two never wait on each other. Best effort: a failure to write
    the progress never stops the import.
    """

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.bytes_read = self.lines_read = 0
        self.side = None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, bytes_read: int, lines_read: int) -> None:
        self.bytes_read, self.lines_read = bytes_read, lines_read
        if self.side is None:
            return
        try:
            with self.side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    f"UPDATE {ImportBatch._meta.db_table}"  # noqa: S608 (the model's table)
                    " SET bytes_read = %s, lines_read = %s, updated_at = %s"
                    " WHERE id = %s AND status = %s AND started_at = %s",
                    [
                        bytes_read,
                        lines_read,
                        timezone.now(),
                        self.batch.pk,
                        ImportStatus.RUNNING,
                        self.batch.started_at,
                    ],
                )
        except DatabaseError:
            logger.warning("Progress of import %s not written", self.batch.pk, exc_info=True)
            self.close()

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


class _Overtaken(Exception):
    """Another run claimed the batch meanwhile (this one was taken for dead): this run's
    work is rolled back, the other one's stands."""


def importer_register(kind: str, importer: Importer) -> None:
    """Declares the import of `kind` (an ImportKind): its layout and its rows' import."""
    IMPORTERS[kind] = importer


def importer_for(kind: str) -> Importer:
    return IMPORTERS[kind]


def batch_run(batch: ImportBatch, file) -> ImportBatch:
    """Runs a claimed batch (`running`, `started_at` set) on `file`, a binary file object;
    returns it `done` or `failed`. Never raises for what the file holds."""
    importer = importer_for(batch.kind)
    progress = _Progress(batch)
    try:
        with transaction.atomic():
            size = size_check(file)
            rows = read_rows(file, importer.layout, progress=progress)
            outcome = importer.rows_import(authority=batch.authority, batch=batch, rows=rows)
            now = timezone.now()
            finished = ImportBatch.objects.filter(
                pk=batch.pk, status=ImportStatus.RUNNING, started_at=batch.started_at
            ).update(
                status=ImportStatus.DONE,
                message="",
                rows_total=outcome.rows_total,
                rows_imported=outcome.rows_imported,
                rows_rejected=outcome.rows_rejected,
                rejected_report=_outcome_report(outcome),
                summary=outcome.summary,
                bytes_read=size if size is not None else progress.bytes_read,
                lines_read=max(progress.lines_read, outcome.rows_total),
                finished_at=now,
                updated_at=now,
            )
            if not finished:
                raise _Overtaken
            _finished_tell(
                batch,
                status=ImportStatus.DONE,
                rows_total=outcome.rows_total,
                rows_imported=outcome.rows_imported,
                rows_rejected=outcome.rows_rejected,
            )
    except _Overtaken:
        logger.warning("Import %s was run again meanwhile: this run is rolled back", batch.pk)
    except FileRefused as refused:
        _batch_fail(batch, str(refused), line=refused.line)
    except Exception:
        logger.exception("Import %s (%s) of %s failed", batch.pk, batch.kind, batch.authority)
        _batch_fail(batch, UNEXPECTED)
    finally:
        progress.close()
    batch.refresh_from_db()
    return batch


def _finished_tell(batch: ImportBatch, *, status: str, message: str = "", **counts) -> None:
    """« Import terminé » to the authority's webhooks, in the transaction that ends it."""
    webhook_event_record(
        authority=batch.authority_id,
        event="import.finished",
        payload={
            "import_id": batch.pk,
            "kind": batch.kind,
            "filename": batch.filename,
            "status": status,
            "message": message,
            **counts,
        },
    )


@transaction.atomic
def _batch_fail(batch: ImportBatch, message: str, *, line: int | None = None) -> None:
    now = timezone.now()
    failed = ImportBatch.objects.filter(
        pk=batch.pk, status=ImportStatus.RUNNING, started_at=batch.started_at
    ).update(
        status=ImportStatus.FAILED,
        message=message,
        rejected_report=report_csv([("" if line is None else line, message)]),
        rows_total=0,
        rows_imported=0,
        rows_rejected=0,
        summary=[],
        finished_at=now,
        updated_at=now,
    )
    if failed:
        _finished_tell(
            batch,
            status=ImportStatus.FAILED,
            message=message,
            rows_total=0,
            rows_imported=0,
            rows_rejected=0,
        )


def import_file(
    *, authority: Authority, kind: str, file, filename: str, created_by=None
) -> ImportBatch:
    """Imports `file` (a binary file object) at once, in this process, and returns its
    batch: what the management commands and the tests call."""
    now = timezone.now()
    batch = ImportBatch.objects.create(
        authority=authority,
        kind=kind,
        filename=filename[:255],
        created_by=created_by,
        size_bytes=file_size(file) or 0,
        started_at=now,
    )
    return batch_run(batch, file)


# --- Batches uploaded in the back office, run by a task ------------------------------------


@transaction.atomic
def import_batch_create(*, authority: Authority, kind: str, upload, created_by) -> ImportBatch:
    """Stores an uploaded file in private storage with a new batch, and runs it by a task
    once the transaction commits (at once with the immediate backend, in a worker with
    the database backend). The stored name is ours, never the uploader's."""
    batch = ImportBatch.objects.create(
        authority=authority,
        kind=kind,
        filename=(upload.name or "fichier.csv")[:255],
        file=File(upload, name=f"{authority.pk}-{uuid.uuid4().hex}.csv"),
        created_by=created_by,
        size_bytes=upload.size or 0,
    )
    _enqueue(batch.pk)
    return batch


def _enqueue(batch_id: int) -> None:
    from ..tasks import import_batch_run_task

    # robust: a task backend that cannot take the task must not undo the upload; the batch
    # shows no sign of life, and the agent can run it again.
    transaction.on_commit(lambda: import_batch_run_task.enqueue(batch_id), robust=True)


def import_batch_run(*, batch_id: int) -> ImportBatch | None:
    """Runs an uploaded batch, once: the conditional claim makes a second task, or a task
    for a batch already run, do nothing (returns None). A batch whose run died (no sign of
    life for STALE_AFTER: its worker was killed, its task enqueued again past its lease) is
    run again from its stored file, as « Relancer l'import » would. The stored file of a
    batch that went in is deleted; a failed one keeps it, to be run again."""
    now = timezone.now()
    claimed = (
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.RUNNING)
        .filter(
            Q(started_at__isnull=True)
            | (Q(updated_at__lt=now - ImportBatch.STALE_AFTER) & ~Q(file=""))
        )
        .update(started_at=now, updated_at=now, bytes_read=0, lines_read=0)
    )
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("authority").get(pk=batch_id)
    try:
        handle = batch.file.open("rb")
    except (OSError, ValueError):
        _batch_fail(batch, FILE_MISSING)
        batch.refresh_from_db()
        return batch
    with handle:
        batch = batch_run(batch, handle)
    if batch.status == ImportStatus.DONE:
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
    return batch


@transaction.atomic
def import_batch_retry(*, batch: ImportBatch) -> bool:
    """Runs again a failed batch, or one whose run died, from its stored file. False when
    it cannot (already done, still alive, or its file is gone)."""
    now = timezone.now()
    reset = (
        ImportBatch.objects.filter(pk=batch.pk, authority_id=batch.authority_id)
        .exclude(file="")
        .filter(
            Q(status=ImportStatus.FAILED)
            | Q(status=ImportStatus.RUNNING, updated_at__lt=now - ImportBatch.STALE_AFTER)
        )
        .update(
            status=ImportStatus.RUNNING,
            started_at=None,
            message="",
            rows_total=0,
            rows_imported=0,
            rows_rejected=0,
            rejected_report="",
            summary=[],
            bytes_read=0,
            lines_read=0,
            finished_at=None,
            updated_at=now,
        )
    )
    if reset:
        _enqueue(batch.pk)
    return bool(reset)


def insert_new(model, objects: Iterator, *, authority: Authority, batch: ImportBatch) -> int:
    """Inserts `objects` (model instances carrying `import_batch`) INSERT_CHUNK at a time,
    skipping those the model's unique constraint already holds (imported before, or
    earlier in the file); returns how many went in."""
    for chunk in rows_in_chunks(objects, INSERT_CHUNK):
        model.objects.bulk_create(chunk, ignore_conflicts=True)
    return model.objects.filter(authority=authority, import_batch=batch).count()


def rows_in_chunks(rows: Iterator, size: int) -> Iterator[list]:
    """The parsed rows, `size` at a time (a chunk's keys are then looked up at once)."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
