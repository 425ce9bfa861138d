"""The debtor's Adresse in the rôle (issue 13): a printed address without a postal code and
town, a debtor abroad. What the schema's annotations ask (`Class_Adresse.xsd`, PES.md):
CP of 5 digits, « 99999 » for a debtor abroad with the foreign postal code in Ville;
CodRes 1 (non-resident) with its CodPays; CodRes 0 with no CodPays (or 100).
"""

import datetime
import os

import pytest

from levee.lib.storage import private_storage
from levee.treasury.models import PesFile
from levee.treasury.pes import COUNTRY_CODES
from levee.treasury.pes_check import pes_check
from levee.treasury.services import TreasuryError, pes_file_generate
from testkit import ccfi_world, make_user

from .builders import another_account, parsed, pes_settings, published_run, run_invoice, v

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def world():
    authority, account = ccfi_world()
    settings = pes_settings(authority)
    run = published_run(authority)
    agent = make_user("claire.verhaeghe@example.org")
    return authority, account, settings, run, agent


def abroad(authority, code: str, country: str, postal_code: str, city: str, street: str):
    account = another_account(authority, code, street=street)
    account.billing_country = country
    account.billing_postal_code = postal_code
    account.billing_city = city
    account.save(update_fields=["billing_country", "billing_postal_code", "billing_city"])
    return account


def stored_files() -> set[str]:
    return {
        os.path.join(folder, name)
        for folder, _dirs, names in os.walk(private_storage.location)
        for name in names
    }


def addresses(pes_file) -> dict[str, dict[str, str | None]]:
    """Each piece's debtor address, by invoice number, every line's Tiers alike."""
    found = {}
    for piece in parsed(pes_file).iter("Piece"):
        number = v(piece, "BlocPiece/NumDette")
        seen = {
            tuple(
                (tag, v(address, tag))
                for tag in ("Adr1", "Adr2", "Adr3", "CP", "Ville", "CodRes", "CodPays")
            )
            for address in piece.iterfind("LigneDePiece/Tiers/Adresse")
        }
        assert len(seen) == 1, seen
        found[number] = dict(seen.pop())
    return found


def test_debtors_without_a_printed_postal_code_or_abroad_make_a_file_that_passes(world):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)  # the default: 29 route de Meteren, 59270 Bailleul
    odd = another_account(authority, "00007", street="lieu-dit Le Bois", number="")
    printed_without_town = run_invoice(run, odd, 2)
    printed_without_town.payer_address = "Lieu-dit Le Bois, près de l'étang"
    printed_without_town.save(update_fields=["payer_address"])
    run_invoice(run, abroad(authority, "00012", "BE", "8900", "Ieper", "Grote Markt"), 3)
    run_invoice(run, abroad(authority, "00013", "DE", "10115", "Berlin", "Invalidenstraße"), 4)
    run_invoice(run, abroad(authority, "00014", "MC", "98000", "Monaco", "boulevard Albert 1er"), 5)
    # Abroad, the invoice printed before the account's street changed: the printed line gives
    # the street, the account its postal code and town (4 digits: no French postal code).
    moved = abroad(authority, "00015", "LU", "1009", "Luxembourg", "avenue de la Liberté")
    run_invoice(run, moved, 6)
    moved.billing_street = "rue de Hollerich"
    moved.save(update_fields=["billing_street"])

    [pes_file] = pes_file_generate(run=run, by=agent)

    assert pes_check(private_storage.path(pes_file.file.name)) == []
    found = addresses(pes_file)
    french = {"Adr1": None, "Adr3": None, "CodRes": "0", "CodPays": None}
    assert found == {
        "2600240000001": {
            **french,
            "Adr2": "29 ROUTE DE METEREN",
            "CP": "59270",
            "Ville": "BAILLEUL",
        },
        # The printed line has no postal code nor town: the account's, today.
        "2600240000002": {
            **french,
            "Adr2": "LIEU-DIT LE BOIS, PRES DE L'ETANG",
            "CP": "59270",
            "Ville": "BAILLEUL",
        },
        "2600240000003": {
            "Adr1": None,
            "Adr2": "29 GROTE MARKT",
            "Adr3": None,
            "CP": "99999",
            "Ville": "8900 IEPER",
            "CodRes": "1",
            "CodPays": "131",
        },
        "2600240000004": {
            "Adr1": None,
            "Adr2": "29 INVALIDENSTRASSE",
            "Adr3": None,
            "CP": "99999",
            "Ville": "10115 BERLIN",
            "CodRes": "1",
            "CodPays": "109",
        },
        "2600240000005": {
            "Adr1": None,
            "Adr2": "29 BOULEVARD ALBERT 1ER",
            "Adr3": None,
            "CP": "99999",
            "Ville": "98000 MONACO",
            "CodRes": "1",
            "CodPays": "138",
        },
        "2600240000006": {
            "Adr1": None,
            "Adr2": "29 AVENUE DE LA LIBERTE",
            "Adr3": None,
            "CP": "99999",
            "Ville": "1009 LUXEMBOURG",
            "CodRes": "1",
            "CodPays": "137",
        },
    }


def test_every_country_a_resident_may_choose_has_its_code():
    from levee.requests.kinds.personal_information import COUNTRIES

    assert {code for code, _label in COUNTRIES} <= set(COUNTRY_CODES)
    assert COUNTRY_CODES["FR"] == "100"
    assert len(set(COUNTRY_CODES.values())) == len(COUNTRY_CODES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"billing_postal_code": "", "billing_city": ""},
            "L'adresse de facturation du compte 00020 est incomplète pour le PES",
        ),
        (
            {"billing_country": "JP", "billing_postal_code": "100-0001", "billing_city": "Tokyo"},
            "Le pays « JP » de l'adresse du compte 00020 n'a pas de code pays connu du PES",
        ),
    ],
    ids=["no_postal_code", "unknown_country"],
)
def test_an_address_that_cannot_make_an_adresse_refuses_the_role(world, change, message):
    authority, account, settings, run, agent = world
    run_invoice(run, account, 1)
    incomplete = another_account(authority, "00020")
    for name, value in change.items():
        setattr(incomplete, name, value)
    incomplete.save(update_fields=list(change))
    run_invoice(run, incomplete, 2)
    before = stored_files()

    with pytest.raises(TreasuryError, match=message):
        pes_file_generate(run=run, by=agent)

    assert not PesFile.objects.filter(run=run).exists()
    assert stored_files() == before


@pytest.mark.parametrize(
    ("written", "tampered", "problem"),
    [
        (
            b'<CP V="99999"/><Ville V="8900 IEPER"/>',
            b'<CP V="8900"/><Ville V="IEPER"/>',
            "CP « 8900 » doit compter exactement 5 chiffres (99999 pour l'étranger)",
        ),
        (b'<CodPays V="131"/>', b"", "CodPays est requis pour un non-résident"),
        (
            b'<CodRes V="1"/>',
            b'<CodRes V="0"/>',
            "CodPays doit être absent ou valoir 100 pour un résident",
        ),
        (b'<CodPays V="131"/>', b'<CodPays V="1310"/>', "CodPays « 1310 » doit être"),
    ],
    ids=["foreign_postal_code_in_cp", "no_country", "resident_with_a_country", "long_country"],
)
def test_the_check_refuses_an_adresse_the_schema_refuses(
    world, tmp_path, written, tampered, problem
):
    authority, account, settings, run, agent = world
    run_invoice(run, abroad(authority, "00012", "BE", "8900", "Ieper", "Grote Markt"), 1)
    [pes_file] = pes_file_generate(run=run, by=agent)
    with private_storage.open(pes_file.file.name, "rb") as handle:
        content = handle.read()
    assert content.count(written) == 2  # two lines, each with its Tiers

    path = tmp_path / "tampered.xml"
    path.write_bytes(content.replace(written, tampered))

    problems = pes_check(path)
    assert len(problems) == 2, problems
    assert all(problem in p for p in problems), problems
    assert all(p.startswith("bordereau 1, pièce 1 (facture 2600240000001) : ") for p in problems)
