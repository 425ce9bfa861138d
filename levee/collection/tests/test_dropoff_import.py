import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from levee.collection.importers import dropoff_import
from levee.collection.models import DropOff, DropOffKind, Flux, ImportStatus, QuantityUnit
from testkit import make_account

from .import_files import FailingAfter, Unreadable

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
HEADER = "horodatage;type;code_usager;badge;lieu;flux;quantite;unite\n"


def run(authority, text, *, encoding="utf-8", name="apports.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return dropoff_import(authority=authority, file=ContentFile(data, name=name), filename=name)


def rejects(batch):
    return batch.rejected_report.splitlines()[1:]


@pytest.fixture
def pilat_account(pilat_bin):
    return pilat_bin.account


def test_it_imports_badge_openings_and_decheterie_visits(ccfi):
    authority, account = ccfi
    batch = run(
        authority,
        HEADER
        + "2024-03-05 10:12;déchèterie;00001;B1;Déchèterie de Bailleul;;0,5;m3\n"
        + "06/03/2024 18:40;Ouverture de badge;00001;;Colonne place du Marché;Verre;;\n"
        + "2024-03-07 09:00;decheterie;00001;;Déchèterie de Bailleul;;35;kg\n",
    )
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (3, 3, 0)
    visit, badge, weighed = DropOff.objects.order_by("occurred_at")
    assert visit.occurred_at == datetime.datetime(2024, 3, 5, 10, 12, tzinfo=PARIS)
    assert (visit.kind, visit.quantity, visit.quantity_unit) == (
        DropOffKind.DECHETERIE,
        Decimal("500"),
        QuantityUnit.LITRES,
    )
    assert (visit.badge_number, visit.site) == ("B1", "Déchèterie de Bailleul")
    assert (badge.kind, badge.flux, badge.quantity, badge.quantity_unit) == (
        DropOffKind.BADGE,
        Flux.VERRE,
        None,
        "",
    )
    assert (weighed.quantity, weighed.quantity_unit) == (Decimal("35"), QuantityUnit.KG)
    assert all(d.account == account and d.authority == authority for d in (visit, badge))
    assert all(d.import_batch == batch for d in (visit, badge, weighed))


def test_a_badge_alone_finds_its_account_from_the_file_or_from_earlier_imports(ccfi):
    authority, account = ccfi
    first = run(
        authority,
        HEADER
        + "2024-03-06 18:40;badge;;B1;Colonne;Verre;;\n"  # not known yet
        + "2024-03-07 18:40;badge;00001;B1;Colonne;Verre;;\n"
        + "2024-03-08 18:40;badge;;B1;Colonne;Verre;;\n",  # given with 00001 above
    )
    assert (first.rows_imported, first.rows_rejected) == (2, 1)
    assert rejects(first)[0].startswith("2;badge inconnu : « B1 » n'a jamais été rattaché")
    again = run(authority, "horodatage;type;badge;lieu\n2024-03-09 18:40;badge;B1;Colonne\n")
    assert again.rows_imported == 1
    assert DropOff.objects.filter(account=account).count() == 3


def test_a_badge_of_several_accounts_needs_its_code(ccfi):
    authority, _ = ccfi
    make_account(authority, code="00002", portal_key="KBWHLTRA")
    run(
        authority,
        HEADER
        + "2024-03-06 18:40;badge;00001;B1;Colonne;;;\n"
        + "2024-03-07 18:40;badge;00002;B1;Colonne;;;\n",  # the badge passed to 00002
    )
    batch = run(authority, HEADER + "2024-03-08 18:40;badge;;B1;Colonne;;;\n")
    assert rejects(batch) == [
        "2;le badge « B1 » a servi à plusieurs comptes usagers : indiquez le code usager"
    ]


def test_it_adds_nothing_when_the_same_file_comes_again(ccfi):
    authority, _ = ccfi
    text = HEADER + "2024-03-05 10:12;déchèterie;00001;;Déchèterie;;1;L\n"
    first = run(authority, text)
    again = run(authority, text)
    assert first.rows_imported == 1
    assert (again.status, again.rows_imported, again.rows_already_present) == (
        ImportStatus.DONE,
        0,
        1,
    )
    assert DropOff.objects.count() == 1


def test_a_line_repeated_in_the_file_counts_once_the_first_one(ccfi):
    authority, _ = ccfi
    batch = run(
        authority,
        HEADER
        + "2024-03-05 10:12;déchèterie;00001;;Déchèterie;;1;L\n"
        + "05/03/2024 10:12:00;déchèterie;00001;;Déchèterie;;2;L\n",
    )
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (2, 1, 0)
    assert DropOff.objects.get().quantity == Decimal("1")


def test_it_rejects_each_bad_line_with_its_number_and_reason(ccfi):
    authority, _ = ccfi
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    batch = run(
        authority,
        HEADER
        + "2024-03-05 10:12;déchèterie;00001;;Déchèterie;;;\n"  # 2 ok
        + "2024-03-05 10:12;déchèterie;99999;;Déchèterie;;;\n"  # 3 unknown account
        + "2024-03-05 10:12;visite guidée;00001;;Déchèterie;;;\n"  # 4 unknown kind
        + "2024-03-05 10:12;badge;;;Colonne;;;\n"  # 5 neither code nor badge
        + "2024-03-05 10:12;badge;00001;;;;;\n"  # 6 no site
        + "31/02/2024 10:12;badge;00001;;Colonne;;;\n"  # 7 impossible date
        + f"{future};badge;00001;;Colonne;;;\n"  # 8 future
        + "2024-03-05 10:13;badge;00001;;Colonne;compost;;\n"  # 9 unknown flux
        + "2024-03-05 10:14;déchèterie;00001;;Déchèterie;;beaucoup;L\n"  # 10 not a number
        + "2024-03-05 10:15;déchèterie;00001;;Déchèterie;;-2;L\n"  # 11 negative
        + "2024-03-05 10:16;déchèterie;00001;;Déchèterie;;2;\n"  # 12 no unit
        + "2024-03-05 10:17;déchèterie;00001;;Déchèterie;;2;tonneaux\n"  # 13 unknown unit
        + "2024-03-05 10:18;déchèterie;00001;;Déchèterie;;9999999;L\n"  # 14 too much
        + "2024-03-05 10:19;déchèterie;00001;;"
        + "D" * 101
        + ";;;\n"  # 15 site too long
        + "2024-03-05 10:20;déchèterie;00001\n",  # 16 missing columns
    )
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (15, 1, 14)
    assert rejects(batch) == [
        "3;compte usager inconnu de la collectivité : « 99999 »",
        "4;type d'apport inconnu : « visite guidée » (attendu « badge » ou « déchèterie »)",
        "5;ni code usager ni n° de badge",
        "6;lieu manquant",
        "7;date impossible : « 31/02/2024 10:12 »",
        f"8;date dans le futur : « {future} »",
        "9;flux inconnu : « compost »",
        "10;quantité non numérique : « beaucoup »",
        "11;quantité négative : « -2 »",
        "12;unité manquante pour la quantité « 2 » (L, m3 ou kg)",
        "13;unité inconnue : « tonneaux » (attendu L, m3 ou kg)",
        "14;quantité trop grande : « 9999999 L »",
        "15;lieu trop long (100 caractères au plus)",
        "16;3 colonnes au lieu de 8",
    ]
    assert DropOff.objects.count() == 1


def test_it_rejects_the_accounts_and_badges_of_another_authority(ccfi, pilat_account):
    authority, _ = ccfi
    pilat = pilat_account.authority
    run(pilat, HEADER + "2024-03-05 10:12;badge;10042;B9;Colonne;;;\n")
    batch = run(
        authority,
        HEADER
        + "2024-03-06 10:12;badge;10042;;Colonne;;;\n2024-03-06 10:13;badge;;B9;Colonne;;;\n",
    )
    assert (batch.rows_imported, batch.rows_rejected) == (0, 2)
    assert rejects(batch)[0] == "2;compte usager inconnu de la collectivité : « 10042 »"
    assert rejects(batch)[1].startswith("3;badge inconnu : « B9 »")
    assert DropOff.objects.filter(authority=authority).count() == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Le fichier est vide"),
        (b"horodatage;type;lieu\n2024-03-05 10:12;badge;Colonne\n", "code_usager ou badge"),
        (b"horodatage;type;code_usager;lieu;poids\n", "colonnes inconnues : poids"),
        (b"Horodatage;Code usager\n", "colonnes manquantes : type, lieu"),
        (b"%PDF-1.4\n1 0 obj<</Type/Catalog>>\x00\x00endobj", "fichier binaire"),
        ("horodatage;type;code_usager;lieu\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_dropoff_csv(ccfi, content, message):
    authority, _ = ccfi
    batch = run(authority, content)
    assert batch.status == ImportStatus.FAILED
    assert message in batch.message
    assert batch.rejected_report.startswith("ligne;motif\n")
    assert not DropOff.objects.exists()


def test_it_refuses_a_file_over_the_size_limit_before_reading_it(ccfi, settings):
    authority, _ = ccfi
    settings.IMPORT_MAX_BYTES = 100
    text = HEADER + "".join(f"2024-03-{d:02d} 10:12;badge;00001;;Colonne;;;\n" for d in range(1, 9))

    batch = dropoff_import(
        authority=authority, file=Unreadable(text.encode(), name="a.csv"), filename="a.csv"
    )
    assert batch.status == ImportStatus.FAILED
    assert "trop volumineux" in batch.message
    assert not DropOff.objects.exists()


def test_a_crash_leaves_a_failed_batch_with_a_report_and_nothing_imported(ccfi, monkeypatch):
    authority, _ = ccfi
    text = HEADER + "".join(f"2024-03-{d:02d} 10:12;badge;00001;;Colonne;;;\n" for d in range(1, 9))

    # Small reads and inserts: drop-offs are written before the file fails.
    monkeypatch.setattr("levee.collection.importers.reading.READ_SIZE", 60)
    monkeypatch.setattr("levee.collection.importers.batches.INSERT_CHUNK", 1)
    batch = dropoff_import(
        authority=authority,
        file=FailingAfter(text.encode(), reads=3, name="a.csv"),
        filename="a.csv",
    )
    assert batch.status == ImportStatus.FAILED
    assert "relancer" in batch.message
    assert batch.rejected_report.splitlines()[1].startswith(";L'import a échoué")
    assert not DropOff.objects.exists()
    assert run(authority, text).rows_imported == 8


def test_the_command_prints_the_counts_and_writes_the_rejected_lines(ccfi, tmp_path, capsys):
    authority, _ = ccfi
    path = tmp_path / "apports.csv"
    path.write_text(
        HEADER
        + "2024-03-05 10:12;badge;00001;;Colonne;;;\n"
        + "2024-03-05 10:12;badge;00099;;Colonne;;;\n",
        encoding="utf-8",
    )
    call_command("dropoff_import", "--authority", authority.slug, str(path))
    out = capsys.readouterr().out
    assert "2 lignes lues, 1 apports importés, 0 déjà présentes, 1 rejetées." in out
    report = (tmp_path / "apports.csv.rejets.csv").read_text(encoding="utf-8")
    assert report.splitlines()[1] == "3;compte usager inconnu de la collectivité : « 00099 »"

    path.write_bytes(b"")
    with pytest.raises(CommandError, match="Le fichier est vide"):
        call_command("dropoff_import", "--authority", authority.slug, str(path))
    assert "Le fichier est vide" in (tmp_path / "apports.csv.rejets.csv").read_text()
