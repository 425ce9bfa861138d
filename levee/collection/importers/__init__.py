"""The imports of an authority's files: lifts and drop-offs here, subscribers in
`levee.subscribers.importers`, all on the same reading machinery (reading.py) and batch
life (batches.py). Formats: IMPORT_FORMAT.md."""

from .batches import (
    import_batch_create,
    import_batch_retry,
    import_batch_run,
    import_file,
    report_csv,
)
from .dropoffs import dropoff_import
from .lifts import lift_import
from .reading import FileRefused

__all__ = [
    "FileRefused",
    "dropoff_import",
    "import_batch_create",
    "import_batch_retry",
    "import_batch_run",
    "import_file",
    "lift_import",
    "report_csv",
]
