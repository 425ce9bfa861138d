import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from levee.collection.importers import lift_import
from levee.collection.models import ImportBatch, ImportStatus, Lift

from .import_files import FailingAfter, Unreadable

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
HEADER = "horodatage;puce;cuve;flux;poids_kg;vehicule\n"


def run(authority, text, *, encoding="utf-8", name="levees.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return lift_import(authority=authority, file=ContentFile(data, name=name), filename=name)


def rejects(batch):
    return batch.rejected_report.splitlines()[1:]


def test_it_imports_lifts_by_chip_and_by_tank(ccfi, bins):
    authority, _ = ccfi
    batch = run(
        authority,
        HEADER
        + "2024-03-05 07:12:30;E0040001;;Ordures ménagères;12,5;BOM-12\n"
        + "2024-03-12 07:15;;C0001;om;9.75;BOM-12\n"
        + "19/03/2024 07:10:00;E0040002;;recyclables;4;\n",
    )
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (3, 3, 0)
    lifts = list(Lift.objects.order_by("lifted_at"))
    assert [lift.bin for lift in lifts] == [bins["om"], bins["om"], bins["recyclables"]]
    assert lifts[0].lifted_at == datetime.datetime(2024, 3, 5, 7, 12, 30, tzinfo=PARIS)
    assert lifts[0].net_weight_kg == Decimal("12.5")
    assert lifts[1].net_weight_grams == 9750
    assert lifts[0].vehicle == "BOM-12" and lifts[2].vehicle == ""
    assert all(lift.authority == authority and lift.import_batch == batch for lift in lifts)


def test_it_reads_commas_latin1_and_a_bom(ccfi, bins):
    authority, _ = ccfi
    comma = run(
        authority,
        'horodatage,puce,cuve,flux,poids_kg,vehicule\n2024-03-05 07:12,E0040001,,Ordures ménagères,"12,5",BOM\n',
        encoding="latin-1",
    )
    bom = run(
        authority,
        "\ufeffHorodatage;Puce;Cuve;Flux;Poids_kg;Véhicule\r\n2024-03-12 07:12;E0040001;;;8;\r\n",
        encoding="utf-8",
    )
    assert (comma.rows_imported, comma.rows_rejected) == (1, 0)
    assert (bom.rows_imported, bom.rows_rejected) == (1, 0)
    assert sorted(Lift.objects.values_list("net_weight_grams", flat=True)) == [8000, 12500]


def test_it_adds_nothing_when_the_same_file_comes_again(ccfi, bins):
    authority, _ = ccfi
    text = HEADER + "2024-03-05 07:12;E0040001;;;12,5;\n2024-03-12 07:12;;C0001;;10;\n"
    first = run(authority, text)
    again = run(authority, text)
    assert first.rows_imported == 2
    assert (again.status, again.rows_total, again.rows_imported) == (ImportStatus.DONE, 2, 0)
    assert again.rows_already_present == 2
    assert Lift.objects.count() == 2


def test_it_counts_a_line_repeated_in_the_file_once(ccfi, bins):
    authority, _ = ccfi
    batch = run(
        authority,
        HEADER
        + "2024-03-05 07:12;E0040001;;;12,5;first\n"
        + "05/03/2024 07:12:00;;C0001;;13;second\n",
    )
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (2, 1, 0)
    assert Lift.objects.get().vehicle == "first"


def test_it_rejects_each_bad_line_with_its_number_and_reason(ccfi, bins):
    authority, _ = ccfi
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    batch = run(
        authority,
        HEADER
        + "2024-03-05 07:12;E0040001;;;12,5;\n"  # 2 ok
        + "2024-03-05 07:12;E9999999;;;12;\n"  # 3 unknown bin
        + "31/02/2024 07:12;E0040001;;;12;\n"  # 4 impossible date
        + f"{future};E0040001;;;12;\n"  # 5 future
        + "le 5 mars;E0040001;;;12;\n"  # 6 not a timestamp
        + "2024-03-06 07:12;E0040001;;;-3;\n"  # 7 negative
        + "2024-03-07 07:12;E0040001;;;douze;\n"  # 8 not a number
        + "2024-03-08 07:12;E0040001;;;2500;\n"  # 9 over 2 000 kg
        + "2024-03-09 07:12;E0040001;;compost;12;\n"  # 10 unknown flux
        + "2024-03-10 07:12;;;;12;\n"  # 11 neither chip nor tank
        + "\n"  # 12 blank: skipped, not counted
        + "2024-03-11 07:12;E0040001;;verre;12;\n"  # 13 flux of another bin
        + "2024-03-12 07:12;E0040002;C0001;;12;\n"  # 14 chip and tank of two bins
        + "2024-03-13 07:12;E0040001;;\n"  # 15 missing columns
        + "2024-03-14 07:12;E0040001;;;;\n",  # 16 missing weight
    )
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (14, 1, 13)
    assert rejects(batch) == [
        "3;bac inconnu : aucun bac de la collectivité n'a ce n° de puce ni ce n° de cuve",
        "4;date impossible : « 31/02/2024 07:12 »",
        f"5;date dans le futur : « {future} »",
        "6;horodatage invalide : « le 5 mars » (attendu AAAA-MM-JJ HH:MM ou JJ/MM/AAAA HH:MM)",
        "7;poids négatif : « -3 »",
        "8;poids non numérique : « douze »",
        "9;poids supérieur à 2 000 kg : « 2500 »",
        "10;flux inconnu : « compost »",
        "11;ni n° de puce ni n° de cuve",
        "13;flux « Verre » différent de celui du bac « Ordures ménagères »",
        "14;la puce et la cuve désignent deux bacs différents",
        "15;4 colonnes au lieu de 6",
        "16;poids manquant",
    ]
    assert Lift.objects.count() == 1


def test_it_rejects_the_bins_of_another_authority(ccfi, bins, pilat_bin):
    authority, _ = ccfi
    batch = run(
        authority,
        HEADER + "2024-03-05 07:12;E0049999;;;12;\n2024-03-05 07:12;;C9999;;12;\n",
    )
    assert (batch.rows_imported, batch.rows_rejected) == (0, 2)
    assert [line.split(";")[0] for line in rejects(batch)] == ["2", "3"]
    assert not Lift.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Le fichier est vide"),
        (b"\n  \n", "Le fichier est vide"),
        (b"date;bac;poids\n2024-03-05 07:12;E0040001;12\n", "colonnes manquantes"),
        (
            b"horodatage;puce;cuve;flux;poids_kg;vehicule;chauffeur\n",
            "colonnes inconnues : chauffeur",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "fichier binaire"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "fichier binaire"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_lift_csv(ccfi, bins, content, message):
    authority, _ = ccfi
    batch = run(authority, content)
    assert batch.status == ImportStatus.FAILED
    assert message in batch.message
    assert not Lift.objects.exists()


def test_it_refuses_a_file_over_the_size_limit_before_reading_it(ccfi, bins, settings):
    authority, _ = ccfi
    settings.IMPORT_MAX_BYTES = 100
    text = HEADER + "".join(f"2024-03-{d:02d} 07:12;E0040001;;;12;\n" for d in range(1, 20))

    batch = lift_import(
        authority=authority, file=Unreadable(text.encode(), name="big.csv"), filename="big.csv"
    )
    assert batch.status == ImportStatus.FAILED
    assert "trop volumineux" in batch.message
    assert not Lift.objects.exists()


def test_it_refuses_a_stream_that_grows_past_the_limit(ccfi, bins, settings):
    authority, _ = ccfi
    settings.IMPORT_MAX_BYTES = 200
    text = HEADER + "".join(f"2024-03-{d:02d} 07:12;E0040001;;;12;\n" for d in range(1, 20))
    file = ContentFile(text.encode(), name="big.csv")
    file.size = None  # a stream whose size is unknown
    batch = lift_import(authority=authority, file=file, filename="big.csv")
    assert batch.status == ImportStatus.FAILED
    assert "trop volumineux" in batch.message
    assert not Lift.objects.exists()


def test_a_crash_leaves_a_failed_batch_and_nothing_imported(ccfi, bins, monkeypatch):
    authority, _ = ccfi
    text = HEADER + "2024-03-05 07:12;E0040001;;;12;\n2024-03-06 07:12;E0040001;;;12;\n"

    file = FailingAfter(text.encode(), reads=1, name="levees.csv")
    monkeypatch.setattr("levee.collection.importers.reading.READ_SIZE", 40)
    batch = lift_import(authority=authority, file=file, filename="levees.csv")
    assert batch.status == ImportStatus.FAILED
    assert "relancer" in batch.message
    assert not Lift.objects.exists()

    again = run(authority, text)
    assert (again.status, again.rows_imported) == (ImportStatus.DONE, 2)


def test_a_file_with_only_its_header_imports_nothing(ccfi, bins):
    authority, _ = ccfi
    batch = run(authority, HEADER)
    assert (batch.status, batch.rows_total) == (ImportStatus.DONE, 0)
    assert ImportBatch.objects.count() == 1


def test_it_rejects_a_year_no_truck_ever_lifted_a_bin_in(ccfi, bins):
    authority, _ = ccfi
    batch = run(
        authority,
        HEADER
        + "0001-01-01 00:05;E0040001;;;12;\n"
        + "31/12/1899 23:59;E0040001;;;12;\n"
        + "2024-03-05 07:12;E0040001;;;12,5;\n",
    )
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_imported, batch.rows_rejected) == (1, 2)
    assert rejects(batch) == [
        "2;date impossible : « 0001-01-01 00:05 »",
        "3;date impossible : « 31/12/1899 23:59 »",
    ]
