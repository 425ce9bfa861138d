"""Reading an import file, the same way for every import: a stream of CSV lines.

The file is never held whole in memory: it is read 1 MiB at a time and cut into lines.
The first line is the header; its names (case, accents, spaces and underscores ignored)
give the position of each column and the separator (`;` or `,`). Each line is decoded on
its own (UTF-8, else Windows-1252, else Latin-1) and split into its fields. What makes the
whole file unusable (empty, binary, wrong header, too big) raises FileRefused; what is
wrong with one line comes out as that line's French reason, and the import goes on.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings

from levee.lib.text import fold_compact

READ_SIZE = 1024 * 1024
SNIFF_SIZE = 8 * 1024
MAX_LINE_BYTES = 4096
BOM = b"\xef\xbb\xbf"

BINARY = "Ce fichier n'est pas un fichier texte CSV (contenu binaire) : rien n'a été importé."
UTF16 = (
    "Ce fichier est encodé en UTF-16 : enregistrez-le en CSV UTF-8 (ou Windows/Latin-1) "
    "puis déposez-le à nouveau. Rien n'a été importé."
)


class FileRefused(Exception):
    """The whole file is refused: nothing is imported. The message is shown as is; `line`
    is the line that caused it, when there is one (1 for the header)."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line


class _TooLong:
    """Stands for a line longer than MAX_LINE_BYTES, whose bytes were not kept."""


TOO_LONG = _TooLong()
TOO_LONG_REASON = f"ligne trop longue (plus de {MAX_LINE_BYTES} caractères)"


@dataclass(frozen=True)
class CsvLayout:
    """The columns of one kind of import file.

    `columns`: the header names, in the order the parsed fields come out. `optional`: the
    columns the header may leave out (their fields are then empty). `one_of`: groups of
    optional columns of which the header must hold at least one.
    """

    what: str  # « de levées »: completes « fichier CSV … » in the messages
    columns: tuple[str, ...]
    optional: frozenset[str] = field(default_factory=frozenset)
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def required_header(self) -> str:
        return ";".join(c for c in self.columns if c not in self.optional)


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def too_big(size: int | None = None) -> str:
    limit = megabytes(max_bytes())
    if size is None:
        return f"Le fichier est trop volumineux : {limit} au plus. Rien n'a été importé."
    return (
        f"Le fichier est trop volumineux ({megabytes(size)}) : {limit} au plus. "
        "Rien n'a été importé."
    )


def file_size(file) -> int | None:
    """The size of a file object without reading it, when it can be known."""
    size = getattr(file, "size", None)
    if size is not None:
        return size
    try:
        position = file.tell()
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def size_check(file) -> int | None:
    """Refuses a file over IMPORT_MAX_BYTES before reading any of it; returns its size."""
    size = file_size(file)
    if size is not None and size > max_bytes():
        raise FileRefused(too_big(size))
    return size


def looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return controls > len(sample) // 100


def decode(line: bytes) -> str:
    # UTF-8 when it is (a line of Windows accents is never valid UTF-8); else Windows-1252,
    # the « CSV » of a French Excel (’, œ, €), of which Latin-1 is a subset; else Latin-1,
    # which decodes any byte.
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _byte_lines(file, progress: Callable[[int, int], None] | None) -> Iterator[bytes | _TooLong]:
    """The file's lines without their end, read READ_SIZE bytes at a time.

    A line over MAX_LINE_BYTES is not kept in memory: TOO_LONG comes out in its place.
    `progress(bytes_read, lines_read)` is called after each read.
    """
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    limit = max_bytes()
    pending = b""
    skipping = False  # inside a line already known to be too long
    read = lines_read = 0
    while True:
        chunk = file.read(READ_SIZE)
        if not chunk:
            break
        if isinstance(chunk, str):  # a file opened in text mode: back to bytes
            chunk = chunk.encode("utf-8")
        if not read:
            if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise FileRefused(UTF16)
            if looks_binary(chunk[:SNIFF_SIZE]):
                raise FileRefused(BINARY)
        read += len(chunk)
        if read > limit:
            raise FileRefused(too_big())
        if progress is not None:
            progress(read, lines_read)
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            lines_read += 1
            if skipping:
                skipping = False
                yield TOO_LONG
            elif len(line) > MAX_LINE_BYTES + 1:
                yield TOO_LONG
            else:
                yield line[:-1] if line.endswith(b"\r") else line
        if len(pending) > MAX_LINE_BYTES + 1:
            pending = b""
            skipping = True
    if skipping:
        yield TOO_LONG
    elif pending:
        yield pending[:-1] if pending.endswith(b"\r") else pending


def _header(line: bytes, layout: CsvLayout) -> tuple[str, list[int | None], int]:
    """The separator, the position of each column of the layout (None: absent optional
    column) and the number of columns; or FileRefused."""
    if line.startswith(BOM):
        line = line[len(BOM) :]
    text = decode(line).strip()
    separator = ";" if text.count(";") >= text.count(",") else ","
    names = [fold_compact(name) for name in next(csv.reader([text], delimiter=separator))]
    expected = {fold_compact(c): c for c in layout.columns}
    positions = {expected[n]: i for i, n in enumerate(names) if n in expected}
    missing = [c for c in layout.columns if c not in positions and c not in layout.optional]
    missing += [
        " ou ".join(group) for group in layout.one_of if not any(c in positions for c in group)
    ]
    unknown = [n for n in names if n not in expected]
    if missing or unknown or len(positions) != len(names):
        details = []
        if missing:
            details.append("colonnes manquantes : " + ", ".join(missing))
        if unknown:
            details.append("colonnes inconnues : " + ", ".join(n or "(vide)" for n in unknown))
        if not details:
            details.append("colonnes en double")
        expected_text = layout.required_header
        if layout.optional:
            expected_text = "au moins " + ", ".join(
                [f"« {expected_text} »"] + [f"« {' ou '.join(g)} »" for g in layout.one_of]
            )
        else:
            expected_text = f"« {expected_text} »"
        raise FileRefused(
            f"L'en-tête du fichier n'est pas celui d'un fichier CSV {layout.what} "
            f"(attendu : {expected_text}, séparateur « ; » ou « , ») : "
            + " ; ".join(details)
            + ". Rien n'a été importé.",
            line=1,
        )
    return separator, [positions.get(c) for c in layout.columns], len(names)


def read_rows(
    file, layout: CsvLayout, *, progress: Callable[[int, int], None] | None = None
) -> Iterator[tuple[int, tuple[str, ...] | str]]:
    """(line number, the stripped fields in the layout's column order, or the French reason
    the line is rejected), for the data lines only (the header is line 1; blank lines are
    skipped). The field of an optional column the header leaves out is None."""
    lines = _byte_lines(file, progress)
    first = next(lines, b"")
    if first is TOO_LONG:
        raise FileRefused(
            f"Ce fichier n'est pas un fichier CSV {layout.what} : sa première ligne dépasse "
            f"{MAX_LINE_BYTES} caractères. Rien n'a été importé.",
            line=1,
        )
    if not first.strip(b" \t\r\n" + BOM):
        first = next((line for line in lines if line is TOO_LONG or line.strip()), b"")
        if not first:
            raise FileRefused("Le fichier est vide : rien n'a été importé.")
        raise FileRefused(
            "La première ligne du fichier doit être l'en-tête (attendu : « "
            + layout.required_header
            + " »). Rien n'a été importé.",
            line=1,
        )
    separator, order, width = _header(first, layout)
    # The header in the layout's order (the usual case): the fields need no reordering.
    in_order = order == list(range(width))
    for number, raw in enumerate(lines, start=2):
        if raw is TOO_LONG:
            yield number, TOO_LONG_REASON
            continue
        if not raw or raw.isspace():
            continue
        yield number, _fields(raw, separator, None if in_order else order, width)


def _fields(raw: bytes, separator: str, order: list[int | None] | None, width: int) -> tuple | str:
    """The line's stripped fields in the layout's order (`order`, None when it is the
    file's), or the reason."""
    if b"\x00" in raw:
        return "ligne illisible (caractère nul)"
    text = decode(raw)
    if '"' in text:
        try:
            fields = next(csv.reader([text], delimiter=separator, strict=True))
        except csv.Error:
            return "guillemets mal fermés"
    else:
        fields = text.split(separator)
    if len(fields) != width:
        return f"{len(fields)} colonnes au lieu de {width}"
    if order is None:
        return tuple(map(str.strip, fields))
    return tuple([None if i is None else fields[i].strip() for i in order])


def shown(value: str, limit: int = 60) -> str:
    """A value of the file quoted in a reason, cut short: a reason stays one readable line."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
