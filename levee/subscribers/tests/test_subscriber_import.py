import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from levee.collection.models import Bin, Flux, ImportStatus
from levee.collection.tests.conftest import make_bin
from levee.collection.tests.import_files import FailingAfter, Unreadable
from levee.subscribers.importers import subscriber_import
from levee.subscribers.models import Account, PaymentMode, Subscription
from testkit import ccfi_world, make_account, make_commune, pilat_world

pytestmark = pytest.mark.django_db

HEADER = (
    "code_usager;identifiant_portail;categorie;civilite;nom;prenom;raison_sociale;email;"
    "telephone;fact_numero;fact_voie;fact_code_postal;fact_ville;reference;type_forfait;"
    "souscrit_le;termine_le;mode_paiement;hab_numero;hab_voie;hab_code_postal;hab_commune;"
    "hab_insee;bac_flux;bac_volume;bac_puce;bac_cuve;bac_livre_le\n"
)
MARTIN = (
    "00002;;Particulier;Mme;MARTIN;Marie;;marie.martin@example.org;0328000000;3;rue Neuve;"
    "59270;Bailleul;00002;Bac;01/01/2023;;prélèvement;3;rue Neuve;59270;Bailleul;;om;120;"
    "E0040010;C0010;01/01/2023\n"
)
MARTIN_RECYCLABLES = MARTIN.replace(";om;120;E0040010;C0010;", ";recyclables;240;E0040011;;")
LECLERC = (
    "00003;ABCD2345;Professionnel;;;;Boulangerie Leclerc;;;;;;;00003;Bac;2024-02-01;;facture;"
    "1;place du Marché;;;59295;;;;;\n"
)


def run(authority, text, *, encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return subscriber_import(authority=authority, file=ContentFile(data), filename="abonnes.csv")


def rejects(batch):
    return batch.rejected_report.splitlines()[1:]


def summary(batch):
    return {label: count for label, count in batch.summary if count}


@pytest.fixture
def ccfi():
    authority, account = ccfi_world()
    return authority


def test_it_creates_accounts_subscriptions_and_bins_with_their_keys(ccfi):
    batch = run(ccfi, HEADER + MARTIN + MARTIN_RECYCLABLES + LECLERC)
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (3, 3, 0)
    assert summary(batch) == {
        "Comptes créés": 2,
        "Identifiants portail créés": 1,
        "Abonnements créés": 2,
        "Bacs créés": 2,
    }
    martin = Account.objects.get(authority=ccfi, code="00002")
    assert (martin.civility, martin.last_name, martin.first_name, martin.email) == (
        "Mme",
        "MARTIN",
        "Marie",
        "marie.martin@example.org",
    )
    assert martin.billing_address_line == "3 rue Neuve 59270 Bailleul"
    assert len(martin.portal_key) == 8 and martin.portal_key.isalpha()
    subscription = martin.subscriptions.get()
    assert (subscription.reference, subscription.kind, subscription.payment_mode) == (
        "00002",
        "bac",
        PaymentMode.DIRECT_DEBIT,
    )
    assert subscription.subscribed_on == datetime.date(2023, 1, 1)
    assert subscription.address_line == "3 rue Neuve 59270 Bailleul"
    bins = list(Bin.objects.filter(account=martin).order_by("chip_number"))
    assert [(b.flux, b.volume_litres, b.chip_number, b.tank_number) for b in bins] == [
        (Flux.ORDURES_MENAGERES, 120, "E0040010", "C0010"),
        (Flux.RECYCLABLES, 240, "E0040011", ""),
    ]
    assert all(b.subscription == subscription and b.authority == ccfi for b in bins)
    leclerc = Account.objects.get(authority=ccfi, code="00003")
    assert (leclerc.portal_key, leclerc.category, leclerc.holder_name) == (
        "ABCD2345",
        "professionnel",
        "Boulangerie Leclerc",
    )
    assert leclerc.subscriptions.get().commune.name == "Hazebrouck"
    assert leclerc.subscriptions.get().postal_code == "59190"


def test_importing_the_same_file_again_changes_nothing(ccfi):
    text = HEADER + MARTIN + MARTIN_RECYCLABLES + LECLERC
    run(ccfi, text)
    before = {
        model: list(model.objects.order_by("pk").values_list("pk", "updated_at"))
        for model in (Account, Subscription, Bin)
    }
    key = Account.objects.get(code="00002").portal_key
    again = run(ccfi, text)
    assert (again.rows_imported, again.rows_already_present, again.rows_rejected) == (0, 3, 0)
    assert summary(again) == {}
    assert Account.objects.get(code="00002").portal_key == key  # not created twice
    for model, rows in before.items():
        assert list(model.objects.order_by("pk").values_list("pk", "updated_at")) == rows


def test_a_changed_line_changes_only_what_differs(ccfi):
    run(ccfi, HEADER + MARTIN)
    changed = MARTIN.replace("rue Neuve;59270;Bailleul;00002", "rue Haute;59270;Bailleul;00002")
    changed = changed.replace(";;prélèvement;", ";31/12/2024;facture;").replace(";120;", ";180;")
    batch = run(ccfi, HEADER + changed)
    assert summary(batch) == {"Comptes modifiés": 1, "Abonnements modifiés": 1, "Bacs modifiés": 1}
    martin = Account.objects.get(code="00002")
    assert martin.billing_street == "rue Haute" and martin.email == "marie.martin@example.org"
    subscription = martin.subscriptions.get()
    assert (subscription.ended_on, subscription.payment_mode, subscription.street) == (
        datetime.date(2024, 12, 31),
        PaymentMode.INVOICE,
        "rue Neuve",
    )
    assert Bin.objects.get(chip_number="E0040010").volume_litres == 180


def test_a_column_left_out_is_left_as_it_is(ccfi):
    account = Account.objects.get(code="00001")
    Account.objects.filter(pk=account.pk).update(email="dupont59@gmail.com", mobile="0612345678")
    batch = run(ccfi, "code_usager;nom;telephone\n00001;DUPONT;0328999999\n")
    account.refresh_from_db()
    assert summary(batch) == {"Comptes modifiés": 1}
    assert (account.phone, account.mobile, account.email, account.portal_key) == (
        "0328999999",
        "0612345678",
        "dupont59@gmail.com",
        "PSEMCSMJ",
    )
    assert account.subscriptions.count() == 1


def test_keys_can_be_swapped_within_a_file(ccfi):
    make_account(ccfi, code="00009", portal_key="KBWHLTRA", last_name="DURAND")
    batch = run(
        ccfi,
        "code_usager;identifiant_portail;nom\n00001;ABCDEFGH;DUPONT\n00009;PSEMCSMJ;DURAND\n",
    )
    assert batch.rows_rejected == 0
    assert Account.objects.get(code="00009").portal_key == "PSEMCSMJ"


def test_a_given_key_replaces_the_old_one_unless_another_account_has_it(ccfi):
    make_account(ccfi, code="00009", portal_key="KBWHLTRA", last_name="DURAND")
    batch = run(
        ccfi,
        "code_usager;identifiant_portail;nom\n00001;PSEMCSMK;DUPONT\n00009;PSEMCSMK;DURAND\n"
        "00009;PS;DURAND\n",
    )
    assert Account.objects.get(code="00001").portal_key == "PSEMCSMK"
    assert Account.objects.get(code="00009").portal_key == "KBWHLTRA"
    assert rejects(batch) == [
        "3;identifiant portail « PSEMCSMK » déjà attribué au compte usager 00001",
        "4;identifiant portail invalide : « PS » (4 à 20 lettres ou chiffres)",
    ]


def test_a_commune_the_authority_does_not_serve_is_rejected(ccfi):
    pilat_world()
    make_commune(insee="59350", name="Lille", postal_codes=["59000"])
    martin = MARTIN.split(";")
    lines = []
    for insee, postal, name in (
        ("42168", "", ""),  # Pélussin, another authority's
        ("", "42410", "Pélussin"),
        ("59350", "", ""),  # Lille, no authority here
        ("", "59270", "Bailleuil"),  # a typo: not a commune
        ("99999", "", ""),
        ("59043", "59190", ""),  # Bailleul with Hazebrouck's postal code
        ("", "", ""),
    ):
        fields = list(martin)
        fields[20:23] = [postal, name, insee]
        lines.append(";".join(fields))
    batch = run(ccfi, HEADER + "".join(lines))
    assert rejects(batch) == [
        "2;commune Pélussin (INSEE 42168) non desservie par la collectivité",
        "3;commune Pélussin (42410) non desservie par la collectivité",
        "4;commune Lille (INSEE 59350) non desservie par la collectivité",
        "5;commune inconnue : « 59270 Bailleuil »",
        "6;code INSEE inconnu : « 99999 »",
        "7;le code postal 59190 n'est pas celui de la commune Bailleul",
        "8;commune de l'habitation manquante (hab_insee ou hab_code_postal)",
    ]
    assert not Account.objects.filter(code="00002").exists()  # a line goes in whole or not
    assert not Bin.objects.exists()


def test_another_authority_objects_are_never_touched(ccfi):
    pilat, pelussin = pilat_world()
    theirs = make_account(
        pilat, code="00002", portal_key="VZKRTQPM", commune=pelussin, postal_code="42410"
    )
    make_bin(theirs, chip="E0040010")
    batch = run(ccfi, HEADER + MARTIN.replace("00002;;", "00002;VZKRTQPM;", 1))
    assert (batch.rows_imported, batch.rows_rejected) == (1, 0)
    ours = Account.objects.get(authority=ccfi, code="00002")
    assert ours.portal_key == "VZKRTQPM"  # keys are unique within an authority only
    assert Bin.objects.get(authority=ccfi).account == ours
    theirs.refresh_from_db()
    assert (theirs.last_name, theirs.subscriptions.get().street) == ("DUPONT", "route de Méteren")
    assert Bin.objects.get(authority=pilat).account == theirs


def test_a_subscription_or_a_bin_of_another_account_is_rejected(ccfi):
    run(ccfi, HEADER + MARTIN)
    other_owner = MARTIN.replace("00002;;Particulier", "00004;;Particulier", 1)
    other_bin = (
        MARTIN.replace("00002;;Particulier", "00005;;Particulier", 1)
        .replace("59270;Bailleul;00002;Bac", "59270;Bailleul;00005;Bac")
        .replace(";E0040010;C0010;", ";;C0010;")
    )
    batch = run(ccfi, HEADER + other_owner + other_bin)
    assert rejects(batch) == [
        "2;l'abonnement 00002 appartient au compte usager 00002",
        "3;bac C0010 déjà rattaché à l'abonnement 00002",
    ]
    assert not Account.objects.filter(code__in=["00004", "00005"]).exists()


def test_duplicate_lines_count_once_and_contradictions_are_rejected(ccfi):
    contradiction = MARTIN.replace("Marie", "Maria")
    other_size = MARTIN_RECYCLABLES.replace(";240;", ";360;")
    batch = run(ccfi, HEADER + MARTIN + MARTIN + contradiction + MARTIN_RECYCLABLES + other_size)
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (5, 2, 2)
    assert rejects(batch) == [
        "4;compte usager « 00002 » décrit autrement ligne 2 : une même donnée ne peut "
        "avoir deux valeurs dans le fichier",
        "6;bac « E0040011 » décrit autrement ligne 5 : une même donnée ne peut avoir deux "
        "valeurs dans le fichier",
    ]
    assert Account.objects.get(code="00002").first_name == "Marie"
    assert Bin.objects.get(chip_number="E0040011").volume_litres == 240


def test_it_rejects_each_bad_line_with_its_number_and_reason(ccfi):
    def martin(**changes):
        fields = MARTIN.rstrip("\n").split(";")
        for index, value in changes.items():
            fields[int(index[1:])] = value
        return ";".join(fields) + "\n"

    batch = run(
        ccfi,
        HEADER
        + martin(c0="")
        + martin(c2="Ministère")
        + martin(c3="Docteur")
        + martin(c4="", c6="")
        + martin(c7="marie@")
        + martin(c13="", c14="")
        + martin(c14="Conteneur")
        + martin(c15="31/02/2023")
        + martin(c16="01/01/2022")
        + martin(c17="espèces")
        + martin(c19="")
        + martin(c23="compost")
        + martin(c24="grand")
        + martin(c25="", c26="")
        + martin(c27="")
        + martin(c4="X" * 101)
        + martin(c15=""),
    )
    assert rejects(batch) == [
        "2;code usager manquant",
        "3;catégorie inconnue : « Ministère » (Particulier, Professionnel, Administration ou "
        "Association)",
        "4;civilité inconnue : « Docteur » (M, Mme ou M ou Mme)",
        "5;ni nom ni raison sociale",
        "6;email invalide : « marie@ »",
        "7;un bac doit être rattaché à un abonnement : référence manquante",
        "8;type de forfait inconnu : « Conteneur » (Bac, Sac ou Badge)",
        "9;date de souscription impossible : « 31/02/2023 »",
        "10;date de fin (01/01/2022) antérieure à la date de souscription (01/01/2023)",
        "11;mode de paiement inconnu : « espèces » (facture ou prélèvement)",
        "12;voie de l'adresse d'habitation manquante (hab_voie)",
        "13;bac : flux inconnu : « compost »",
        "14;bac : volume invalide : « grand » (en litres, 1 à 10000)",
        "15;bac : ni n° de puce ni n° de cuve",
        "16;bac : date de livraison manquante (bac_livre_le)",
        "17;nom trop long (100 caractères au plus)",
        "18;date de souscription manquante (souscrit_le)",
    ]
    assert not Account.objects.filter(code="00002").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Le fichier est vide"),
        (b"nom;prenom\nDUPONT;Pierre\n", "colonnes manquantes : code_usager"),
        (b"code_usager;prenom\n00001;Pierre\n", "colonnes manquantes : nom ou raison_sociale"),
        (b"code_usager;nom;iban\n00001;DUPONT;FR76\n", "colonnes inconnues : iban"),
        (b"code_usager;nom;nom\n", "colonnes en double"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "fichier binaire"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_subscriber_csv(ccfi, content, message):
    batch = run(ccfi, content)
    assert batch.status == ImportStatus.FAILED
    assert message in batch.message
    assert Account.objects.count() == 1


def test_it_refuses_a_file_over_the_size_limit_before_reading_it(ccfi, settings):
    settings.IMPORT_MAX_BYTES = 500

    batch = subscriber_import(
        authority=ccfi, file=Unreadable((HEADER + MARTIN).encode()), filename="a.csv"
    )
    assert batch.status == ImportStatus.FAILED and "trop volumineux" in batch.message
    assert not Account.objects.filter(code="00002").exists()


def test_a_crash_imports_nothing_and_the_file_can_be_run_again(ccfi, monkeypatch):
    # Lines applied one chunk at a time: accounts are written before the file fails.
    monkeypatch.setattr("levee.collection.importers.reading.READ_SIZE", 400)
    monkeypatch.setattr("levee.subscribers.importers.CHUNK_SIZE", 1)
    text = HEADER + MARTIN + LECLERC + MARTIN_RECYCLABLES
    batch = subscriber_import(
        authority=ccfi, file=FailingAfter(text.encode(), reads=3), filename="a.csv"
    )
    assert batch.status == ImportStatus.FAILED and "relancer" in batch.message
    assert Account.objects.count() == 1 and not Bin.objects.exists()
    assert run(ccfi, text).rows_imported == 3


def test_windows_accents_and_commas_are_read(ccfi):
    text = (
        "Code usager,Nom,Prénom,Référence,Souscrit le,Hab voie,Hab INSEE\n"
        '00002,L’HERMITE,Chloé,00002,01/01/2023,"rue de l’Église, bâtiment B",59043\n'
    )
    batch = run(ccfi, text, encoding="cp1252")
    assert batch.rows_imported == 1
    account = Account.objects.get(code="00002")
    assert (account.last_name, account.first_name) == ("L’HERMITE", "Chloé")
    assert account.subscriptions.get().street == "rue de l’Église, bâtiment B"


def test_the_command_prints_the_counts_and_writes_the_rejected_lines(ccfi, tmp_path, capsys):
    path = tmp_path / "abonnes.csv"
    path.write_text(HEADER + MARTIN + MARTIN.replace("00002;;", ";;", 1), encoding="utf-8")
    call_command("subscriber_import", "--authority", ccfi.slug, str(path))
    out = capsys.readouterr().out
    assert (
        "2 lignes lues, 1 lignes importées (créations ou modifications), 0 sans changement" in out
    )
    assert "Comptes créés : 1 ; Comptes modifiés : 0 ; Identifiants portail créés : 1" in out
    report = (tmp_path / "abonnes.csv.rejets.csv").read_text(encoding="utf-8")
    assert report.splitlines()[1] == "3;code usager manquant"
    with pytest.raises(CommandError, match="Aucune collectivité"):
        call_command("subscriber_import", "--authority", "nulle-part", str(path))
