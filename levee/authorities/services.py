"""Writes of the authorities domain: the commune reference data and the authorities."""

import csv
import gzip
import io
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from levee.lib.text import fold

from .models import Authority, AuthorityCommune, Commune, CommunePostalCode, Epci

DATA_DIR = Path(settings.BASE_DIR) / "data"
COMMUNES_FILE = DATA_DIR / "communes.csv.gz"
EPCI_FILE = DATA_DIR / "epci.csv.gz"
COMMUNE_COLUMNS = ["insee", "name", "department", "epci", "population", "postal_codes"]
EPCI_COLUMNS = ["siren", "name", "kind"]


def communes_build(*, communes_json: Path, epci_json: Path, out_dir: Path = DATA_DIR) -> dict:
    """Writes the compact files shipped in data/ from the upstream JSON files of
    @etalab/decoupage-administratif (current communes only)."""
    communes = json.loads(Path(communes_json).read_text(encoding="utf-8"))
    epcis = json.loads(Path(epci_json).read_text(encoding="utf-8"))
    epci_of = {m["code"]: e["code"] for e in epcis for m in e.get("membres", [])}
    rows = sorted(
        (
            c["code"],
            c["nom"],
            c.get("departement", ""),
            epci_of.get(c["code"], ""),
            str(c.get("population") or 0),
            " ".join(sorted(set(c.get("codesPostaux") or []))),
        )
        for c in communes
        if c.get("type") == "commune-actuelle"
    )
    if not rows:
        raise ValueError(
            "no current commune in the file: is it communes.json of @etalab/decoupage-administratif?"
        )
    _write_csv_gz(Path(out_dir) / COMMUNES_FILE.name, COMMUNE_COLUMNS, rows)
    epci_rows = sorted((e["code"], e["nom"], e.get("type", "")) for e in epcis)
    _write_csv_gz(Path(out_dir) / EPCI_FILE.name, EPCI_COLUMNS, epci_rows)
    return {"communes": len(rows), "epci": len(epci_rows)}


def _write_csv_gz(path: Path, columns, rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    # mtime=0 keeps the file byte-identical when the data does not change.
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write(buffer.getvalue().encode("utf-8"))


def _read_csv_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@transaction.atomic
def communes_load(*, communes_file: Path = COMMUNES_FILE, epci_file: Path = EPCI_FILE) -> dict:
    """Upserts the shipped reference data into the database; running it twice changes
    nothing. A commune gone from the file is deleted unless an authority or an address
    still refers to it."""
    rows = _read_csv_gz(communes_file)
    epci_rows = _read_csv_gz(epci_file)

    existing_epci = {e.siren: e for e in Epci.objects.all()}
    new_epci, changed_epci = [], []
    for row in epci_rows:
        current = existing_epci.get(row["siren"])
        if current is None:
            new_epci.append(Epci(siren=row["siren"], name=row["name"], kind=row["kind"]))
        elif (current.name, current.kind) != (row["name"], row["kind"]):
            current.name, current.kind = row["name"], row["kind"]
            changed_epci.append(current)
    Epci.objects.bulk_create(new_epci, batch_size=2000)
    Epci.objects.bulk_update(changed_epci, ["name", "kind"], batch_size=2000)

    existing = {c.insee: c for c in Commune.objects.all()}
    new, changed = [], []
    for row in rows:
        values = {
            "name": row["name"],
            "search_name": fold(row["name"]),
            "department": row["department"],
            "epci_siren": row["epci"],
            "population": int(row["population"] or 0),
        }
        current = existing.get(row["insee"])
        if current is None:
            new.append(Commune(insee=row["insee"], **values))
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            changed.append(current)
    Commune.objects.bulk_create(new, batch_size=2000)
    Commune.objects.bulk_update(
        changed, ["name", "search_name", "department", "epci_siren", "population"], batch_size=2000
    )

    wanted_insee = {row["insee"] for row in rows}
    gone = [c.pk for insee, c in existing.items() if insee not in wanted_insee]
    deleted = 0
    if gone:
        referenced = set(
            AuthorityCommune.objects.filter(commune_id__in=gone).values_list(
                "commune_id", flat=True
            )
        )
        from levee.subscribers.models import Subscription

        referenced |= set(
            Subscription.objects.filter(commune_id__in=gone).values_list("commune_id", flat=True)
        )
        deleted, _ = Commune.objects.filter(
            pk__in=[pk for pk in gone if pk not in referenced]
        ).delete()

    ids = dict(Commune.objects.values_list("insee", "pk"))
    wanted_pairs = {
        (ids[row["insee"]], pc)
        for row in rows
        for pc in row["postal_codes"].split()
        if row["insee"] in ids
    }
    have_pairs = {
        (c, p): pk
        for pk, c, p in CommunePostalCode.objects.values_list("pk", "commune_id", "postal_code")
    }
    CommunePostalCode.objects.bulk_create(
        [
            CommunePostalCode(commune_id=c, postal_code=p)
            for c, p in wanted_pairs - have_pairs.keys()
        ],
        batch_size=5000,
    )
    stale = [
        pk
        for pair, pk in have_pairs.items()
        if pair not in wanted_pairs and pair[0] in ids.values()
    ]
    CommunePostalCode.objects.filter(pk__in=stale).delete()
    return {
        "created": len(new),
        "updated": len(changed),
        "deleted": deleted,
        "epci": len(epci_rows),
    }


def communes_refresh(*, communes_json: Path, epci_json: Path) -> dict:
    """Rebuilds data/ from newer upstream files, then loads them."""
    built = communes_build(communes_json=communes_json, epci_json=epci_json)
    return {**built, **communes_load()}


class AuthorityError(Exception):
    pass


@transaction.atomic
def authority_create_from_epci(
    *, siren: str, slug: str, code: str, contact_email: str, name: str | None = None, **fields
) -> Authority:
    """Creates an authority serving every member commune of an EPCI."""
    epci = Epci.objects.filter(siren=siren).first()
    if epci is None:
        raise AuthorityError(f"Aucun EPCI de SIREN {siren} dans les données des communes.")
    communes = list(Commune.objects.filter(epci_siren=siren))
    taken = AuthorityCommune.objects.filter(commune__in=communes).select_related(
        "commune", "authority"
    )
    if taken:
        names = ", ".join(f"{t.commune.name} ({t.authority.name})" for t in taken[:5])
        raise AuthorityError(f"Communes déjà desservies par une autre collectivité : {names}.")
    authority = Authority(
        name=name or epci.name,
        slug=slug,
        code=code,
        contact_email=contact_email,
        epci_siren=siren,
        **fields,
    )
    try:
        authority.full_clean()
    except ValidationError as error:
        raise AuthorityError(
            "; ".join(f"{k} : {' '.join(v)}" for k, v in error.message_dict.items())
        )
    authority.save(force_insert=True)
    AuthorityCommune.objects.bulk_create(
        [AuthorityCommune(authority=authority, commune=c) for c in communes]
    )
    return authority


@transaction.atomic
def authority_attach_epci(*, authority: Authority, siren: str) -> int:
    """Attaches the member communes of an EPCI not yet served by anyone; returns the count."""
    free = Commune.objects.filter(epci_siren=siren).exclude(authoritycommune__isnull=False)
    rows = [AuthorityCommune(authority=authority, commune=c) for c in free]
    AuthorityCommune.objects.bulk_create(rows)
    return len(rows)
