"""The PostgreSQL fast path and the ORM path give the same results (on SQLite both runs
take the ORM path; CI runs this file on PostgreSQL too)."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from levee.collection.importers import batches, lift_import, lifts
from levee.collection.models import Lift

FILE = (
    "horodatage;puce;cuve;flux;poids_kg;vehicule\n"
    "2024-03-05 07:12;E0040001;;om;12,5;A\n"
    "2024-03-05 07:12;E0040001;;om;13;B\n"  # repeated: the first one counts
    "2024-03-06 07:12;E0040009;C0001;;10;\n"  # unknown chip, known tank
    "2024-03-07 07:12;E0040002;C0001;;10;\n"  # two bins
    "2024-03-08 07:12;E0049999;;;10;\n"  # another authority's bin
    "2024-03-09 07:12;E0040002;;verre;10;\n"  # wrong flux
    "30/02/2024 07:12;E0040002;;;10;\n"
    "2024-03-10 07:12;E0040002;;Emballages recyclables;4,125;\n"
)


def import_both_ways(authority, monkeypatch):
    fast = lift_import(authority=authority, file=ContentFile(FILE.encode()), filename="a.csv")
    fast_lifts = set(
        Lift.objects.filter(import_batch=fast).values_list(
            "bin_id", "lifted_at", "net_weight_grams", "vehicle"
        )
    )
    Lift.objects.all().delete()
    monkeypatch.setattr(lifts, "_insert_postgresql", lifts._insert_orm)
    orm = lift_import(authority=authority, file=ContentFile(FILE.encode()), filename="a.csv")
    orm_lifts = set(
        Lift.objects.filter(import_batch=orm).values_list(
            "bin_id", "lifted_at", "net_weight_grams", "vehicle"
        )
    )
    return fast, fast_lifts, orm, orm_lifts


def test_both_paths_import_and_reject_the_same_lines(ccfi, bins, pilat_bin, monkeypatch):
    authority, _ = ccfi
    fast, fast_lifts, orm, orm_lifts = import_both_ways(authority, monkeypatch)
    assert fast_lifts == orm_lifts
    assert {(b, g, v) for b, _, g, v in fast_lifts} == {
        (bins["om"].pk, 12500, "A"),
        (bins["om"].pk, 10000, ""),
        (bins["recyclables"].pk, 4125, ""),
    }
    assert fast.rejected_report == orm.rejected_report
    assert [line.split(";")[0] for line in fast.rejected_report.splitlines()[1:]] == [
        "5",
        "6",
        "7",
        "8",
    ]
    for batch in (fast, orm):
        assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (8, 3, 4)
        assert batch.rows_already_present == 1


def test_both_paths_count_every_rejected_line_beyond_the_report(ccfi, bins, pilat_bin, monkeypatch):
    # 3 lines rejected by the bins' checks (SQL on PostgreSQL), 1 by the parsing (Python):
    # the report keeps the first 2 in line order, the count has all 4.
    monkeypatch.setattr(batches, "REPORT_MAX_LINES", 2)
    monkeypatch.setattr(lifts, "REPORT_MAX_LINES", 2)
    authority, _ = ccfi
    reports = []
    for path in ("fast", "orm"):
        if path == "orm":
            Lift.objects.all().delete()
            monkeypatch.setattr(lifts, "_insert_postgresql", lifts._insert_orm)
        batch = lift_import(authority=authority, file=ContentFile(FILE.encode()), filename="a.csv")
        assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (8, 3, 4)
        reports.append(batch.rejected_report.splitlines()[1:])
    assert reports[0] == reports[1]
    assert reports[0] == [
        "5;la puce et la cuve désignent deux bacs différents",
        "6;bac inconnu : aucun bac de la collectivité n'a ce n° de puce ni ce n° de cuve",
        ";… et 2 autres lignes rejetées",
    ]


def test_the_command_prints_the_counts_and_writes_the_rejected_lines(ccfi, bins, tmp_path, capsys):
    authority, _ = ccfi
    path = tmp_path / "levees.csv"
    path.write_text(FILE, encoding="utf-8")
    call_command("lift_import", "--authority", authority.slug, str(path))
    out = capsys.readouterr().out
    assert "8 lignes lues, 3 levées importées, 1 déjà présentes, 4 rejetées." in out
    report = (tmp_path / "levees.csv.rejets.csv").read_text(encoding="utf-8")
    assert report.splitlines()[0] == "ligne;motif"
    assert report.splitlines()[1] == "5;la puce et la cuve désignent deux bacs différents"

    call_command("lift_import", "--authority", authority.slug, str(path))
    assert "0 levées importées, 4 déjà présentes" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_authority_or_a_refused_file(ccfi, tmp_path):
    path = tmp_path / "levees.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="Aucune collectivité"):
        call_command("lift_import", "--authority", "nulle-part", str(path))
    with pytest.raises(CommandError, match="Le fichier est vide"):
        call_command("lift_import", "--authority", ccfi[0].slug, str(path))
