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
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings

from levee.lib.text import fold_compact

READ_SIZE = 1024 * 1024
SNIFF_SIZE = 8 * 1024
MAX_LINE_BYTES = 4096
BOM = b"\xef\xbb\xbf"

BINARY = (
    "Ce fichier est un fichier binaire{guess} et non un fichier CSV : {advice} "
    "Rien n'a été importé."
)
# What the first bytes of a file say it is (its « magic number »), and what to do instead.
EXPORT_AGAIN = (
    "exportez les données au format CSV depuis le logiciel d'origine, puis déposez ce fichier."
)
SAVE_AS_CSV = (
    "ouvrez-le dans le tableur et enregistrez-le au format « CSV UTF-8 », puis déposez ce fichier."
)
MAGIC = (
    (b"%PDF", " (PDF ?)", EXPORT_AGAIN),
    (b"PK\x03\x04", " (classeur Excel ou LibreOffice, ou archive ZIP ?)", SAVE_AS_CSV),
    (b"\xd0\xcf\x11\xe0", " (classeur Excel 97-2003 ?)", SAVE_AS_CSV),
    (b"\x89PNG", " (image ?)", EXPORT_AGAIN),
    (b"\xff\xd8\xff", " (image ?)", EXPORT_AGAIN),
    (b"GIF8", " (image ?)", EXPORT_AGAIN),
    (b"\x1f\x8b", " (archive compressée ?)", EXPORT_AGAIN),
)
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
    return binary_reason(sample) is not None


def binary_reason(sample: bytes) -> str | None:
    """Why the first bytes of a file (SNIFF_SIZE of them) are not those of a CSV file, in
    French, or None: a known binary format by its first bytes (a PDF is text-like at its
    start, and would otherwise be taken for a CSV file with a wrong header), NUL bytes, or
    more than 1 % of control characters."""
    start = sample.lstrip(BOM)
    for magic, guess, advice in MAGIC:
        if start.startswith(magic):
            return BINARY.format(guess=guess, advice=advice)
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    if b"\x00" in sample or controls > len(sample) // 100:
        return BINARY.format(guess="", advice=EXPORT_AGAIN)
    return None


def upload_binary_reason(upload) -> str | None:
    """`binary_reason` of an uploaded file's first bytes, read without consuming it (the
    upload form asks before anything is stored)."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        sample = upload.read(SNIFF_SIZE)
    finally:
        upload.seek(position)
    if isinstance(sample, str):
        return None
    return binary_reason(sample)


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


def _chunks(file, progress: Callable[[int, int], None] | None) -> Iterator[bytes | _TooLong]:
    """The file's complete lines, read READ_SIZE bytes at a time: each item holds the lines
    a read completed, each with its b"\n" (the last line of a file gets one if it has none).

    A line over MAX_LINE_BYTES that runs over several reads is not kept in memory: TOO_LONG
    comes out in its place; a long line within a read is left to the reader of the lines.
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
            reason = binary_reason(chunk[:SNIFF_SIZE])
            if reason:
                raise FileRefused(reason)
        read += len(chunk)
        if read > limit:
            raise FileRefused(too_big())
        if progress is not None:
            progress(read, lines_read)
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            complete, pending = data[:cut], data[cut:]
            if skipping:  # the end of the long line
                skipping = False
                lines_read += 1
                yield TOO_LONG
                complete = complete[complete.index(b"\n") + 1 :]
            if complete:
                lines_read += complete.count(b"\n")
                yield complete
        else:
            pending = data
        if len(pending) > MAX_LINE_BYTES + 1:
            pending = b""
            skipping = True
    if skipping:
        yield TOO_LONG
    elif pending:
        yield pending + b"\n"


def _lines(chunks: Iterator[bytes | _TooLong]) -> Iterator[bytes | _TooLong]:
    """The lines of `chunks` without their end; TOO_LONG for a line over MAX_LINE_BYTES."""
    for chunk in chunks:
        if chunk is TOO_LONG:
            yield TOO_LONG
            continue
        lines = chunk.split(b"\n")
        lines.pop()  # after the last b"\n"
        for line in lines:
            if len(line) > MAX_LINE_BYTES + 1:
                yield TOO_LONG
            else:
                yield line[:-1] if line.endswith(b"\r") else line


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
) -> "CsvRows":
    """The data lines of `file`, read lazily: see CsvRows."""
    return CsvRows(file, layout, progress)


class CsvRows:
    """The data lines of an import file, read once, lazily.

    Iterating gives (line number, the stripped fields in the layout's column order, or the
    French reason the line is rejected), for the data lines only (the header is line 1;
    blank lines are skipped). The field of an optional column the header leaves out is None.

    Or `copy_rows()` gives the same lines for the database to check (PostgreSQL's COPY).
    The header is read, and the file refused (FileRefused), on the first use of either.
    """

    def __init__(self, file, layout: CsvLayout, progress: Callable[[int, int], None] | None):
        self.file, self.layout, self.progress = file, layout, progress
        self._data = None  # the chunks of data lines, after the header
        self.separator = ""
        self.order: list[int | None] = []  # the position of each column of the layout
        self.width = 0  # the number of columns of the header
        # Whether a field copy_rows() left to split may start or end with what str.strip()
        # removes (if not, the database need not trim them).
        self.padded = False

    def header(self) -> None:
        """Reads and checks the header, once."""
        if self._data is not None:
            return
        chunks = _chunks(self.file, self.progress)
        first = next(chunks, b"")
        rest = b""
        if first is not TOO_LONG:
            end = first.find(b"\n") + 1
            first, rest = first[:end], first[end:]
            first = next(_lines(iter([first])), b"")
        if first is TOO_LONG:
            raise FileRefused(
                f"Ce fichier n'est pas un fichier CSV {self.layout.what} : sa première ligne "
                f"dépasse {MAX_LINE_BYTES} caractères. Rien n'a été importé.",
                line=1,
            )
        data = itertools.chain([rest] if rest else [], chunks)
        if not first.strip(b" \t\r\n" + BOM):
            lines = _lines(data)
            first = next((line for line in lines if line is TOO_LONG or line.strip()), b"")
            if not first:
                raise FileRefused("Le fichier est vide : rien n'a été importé.")
            raise FileRefused(
                "La première ligne du fichier doit être l'en-tête (attendu : « "
                + self.layout.required_header
                + " »). Rien n'a été importé.",
                line=1,
            )
        self.separator, self.order, self.width = _header(first, self.layout)
        self._data = data

    def __iter__(self) -> Iterator[tuple[int, tuple[str, ...] | str]]:
        self.header()
        separator, width = self.separator, self.width
        # The header in the layout's order (the usual case): the fields need no reordering.
        order = None if self.order == list(range(width)) else self.order
        for number, raw in enumerate(_lines(self._data), start=2):
            if raw is TOO_LONG:
                yield number, TOO_LONG_REASON
                continue
            if not raw or raw.isspace():
                continue
            yield number, _fields(raw, separator, order, width)

    def copy_rows(self) -> Iterator[bytes]:
        """Every line after the header, blank ones included (its line number is its place),
        as rows of COPY's text format with three columns, `raw text, fields text[], reason
        text`, one of them not null:

        - `raw`: the line as it is (decoded, its \\r kept) for the database to split on the
          separator and to check (its length, blank or not) the way `__iter__` does;
        - `fields`: the line already split, when only Python can (quotes, a line that
          decoding from Windows-1252 made longer);
        - `reason`: the line rejected by reading alone (too long, a NUL, quotes).

        A read of only UTF-8 lines without quotes nor NUL, the usual file, goes through
        whole, a few bytes replaced: no Python work per line.
        """
        self.header()
        separator = self.separator.encode()
        for chunk in self._data:
            if chunk is TOO_LONG:
                yield _COPY_TOO_LONG
            elif b'"' in chunk or b"\x00" in chunk or not _is_utf8(chunk):
                self.padded = True  # not worth finding out
                yield b"".join(
                    [
                        _copy_row(line, self.separator, self.width)
                        for line in chunk.split(b"\n")[:-1]
                    ]
                )
            else:
                self.padded = self.padded or _maybe_padded(chunk, separator)
                yield _copy_escape_bytes(chunk).replace(b"\n", b"\t\\N\t\\N\n")


# What str.strip() removes, in UTF-8: rare controls, wherever they are; the Unicode spaces
# (and, for short, every character of U+2000 to U+203F), wherever they are.
_STRIPPED_ANYWHERE = (b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_STRIPPED_MULTIBYTE = (
    b"\xc2\x85",
    b"\xc2\xa0",
    b"\xe1\x9a\x80",
    b"\xe2\x80",
    b"\xe2\x81\x9f",
    b"\xe3\x80\x80",
)


def _maybe_padded(chunk: bytes, separator: bytes) -> bool:
    """Whether a field of these lines (each ending with b"\n") may start or end with what
    str.strip() removes, the \\r of a line's end aside. A false yes only costs the database
    the trimming: spaces next to a separator or a line's end, a \\r that does not end a
    line, a control or a Unicode space anywhere."""
    if chunk[:1] == b" " or chunk.count(b"\r") != chunk.count(b"\r\n"):
        return True
    padding = (separator + b" ", b" " + separator, b"\n ", b" \n", b" \r", *_STRIPPED_ANYWHERE)
    if any(pad in chunk for pad in padding):
        return True
    return not chunk.isascii() and any(pad in chunk for pad in _STRIPPED_MULTIBYTE)


def _is_utf8(chunk: bytes) -> bool:
    if chunk.isascii():
        return True
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _copy_escape_bytes(data: bytes) -> bytes:
    """`data` as a value of COPY's text format: its backslashes, tabs and carriage returns
    escaped (its b"\n", if any, are left to the caller)."""
    return data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\r", b"\\r")


def _copy_escape(text: str) -> bytes:
    return _copy_escape_bytes(text.encode("utf-8")).replace(b"\n", b"\\n")


def _copy_reason(reason: str) -> bytes:
    return b"\\N\t\\N\t" + _copy_escape(reason) + b"\n"


_COPY_TOO_LONG = _copy_reason(TOO_LONG_REASON)


def _copy_row(line: bytes, separator: str, width: int) -> bytes:
    """One line (without its b"\n") as a COPY row of copy_rows(), checked in Python."""
    if len(line) > MAX_LINE_BYTES + 1:
        return _COPY_TOO_LONG
    raw = line[:-1] if line.endswith(b"\r") else line
    if not raw or raw.isspace():
        return b"\t\\N\t\\N\n"  # blank: skipped, still numbered
    fields = _fields(raw, separator, None, width)
    if isinstance(fields, str):
        return _copy_reason(fields)
    text = decode(line)
    if '"' not in text and len(text.encode("utf-8")) <= MAX_LINE_BYTES + 1:
        return _copy_escape(text) + b"\t\\N\t\\N\n"
    array = ",".join('"' + f.replace("\\", "\\\\").replace('"', '\\"') + '"' for f in fields)
    return b"\\N\t" + _copy_escape("{" + array + "}") + b"\t\\N\n"


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
        return columns_reason(len(fields), width)
    if order is None:
        return tuple(map(str.strip, fields))
    return tuple([None if i is None else fields[i].strip() for i in order])


def columns_reason(found, width: int) -> str:
    return f"{found} colonnes au lieu de {width}"


def shown(value: str, limit: int = 60) -> str:
    """A value of the file quoted in a reason, cut short: a reason stays one readable line."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
