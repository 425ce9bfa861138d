"""The subscriber import: accounts, subscriptions and bins from an authority's billing
software (format: levee/collection/IMPORT_FORMAT.md, « Import des abonnés »).

One line per account, subscription and bin, the account repeated on each line of its
subscriptions, the subscription on each line of its bins. Read and checked like the other
imports (levee/collection/importers/reading.py). Each line is an upsert within the
authority: the account by its code usager, the subscription by its reference, the bin by
its chip (else its tank) number; a line changes only what differs, so importing the same
file again changes nothing. A column the header leaves out is left as it is; a column that
is there is the truth, empty cells included (identifiers aside: an empty identifiant
portail keeps the account's key, or gets a new one for a new account).

A line is applied whole or not at all (a savepoint each), and rejected with its reason when
it breaks a rule: a commune the authority does not serve, a subscription or a bin that
belongs to another account, a line that contradicts an earlier line of the file…
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q

from levee.authorities.models import Authority, Commune
from levee.collection.importers.batches import Importer, Outcome, import_file, rows_in_chunks
from levee.collection.importers.reading import CsvLayout, shown
from levee.collection.importers.values import FLUX_CODES, date_parse, flux_parse
from levee.collection.models import Bin, ImportBatch, ImportKind
from levee.lib.text import fold_compact

from .models import Account, Category, Civility, PaymentMode, Subscription, SubscriptionKind
from .services import account_create

ACCOUNT_COLUMNS = (
    "code_usager",
    "identifiant_portail",
    "categorie",
    "civilite",
    "nom",
    "prenom",
    "raison_sociale",
    "personnes_foyer",
    "email",
    "telephone",
    "mobile",
    "fact_numero",
    "fact_suffixe",
    "fact_voie",
    "fact_complement",
    "fact_code_postal",
    "fact_ville",
    "fact_pays",
)
SUBSCRIPTION_COLUMNS = (
    "reference",
    "type_forfait",
    "souscrit_le",
    "termine_le",
    "mode_paiement",
    "hab_numero",
    "hab_suffixe",
    "hab_voie",
    "hab_complement",
    "hab_code_postal",
    "hab_commune",
    "hab_insee",
)
BIN_COLUMNS = ("bac_flux", "bac_volume", "bac_puce", "bac_cuve", "bac_livre_le")
COLUMNS = ACCOUNT_COLUMNS + SUBSCRIPTION_COLUMNS + BIN_COLUMNS
LAYOUT = CsvLayout(
    what="d'abonnés",
    columns=COLUMNS,
    optional=frozenset(COLUMNS) - {"code_usager"},
    one_of=(("nom", "raison_sociale"),),
)
CHUNK_SIZE = 500

# column → (Account field, longest value)
ACCOUNT_TEXTS = {
    "nom": ("last_name", 100),
    "prenom": ("first_name", 100),
    "raison_sociale": ("company_name", 200),
    "telephone": ("phone", 20),
    "mobile": ("mobile", 20),
    "fact_numero": ("billing_number", 10),
    "fact_suffixe": ("billing_number_suffix", 10),
    "fact_voie": ("billing_street", 200),
    "fact_complement": ("billing_line2", 200),
    "fact_code_postal": ("billing_postal_code", 10),
    "fact_ville": ("billing_city", 100),
}
SUBSCRIPTION_TEXTS = {
    "hab_numero": ("number", 10),
    "hab_suffixe": ("number_suffix", 10),
    "hab_voie": ("street", 200),
    "hab_complement": ("complement", 200),
}
CATEGORIES = {
    **{fold_compact(c.value): c.value for c in Category},
    "part": Category.PARTICULIER,
    "pro": Category.PROFESSIONNEL,
    "entreprise": Category.PROFESSIONNEL,
}
CIVILITIES = {
    "m": Civility.M,
    "mr": Civility.M,
    "monsieur": Civility.M,
    "mme": Civility.MME,
    "madame": Civility.MME,
    "mlle": Civility.MME,
    "mademoiselle": Civility.MME,
    "moumme": Civility.M_OU_MME,
    "mmeoum": Civility.M_OU_MME,
    "metmme": Civility.M_OU_MME,
    "mrmme": Civility.M_OU_MME,
    "monsieuroumadame": Civility.M_OU_MME,
    "monsieuretmadame": Civility.M_OU_MME,
}
KINDS = {
    **{fold_compact(k.value): k.value for k in SubscriptionKind},
    "bacs": SubscriptionKind.BAC,
    "sacs": SubscriptionKind.SAC,
}
PAYMENT_MODES = {
    "facture": PaymentMode.INVOICE,
    "areceptiondefacture": PaymentMode.INVOICE,
    "receptiondefacture": PaymentMode.INVOICE,
    "tip": PaymentMode.INVOICE,
    "cheque": PaymentMode.INVOICE,
    "prelevement": PaymentMode.DIRECT_DEBIT,
    "prelevementautomatique": PaymentMode.DIRECT_DEBIT,
    "sepa": PaymentMode.DIRECT_DEBIT,
}
KEY_RE = re.compile(r"[A-Z0-9]{4,20}", re.ASCII)
POSTAL_CODE_RE = re.compile(r"\d{5}", re.ASCII)
INSEE_RE = re.compile(r"\d[0-9AB]\d{3}", re.ASCII)
MAX_VOLUME_LITRES = 10_000
SUMMARY_LABELS = {
    "accounts_created": "Comptes créés",
    "accounts_updated": "Comptes modifiés",
    "keys_generated": "Identifiants portail créés",
    "subscriptions_created": "Abonnements créés",
    "subscriptions_updated": "Abonnements modifiés",
    "bins_created": "Bacs créés",
    "bins_updated": "Bacs modifiés",
}


def subscriber_import(*, authority: Authority, file, filename: str, created_by=None) -> ImportBatch:
    """Imports a CSV file of accounts, subscriptions and bins for `authority` and returns
    its ImportBatch (`done` with its counts and rejected lines, or `failed` with a message
    and nothing imported)."""
    return import_file(
        authority=authority,
        kind=ImportKind.SUBSCRIBERS,
        file=file,
        filename=filename,
        created_by=created_by,
    )


class _Rejected(Exception):
    """The line breaks a rule found while applying it: rolled back, with this reason."""


# --- Parsing a line ---------------------------------------------------------------------


@dataclass
class _Line:
    code: str
    key: str  # "" : keep the account's key, or create one
    account: dict  # Account field → value, for the columns of the file
    reference: str = ""
    subscription: dict = field(default_factory=dict)
    commune_wanted: tuple | None = None  # (insee, postal code, name) when the file has them
    bin: dict = field(default_factory=dict)  # Bin field → value, when the line has a bin


def _text(value: str | None, label: str, longest: int) -> str | None:
    if value is not None and len(value) > longest:
        raise _Rejected(f"{label} trop long ({longest} caractères au plus)")
    return value


def _parse(fields: tuple) -> _Line:
    get = dict(zip(COLUMNS, fields, strict=True)).get
    code = get("code_usager")
    if not code:
        raise _Rejected("code usager manquant")
    _text(code, "code usager", 20)
    key = (get("identifiant_portail") or "").upper()
    if key and not KEY_RE.fullmatch(key):
        raise _Rejected(
            f"identifiant portail invalide : « {shown(key)} » (4 à 20 lettres ou chiffres)"
        )
    line = _Line(code=code, key=key, account=_account_values(get))
    reference = get("reference")
    bin_given = any(get(c) for c in BIN_COLUMNS)
    if not reference:
        if bin_given:
            raise _Rejected("un bac doit être rattaché à un abonnement : référence manquante")
        if any(get(c) for c in SUBSCRIPTION_COLUMNS):
            raise _Rejected("abonnement sans référence")
        return line
    line.reference = _text(reference, "référence", 20)
    line.subscription = _subscription_values(get)
    if any(get(c) is not None for c in ("hab_insee", "hab_code_postal", "hab_commune")):
        line.commune_wanted = (
            get("hab_insee") or "",
            get("hab_code_postal") or "",
            get("hab_commune") or "",
        )
    if bin_given:
        line.bin = _bin_values(get)
    return line


def _account_values(get) -> dict:
    values = {}
    for column, (name, longest) in ACCOUNT_TEXTS.items():
        value = _text(get(column), column.replace("_", " "), longest)
        if value is not None:
            values[name] = value
    category = get("categorie")
    if category is not None:
        values["category"] = (
            CATEGORIES.get(fold_compact(category)) if category else Category.PARTICULIER
        )
        if values["category"] is None:
            raise _Rejected(
                f"catégorie inconnue : « {shown(category)} » (Particulier, Professionnel, "
                "Administration ou Association)"
            )
    civility = get("civilite")
    if civility is not None:
        values["civility"] = CIVILITIES.get(fold_compact(civility)) if civility else ""
        if values["civility"] is None:
            raise _Rejected(f"civilité inconnue : « {shown(civility)} » (M, Mme ou M ou Mme)")
    size = get("personnes_foyer")
    if size is not None:
        if size and not (size.isascii() and size.isdigit() and 1 <= int(size) <= 99):
            raise _Rejected(f"nombre de personnes du foyer invalide : « {shown(size)} »")
        values["household_size"] = int(size) if size else None
    email = get("email")
    if email is not None:
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise _Rejected(f"email invalide : « {shown(email)} »")
        values["email"] = _text(email, "email", 254)
    country = get("fact_pays")
    if country is not None:
        country = country.upper() or "FR"
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise _Rejected(f"pays invalide : « {shown(country)} » (code à deux lettres : FR)")
        values["billing_country"] = country
    return values


def _subscription_values(get) -> dict:
    values = {}
    for column, (name, longest) in SUBSCRIPTION_TEXTS.items():
        value = _text(get(column), column.replace("_", " "), longest)
        if value is not None:
            values[name] = value
    if values.get("street") == "":
        raise _Rejected("voie de l'adresse d'habitation manquante (hab_voie)")
    kind = get("type_forfait")
    if kind is not None:
        values["kind"] = KINDS.get(fold_compact(kind))
        if values["kind"] is None:
            raise _Rejected(f"type de forfait inconnu : « {shown(kind)} » (Bac, Sac ou Badge)")
    for column, name, label in (
        ("souscrit_le", "subscribed_on", "date de souscription"),
        ("termine_le", "ended_on", "date de fin"),
    ):
        text = get(column)
        if text:
            values[name] = _date(text, label)
        elif text is not None:
            if name == "subscribed_on":
                raise _Rejected("date de souscription manquante (souscrit_le)")
            values[name] = None
    mode = get("mode_paiement")
    if mode is not None:
        values["payment_mode"] = PAYMENT_MODES.get(fold_compact(mode)) if mode else ""
        if values["payment_mode"] is None:
            raise _Rejected(
                f"mode de paiement inconnu : « {shown(mode)} » (facture ou prélèvement)"
            )
    return values


def _bin_values(get) -> dict:
    flux = flux_parse(get("bac_flux") or "")
    if flux not in FLUX_CODES:
        raise _Rejected(f"bac : {flux}")
    if not flux:
        raise _Rejected("bac : flux manquant (bac_flux)")
    volume = get("bac_volume") or ""
    if not (volume.isascii() and volume.isdigit() and 0 < int(volume) <= MAX_VOLUME_LITRES):
        raise _Rejected(f"bac : volume invalide : « {shown(volume)} » (en litres, 1 à 10000)")
    chip = _text(get("bac_puce") or "", "bac : n° de puce", 30)
    tank = _text(get("bac_cuve") or "", "bac : n° de cuve", 30)
    if not chip and not tank:
        raise _Rejected("bac : ni n° de puce ni n° de cuve")
    delivered = get("bac_livre_le")
    if not delivered:
        raise _Rejected("bac : date de livraison manquante (bac_livre_le)")
    return {
        "flux": flux,
        "volume_litres": int(volume),
        "chip_number": chip,
        "tank_number": tank,
        "delivered_on": _date(delivered, "bac : date de livraison"),
    }


def _date(text: str, label: str):
    value = date_parse(text, label)
    if isinstance(value, str):
        raise _Rejected(value)
    return value


# --- The authority's communes ------------------------------------------------------------


class _Communes:
    """The communes the authority serves, found by INSEE code or postal code and name."""

    def __init__(self, authority: Authority):
        self.served = list(
            Commune.objects.filter(authorities=authority).prefetch_related("postal_codes")
        )
        self.codes = {
            c.pk: sorted(p.postal_code for p in c.postal_codes.all()) for c in self.served
        }
        self.by_insee = {c.insee: c for c in self.served}
        self.refused = {}  # the reasons already found for a commune that is not served

    def find(self, insee: str, postal_code: str, name: str) -> tuple[Commune, str]:
        """The served commune and the postal code of the dwelling, or _Rejected."""
        if postal_code and not POSTAL_CODE_RE.fullmatch(postal_code):
            raise _Rejected(f"code postal invalide : « {shown(postal_code)} »")
        if insee:
            commune = self.by_insee.get(insee)
            if commune is None:
                raise _Rejected(self._refusal(insee=insee))
        else:
            if not postal_code:
                raise _Rejected("commune de l'habitation manquante (hab_insee ou hab_code_postal)")
            key = fold_compact(name)
            found = [
                c
                for c in self.served
                if postal_code in self.codes[c.pk] and (not key or fold_compact(c.name) == key)
            ]
            if len(found) != 1:
                if len(found) > 1:
                    raise _Rejected(
                        f"plusieurs communes ont le code postal {postal_code} : "
                        "donnez le nom de la commune (hab_commune) ou son code INSEE"
                    )
                raise _Rejected(self._refusal(postal_code=postal_code, name=name))
            commune = found[0]
        codes = self.codes[commune.pk]
        if not postal_code:
            if len(codes) != 1:
                raise _Rejected(f"code postal manquant : la commune {commune.name} en a plusieurs")
            postal_code = codes[0]
        elif postal_code not in codes:
            raise _Rejected(
                f"le code postal {postal_code} n'est pas celui de la commune {commune.name}"
            )
        return commune, postal_code

    def _refusal(self, *, insee: str = "", postal_code: str = "", name: str = "") -> str:
        key = (insee, postal_code, fold_compact(name))
        if key not in self.refused:
            if insee:
                if not INSEE_RE.fullmatch(insee):
                    reason = f"code INSEE invalide : « {shown(insee)} »"
                else:
                    commune = Commune.objects.filter(insee=insee).first()
                    reason = (
                        f"commune {commune.name} (INSEE {insee}) non desservie par la collectivité"
                        if commune
                        else f"code INSEE inconnu : « {insee} »"
                    )
            else:
                known = [
                    c
                    for c in Commune.objects.filter(postal_codes__postal_code=postal_code)
                    if not key[2] or fold_compact(c.name) == key[2]
                ]
                shown_name = f"{postal_code} {shown(name)}".strip()
                reason = (
                    f"commune {known[0].name} ({postal_code}) non desservie par la collectivité"
                    if known
                    else f"commune inconnue : « {shown_name} »"
                )
            self.refused[key] = reason
        return self.refused[key]


# --- What the database holds, a chunk of lines at a time ---------------------------------

MISSING = object()


class _Known:
    """The accounts, subscriptions and bins the lines of a chunk name, fetched at once.

    A key fetched and not found maps to None; a key dropped (after a line was rolled back,
    its objects may hold values that never reached the database) is fetched again alone.
    """

    def __init__(self, authority: Authority):
        self.authority = authority

    def load(self, lines: list[_Line]) -> None:
        codes = {line.code for line in lines}
        keys = {line.key for line in lines if line.key}
        references = {line.reference for line in lines if line.reference}
        chips = {line.bin["chip_number"] for line in lines if line.bin.get("chip_number")}
        tanks = {line.bin["tank_number"] for line in lines if line.bin.get("tank_number")}
        self.accounts = dict.fromkeys(codes)
        self.accounts.update({a.code: a for a in self._accounts(code__in=codes)})
        self.key_owners = dict.fromkeys(keys)
        self.key_owners.update(
            self._accounts(portal_key__in=keys).values_list("portal_key", "code")
        )
        self.subscriptions = dict.fromkeys(references)
        self.subscriptions.update({s.reference: s for s in self._subscriptions(references)})
        self.by_chip = dict.fromkeys(chips)
        self.by_tank = dict.fromkeys(tanks)
        for bin in self._bins(Q(chip_number__in=chips) | Q(tank_number__in=tanks)):
            self._bin_keep(bin)

    def _accounts(self, **lookup):
        return Account.objects.filter(authority=self.authority, **lookup)

    def _subscriptions(self, references):
        return Subscription.objects.filter(
            authority=self.authority, reference__in=references
        ).select_related("account")

    def _bins(self, condition: Q):
        return Bin.objects.filter(condition, authority=self.authority).select_related(
            "subscription"
        )

    def _bin_keep(self, bin: Bin) -> None:
        if bin.chip_number:
            self.by_chip[bin.chip_number] = bin
        if bin.tank_number:
            self.by_tank[bin.tank_number] = bin

    def account(self, code: str) -> Account | None:
        found = self.accounts.get(code, MISSING)
        if found is MISSING:
            found = self.accounts[code] = self._accounts(code=code).first()
        return found

    def key_owner(self, key: str) -> str | None:
        found = self.key_owners.get(key, MISSING)
        if found is MISSING:
            found = self.key_owners[key] = (
                self._accounts(portal_key=key).values_list("code", flat=True).first()
            )
        return found

    def subscription(self, reference: str) -> Subscription | None:
        found = self.subscriptions.get(reference, MISSING)
        if found is MISSING:
            found = self.subscriptions[reference] = self._subscriptions([reference]).first()
        return found

    def bin(self, *, chip: str = "", tank: str = "") -> Bin | None:
        table, number, lookup = (
            (self.by_chip, chip, "chip_number") if chip else (self.by_tank, tank, "tank_number")
        )
        found = table.get(number, MISSING)
        if found is MISSING:
            found = table[number] = self._bins(Q(**{lookup: number})).first()
        return found

    def forget(self) -> None:
        """After a line was rolled back: its objects may hold values that never reached
        the database, and may sit under several keys; the rest of the chunk asks again."""
        self.accounts, self.key_owners, self.subscriptions = {}, {}, {}
        self.by_chip, self.by_tank = {}, {}


# --- Applying a line ---------------------------------------------------------------------


class _Import:
    def __init__(self, authority: Authority):
        self.authority = authority
        self.communes = _Communes(authority)
        self.known = _Known(authority)
        self.counts = Counter()
        self.line_counts = Counter()
        # What earlier lines said of each account, subscription and bin: (line, fingerprint)
        self.seen = {}

    def apply(self, number: int, line: _Line) -> Counter:
        """Applies a line; returns what it created or changed (SUMMARY_LABELS' keys)."""
        self.line_counts = Counter()
        marks = self._check_consistency(number, line)
        account = self._account(line)
        if line.reference:
            subscription = self._subscription(line, account)
            if line.bin:
                self._bin(line, subscription)
        for key, mark in marks.items():
            self.seen.setdefault(key, mark)  # the first line that said it
        return self.line_counts

    def _check_consistency(self, number: int, line: _Line) -> dict:
        marks = {
            ("compte usager", line.code): (line.key, sorted(line.account.items())),
        }
        if line.reference:
            marks[("abonnement", line.reference)] = (
                line.code,
                sorted(line.subscription.items()),
                line.commune_wanted,
            )
        if line.bin:
            number_key = line.bin["chip_number"] or line.bin["tank_number"]
            marks[("bac", number_key)] = (line.reference, sorted(line.bin.items()))
        for (what, key), fingerprint in marks.items():
            earlier = self.seen.get((what, key))
            if earlier is not None and earlier[1] != fingerprint:
                raise _Rejected(
                    f"{what} « {shown(key)} » décrit autrement ligne {earlier[0]} : "
                    "une même donnée ne peut avoir deux valeurs dans le fichier"
                )
        return {k: (number, fingerprint) for k, fingerprint in marks.items()}

    def _account(self, line: _Line) -> Account:
        account = self.known.account(line.code)
        if line.key:
            owner = self.known.key_owner(line.key)
            if owner is not None and owner != line.code:
                raise _Rejected(
                    f"identifiant portail « {line.key} » déjà attribué au compte usager {owner}"
                )
        if account is None:
            values = line.account
            if not (values.get("last_name") or values.get("company_name")):
                raise _Rejected("ni nom ni raison sociale")
            account = account_create(
                authority=self.authority, values=values, code=line.code, portal_key=line.key
            )
            key = account.portal_key
            self.known.accounts[line.code] = account
            self.known.key_owners[key] = line.code
            self.line_counts["accounts_created"] += 1
            self.line_counts["keys_generated"] += not line.key
            return account
        changes = _changes(account, line.account)
        if line.key and line.key != account.portal_key:
            changes["portal_key"] = line.key
        if not changes:
            return account
        old_key = account.portal_key
        for name, value in changes.items():
            setattr(account, name, value)
        if not (account.last_name or account.company_name):
            raise _Rejected("ni nom ni raison sociale")
        account.save(update_fields=[*changes, "updated_at"])
        if "portal_key" in changes:
            self.known.key_owners[old_key] = None  # free for another account of the file
            self.known.key_owners[line.key] = line.code
        self.line_counts["accounts_updated"] += 1
        return account

    def _subscription(self, line: _Line, account: Account) -> Subscription:
        values = dict(line.subscription)
        if line.commune_wanted is not None:
            values["commune"], values["postal_code"] = self.communes.find(*line.commune_wanted)
        subscription = self.known.subscription(line.reference)
        if subscription is not None and subscription.account_id != account.pk:
            raise _Rejected(
                f"l'abonnement {line.reference} appartient au compte usager "
                f"{subscription.account.code}"
            )
        if subscription is None:
            missing = [
                label
                for name, label in (
                    ("subscribed_on", "date de souscription (souscrit_le)"),
                    ("commune", "commune de l'habitation (hab_insee ou hab_code_postal)"),
                    ("street", "voie de l'adresse d'habitation (hab_voie)"),
                )
                if not values.get(name)
            ]
            if missing:
                raise _Rejected("abonnement incomplet : " + ", ".join(missing) + " manquante")
            values.setdefault("kind", SubscriptionKind.BAC)
            _dates_check(values["subscribed_on"], values.get("ended_on"))
            subscription = Subscription.objects.create(
                authority=self.authority, account=account, reference=line.reference, **values
            )
            self.known.subscriptions[line.reference] = subscription
            self.line_counts["subscriptions_created"] += 1
            return subscription
        changes = _changes(subscription, values)
        if not changes:
            return subscription
        for name, value in changes.items():
            setattr(subscription, name, value)
        _dates_check(subscription.subscribed_on, subscription.ended_on)
        subscription.save(update_fields=[*changes, "updated_at"])
        self.line_counts["subscriptions_updated"] += 1
        return subscription

    def _bin(self, line: _Line, subscription: Subscription) -> None:
        values = line.bin
        chip, tank = values["chip_number"], values["tank_number"]
        by_chip = self.known.bin(chip=chip) if chip else None
        by_tank = self.known.bin(tank=tank) if tank else None
        if by_chip and by_tank and by_chip.pk != by_tank.pk:
            raise _Rejected("bac : la puce et la cuve désignent deux bacs différents")
        bin = by_chip or by_tank
        if bin is not None and bin.subscription_id != subscription.pk:
            raise _Rejected(
                f"bac {shown(chip or tank)} déjà rattaché à l'abonnement "
                f"{bin.subscription.reference}"
            )
        if bin is None:
            bin = Bin.objects.create(
                authority=self.authority,
                subscription=subscription,
                account_id=subscription.account_id,
                **values,
            )
            self.known._bin_keep(bin)
            self.line_counts["bins_created"] += 1
            return
        # A number the file leaves empty is not taken from the bin: identifiers only change.
        changes = _changes(bin, {k: v for k, v in values.items() if v != ""})
        if not changes:
            return
        for name, value in changes.items():
            setattr(bin, name, value)
        bin.save(update_fields=[*changes, "updated_at"])
        self.known._bin_keep(bin)
        self.line_counts["bins_updated"] += 1


def _changes(obj, values: dict) -> dict:
    return {name: value for name, value in values.items() if getattr(obj, name) != value}


def _dates_check(subscribed_on, ended_on) -> None:
    if ended_on is not None and ended_on < subscribed_on:
        raise _Rejected(
            f"date de fin ({ended_on:%d/%m/%Y}) antérieure à la date de souscription "
            f"({subscribed_on:%d/%m/%Y})"
        )


def _subscriber_rows_import(*, authority: Authority, batch: ImportBatch, rows) -> Outcome:
    outcome = Outcome()
    work = _Import(authority)
    for chunk in rows_in_chunks(rows, CHUNK_SIZE):
        parsed, rejects = [], []
        for number, fields in chunk:
            outcome.rows_total += 1
            if isinstance(fields, str):
                rejects.append((number, fields))
                continue
            try:
                parsed.append((number, _parse(fields)))
            except _Rejected as rejected:
                rejects.append((number, str(rejected)))
        work.known.load([line for _, line in parsed])
        for number, line in parsed:
            try:
                with transaction.atomic():
                    done = work.apply(number, line)
            except _Rejected as rejected:
                work.known.forget()
                rejects.append((number, str(rejected)))
            except (IntegrityError, DataError):
                work.known.forget()
                rejects.append(
                    (number, "ligne en conflit avec les données existantes (numéro déjà attribué)")
                )
            else:
                work.counts.update(done)
                outcome.rows_imported += bool(done)
        for number, reason in sorted(rejects):
            outcome.reject(number, reason)
    outcome.summary = [[label, work.counts[key]] for key, label in SUMMARY_LABELS.items()]
    return outcome


IMPORTER = Importer(layout=LAYOUT, rows_import=_subscriber_rows_import)
