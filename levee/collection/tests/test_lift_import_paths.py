"""The PostgreSQL fast path and the ORM path give the same results (on SQLite both runs
take the ORM path; CI runs this file on PostgreSQL too)."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from levee.collection.importers import batches, lift_import, lifts
from levee.collection.models import Lift

HEADER_BYTES = b"horodatage;puce;cuve;flux;poids_kg;vehicule\n"
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


TRICKY = [
    # a header in another order, with `,`, quoted weights and a quoted line badly closed
    (
        "Puce,Horodatage,Cuve,Poids_kg,Flux,Vehicule\r\n"
        'E0040001,2024-03-05 07:12,,"12,5",OM,A\r\n'
        'E0040001,2024-03-06 07:12,,"1,2345",,\r\n'
        'E0040001,"2024-03-07 07:12,,1,,\r\n'
        "E0040001,2024-03-08T07:12:59,,7,,\r\n"
        "\r\n"
        "E0040001,2024-03-09 07:12,,7,,\r\r\n"
        " E0040002 , 10/03/2024 07:12:05 ,\u00a0, 4 , recyclables ,\u2003B\r\n"
    ).encode(),
    # Windows-1252 and Latin-1 lines among UTF-8 ones, backslashes and tabs
    HEADER_BYTES
    + "2024-03-05 07:12;E0040001;;Ordures ménagères;12,5;Œ\n".encode("cp1252")
    + "2024-03-06 07:12;E0040001;;ordures ménagères;12,5;é\n".encode("latin-1")
    + "2024-03-09 07:12;E0040001;;Ordures ménagères;1;\\N\n".encode(),
    # UTF-8 only (read whole): what COPY's text format would take for its own
    HEADER_BYTES
    + b"2024-03-07 07:12;E0040001;;;1;a\\b\tc\n"
    + b"2024-03-08 07:12;E0040001;;;1;\\.\n"
    + b"\\.\n"
    + b"2024-03-09 07:12;E0040001;;;1;\\N\n"
    + b"2024-03-10 07:12;E0040001;;;1;a\rb\r\n"
    + "2024-03-11 07:12;E0040001;;Biodéchets;1;\\\n".encode(),
    # UTF-8 only, what str.strip() removes around the fields
    HEADER_BYTES
    + " 2024-03-05 07:12;E0040001 ; C0001;om ;\u00a012,5;\u2003A\u3000\n".encode()
    + b"2024-03-06 07:12;\tE0040001;;\x1f;1;B\r\r\n"
    + b"2024-03-07 07:12;E0040001\r;;;1;C\r\n"
    + b"2024-03-08 07:12;E0040001;;;1;D \r\n",
    # every reason of the dates and weights, and the hour that comes twice in autumn
    HEADER_BYTES
    + b"2023-10-29 02:30;E0040001;;;1;first\n"
    + b"2024-03-31 02:30;E0040001;;;1;gap\n"
    + b"2024-13-01 07:12;E0040001;;;1;\n"
    + b"2024-02-29 24:00;E0040001;;;1;\n"
    + b"2023-02-29 07:12;E0040001;;;1;\n"
    + b"2024-04-31 07:12;E0040001;;;1;\n"
    + b"2024-03-05 07:60;E0040001;;;1;\n"
    + b"2024-03-05 07:12:60;E0040001;;;1;\n"
    + b"0000-03-05 07:12;E0040001;;;1;\n"
    + b"2024-3-5 07:12;E0040001;;;1;\n"
    + b"2024-03-05 07:12:1;E0040001;;;1;\n"
    + ("x" * 80 + ";E0040001;;;1;\n").encode()
    + b"2024-03-11 07:12;E0040001;;;- 3,5;\n"
    + b"2024-03-12 07:12;E0040001;;;1234567890;\n"
    + b"2024-03-13 07:12;E0040001;;;2000,001;\n"
    + b"2024-03-14 07:12;E0040001;;;2000,000;\n"
    + b"2024-03-15 07:12;E0040001;;;12.;\n"
    + b"2024-03-16 07:12;E0040001;;;,5;\n"
    + ("2024-03-17 07:12;E0040001;;;" + "9" * 80 + ";\n").encode()
    + b"2024-03-18 07:12;"
    + b"E" * 31
    + b";;;1;\n"
    + b"2024-03-19 07:12;E0040001;;;1;"
    + b"V" * 31
    + b"\n"
    + b"2024-03-20 07:12;E0040001;;compost;1;"
    + b"V" * 31
    + b"\n"
    + b"2024-03-21 07:12;E0040001;;;1;;\n"
    + b"2024-03-23 07:12;E0040001;;;1;"
    + "é".encode() * 2100
    + b"\n"
    + b"2024-03-24 07:12;E0040001;;;1;"
    + "é".encode("latin-1") * 2100
    + b"\n"
    + b"2024-03-25 07:12;E0040001;;;1;"
    + "é".encode("latin-1") * 4090
    + b"\n"
    + b"2024-03-26 07:12;E0040001;;;1;last",
]


@pytest.mark.parametrize(
    "content", TRICKY, ids=["quotes", "encodings", "escapes", "padding", "values"]
)
def test_both_paths_agree_on_what_only_careful_reading_gets_right(ccfi, bins, monkeypatch, content):
    authority, _ = ccfi
    monkeypatch.setattr(lifts, "VALUES_BATCH", 3)  # the distinct values read in batches
    results = []
    for path in ("fast", "orm"):
        if path == "orm":
            Lift.objects.all().delete()
            monkeypatch.setattr(lifts, "_insert_postgresql", lifts._insert_orm)
        batch = lift_import(authority=authority, file=ContentFile(content), filename="a.csv")
        assert batch.status == "done", batch.message
        results.append(
            (
                (batch.rows_total, batch.rows_imported, batch.rows_rejected),
                batch.rejected_report,
                set(
                    Lift.objects.filter(import_batch=batch).values_list(
                        "bin_id", "lifted_at", "net_weight_grams", "vehicle"
                    )
                ),
            )
        )
    assert results[0] == results[1]
    assert results[0][0][1] > 0  # some lines go in


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_adds_each_lift_once():
    """On PostgreSQL both imports read and check the file at the same time; the lifts one
    inserts wait for the other's to be committed or not, and are skipped if they were
    (SQLite, one writer at a time, runs them one after the other)."""
    import threading

    from django.db import connection, connections

    from levee.collection.models import ImportStatus
    from testkit import ccfi_world

    from .conftest import make_bin

    authority, account = ccfi_world()
    make_bin(account, chip="E0040001")
    content = (
        HEADER_BYTES
        + "".join(
            f"2024-{month:02d}-{day:02d} 07:{minute:02d};E0040001;;;12;\n"
            for month in range(1, 13)
            for day in range(1, 29)
            for minute in range(0, 60, 10)
        ).encode()
    )
    start = threading.Barrier(2)
    batches = []

    def run():
        try:
            start.wait()
            batches.append(
                lift_import(authority=authority, file=ContentFile(content), filename="a.csv")
            )
        finally:
            connections.close_all()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        start = threading.Barrier(1)
        run()
        run()
    assert [batch.status for batch in batches] == [ImportStatus.DONE] * 2
    assert sorted(batch.rows_imported for batch in batches) == [0, 12 * 28 * 6]
    assert Lift.objects.count() == 12 * 28 * 6


def test_postgresql_takes_the_sql_path(ccfi, bins, monkeypatch):
    from django.db import connection

    calls = []
    sql_path = lifts._insert_postgresql
    monkeypatch.setattr(
        lifts, "_insert_postgresql", lambda *args: calls.append(1) or sql_path(*args)
    )
    authority, _ = ccfi
    batch = lift_import(authority=authority, file=ContentFile(FILE.encode()), filename="a.csv")
    assert batch.rows_imported == 3
    assert bool(calls) == (connection.vendor == "postgresql")
