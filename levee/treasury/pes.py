"""The PES V2 file of a rôle ORMC (PES_Aller, TypFic PESORMC), written as a stream.

`levee/billing/PES.md` describes the file, element by element, and its sources. One file
holds one bordereau of consecutive invoices of a published real run (one piece per
invoice, one line per invoice line of a positive amount), then, when the authority asks,
the PES_PJ block with each invoice's PDF as issued (gzip, then base64).

Memory stays flat whatever the run's size, and the writing keeps close to the time of the
queries reading the same fields: each file reads its own range of invoices by index,
`chunk_size` invoices at a time as plain tuples (no model instance), each chunk's
invoices, accounts (by primary key), lines and debits read whole before it is written, so
that no read stays open while the writer calls back (`_chunks`); each piece is written
from strings, what does not change from piece to piece computed once per file, the texts
folded once and cached; the pieces go to disk `chunk_size` at a time. The PDFs are compressed and encoded one at a
time, in slices. The file is byte for byte the one lxml would serialise from the same
elements (`tests/test_pes_golden.py`).

The bordereau d'annulation-réduction (TypBord 02, `credit_file_write`) carries the avoirs
of titles already taken in charge, one piece per avoir naming its title; the codes the
documentation did not settle are in one block below (« The bordereau d'annulation-réduction »).
"""

import base64
import datetime
import functools
import gzip
import operator
import re
import unicodedata
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from levee.billing.models import (
    BillingRun,
    CreditNoteReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from levee.lib.text import fold
from levee.payments.models import DebitStatus, MandateStatus, ScheduledDebit
from levee.subscribers.models import Account, Category, Civility

from .models import PublicAccountingSettings

NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
ENCODING = "ISO-8859-1"
SENDER = "LEVEE"
CHUNK_SIZE = 2000
# base64 turns each 3 bytes into 4 characters: slices of a multiple of 3 bytes concatenate.
_B64_SLICE = 3 * 64 * 1024

# The code lists the generator writes (PES.md gives their meaning).
TYP_BORD_ORMC = "06"
TYP_PCE_ORMC = "15"
NAT_PCE_FONCTIONNEMENT = "01"
EDITION_ORMC_CPP = "03"  # the DGFiP prints and posts the notices
EDITION_WITHOUT_DGFIP = "04"  # the authority sends its invoices itself
NAT_PREL_TRESOR = "01"
PER_PREL_UNIQUE = "07"
PER_PREL_MONTHLY = "02"
SEQUENCE_FIRST, SEQUENCE_RECURRENT, SEQUENCE_FINAL = "02", "03", "04"
TYPE_PJ_ORMC = "007"

_CLE2_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"  # 23 letters: no I, O, Z
_SEPA_REFUSED = re.compile(r"[^0-9A-Za-z/?:().,'+ \-]")
_POSTAL_TOWN = re.compile(r"^(.*?)\s*\b(\d{5})\s+(\S.*)$")

# (CatTiers, NatJur) of each account category.
TIERS_CATEGORY = {
    Category.PARTICULIER: ("01", "01"),  # personne physique, particulier
    Category.PROFESSIONNEL: ("60", "03"),  # personne morale de droit privé, société
    Category.ASSOCIATION: ("60", "06"),  # personne morale de droit privé, association
    Category.ADMINISTRATION: ("29", "09"),  # autre établissement public, collectivité/EPL
}
CIVILITE = {Civility.M: "M", Civility.MME: "MME", Civility.M_OU_MME: "M"}


class PesError(Exception):
    """A rôle that cannot be written; the message is French, for the agent."""


# --- Values --------------------------------------------------------------------------------


class _Folding(dict):
    """What each character becomes in a PES text, before the spaces are collapsed and the
    text upper-cased: its NFKD decomposition without the combining marks, « œ æ ß » spelt
    out, « ’ « » » as ASCII quotes, anything else outside printable ASCII (the C0
    controls, DEL, other scripts) as a space. Filled as the characters are met (`str.translate`
    asks for each one), so a text is folded in one pass. Applying this to each character
    gives the same as applying it to the whole text: NFKD decomposes character by
    character, and the only reordering it does is among the combining marks, all dropped."""

    _WIDE = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "’": "'", "«": '"', "»": '"'}

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if 32 <= code < 127:
            folded = char
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            folded = "".join(
                self._WIDE.get(c, c) for c in decomposed if not unicodedata.combining(c)
            )
            folded = "".join(c if 32 <= ord(c) < 127 else " " for c in folded)
        self[code] = folded
        return folded


_FOLDING = _Folding()


@functools.lru_cache(maxsize=65536)
def pes_text(value: str, length: int) -> str:
    """A text as the PES wants it: upper case, no accents, no line breaks, one space
    between words, at most `length` characters (cut at the last space when possible).
    Cached: a rôle writes the same towns, streets, labels and objects many times."""
    return _cut(_words_of(value), length)


def _words_of(value: str) -> str:
    """`pes_text` before it is cut. Folding works character by character and the spaces
    are collapsed: the words of « a b » are those of « a », a space, those of « b »."""
    return " ".join(str(value or "").translate(_FOLDING).split()).upper()


_words = functools.lru_cache(maxsize=65536)(_words_of)


def _cut(text: str, length: int) -> str:
    if len(text) > length:
        cut = text[:length]
        text = cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut
    return text.strip()


# `pes_text` without its cache, for the texts that are mostly one per invoice (a cache
# would only cost its bookkeeping there).
def _fold(value: str, length: int) -> str:
    return _cut(_words_of(value), length)


def sepa_text(value: str, length: int) -> str:
    """`pes_text` limited to the SEPA character set."""
    return " ".join(_SEPA_REFUSED.sub(" ", pes_text(value, length)).split())


def amount(cents: int) -> str:
    """4560 → « 45.60 »."""
    if cents >= 0:
        return f"{cents // 100}.{cents % 100:02d}"
    return f"{Decimal(cents) / 100:.2f}"


def vat_rate(vat_rate_bp: int) -> str:
    """550 → « 5.50 »."""
    return amount(vat_rate_bp)


def period_digit(run: BillingRun) -> str:
    """Per: 0 for a yearly run, 1 or 2 for a half-year's."""
    whole_year = (run.period_start.month, run.period_start.day) == (1, 1) and (
        run.period_end.month,
        run.period_end.day,
    ) == (12, 31)
    if whole_year:
        return "0"
    return "1" if run.period_start.month <= 6 else "2"


def cle1(*, collectivity_code: str, nature_code: str, year: int, period: str, debt: str) -> str:
    """The modulo-11 key of an article de rôle, over « code collectivité + code nature +
    2 derniers chiffres de l'exercice + période + n° de dette (13 chiffres) »: digits
    weighted 2 to 7 from the right; 11 − (sum mod 11), 10 and 11 giving 1. A letter counts
    for nothing."""
    digits = f"{collectivity_code}{nature_code}{year % 100:02d}{period}{debt:0>13}"[::-1]
    total = sum(
        (int(c) if c.isdigit() else 0) * (2 + position % 6) for position, c in enumerate(digits)
    )
    key = 11 - total % 11
    return str(1 if key > 9 else key)


def cle2(*, year: int, period: str, debt: str) -> str:
    """The modulo-23 key of an article de rôle, over « 2 derniers chiffres de l'exercice +
    période + 00 + n° de dette (13 chiffres) », as one of 23 letters."""
    return _CLE2_LETTERS[int(f"{year % 100:02d}{period}00{debt:0>13}") % 23]


def _split_words(text: str, length: int) -> tuple[str, str]:
    """The first `length` characters of a text cut between words, and the rest."""
    text = pes_text(text, 1000)
    if len(text) <= length:
        return text, ""
    cut = text[: length + 1].rsplit(" ", 1)[0] if " " in text[: length + 1] else text[:length]
    return cut.strip(), text[len(cut) :].strip()


def address_fields(invoice: Invoice) -> dict[str, str]:
    """The invoice's payer address in the PES fields (Adr1 complement, Adr2 number and
    street, Adr3 the rest, CP, Ville, CodRes, CodPays), from the account's own fields when
    the address is still the one the invoice printed, else read back from the invoice's
    one line."""
    return address_of(invoice.account, invoice.payer_address)


# The postal code Hélios takes for a debtor abroad (« Lorsque le tiers réside à l'étranger,
# mettre 99999 dans code postal », the annotation of CP), the foreign postal code going
# into Ville.
CP_ABROAD = "99999"
_FRENCH_CP = re.compile(r"^[0-9]{5}$")

# CodPays: the country's code as Hélios knows it, INSEE's code officiel géographique of
# the country without its « 99 » (France is 100: « CodRes à 0 oblige à la non
# valorisation ou à la valorisation à 100 de la balise CodPays »), from the account's
# ISO 3166 letters.
COUNTRY_CODES = {
    "FR": "100",
    "DK": "101",
    "IS": "102",
    "NO": "103",
    "SE": "104",
    "FI": "105",
    "EE": "106",
    "LV": "107",
    "LT": "108",
    "DE": "109",
    "AT": "110",
    "BG": "111",
    "HU": "112",
    "LI": "113",
    "RO": "114",
    "CZ": "116",
    "SK": "117",
    "HR": "119",
    "PL": "122",
    "GR": "126",
    "IT": "127",
    "SM": "128",
    "VA": "129",
    "AD": "130",
    "BE": "131",
    "GB": "132",
    "ES": "134",
    "NL": "135",
    "IE": "136",
    "LU": "137",
    "MC": "138",
    "PT": "139",
    "CH": "140",
    "MT": "144",
    "SI": "145",
    "CY": "254",
    "MA": "350",
    "TN": "351",
    "DZ": "352",
    "CA": "401",
    "US": "404",
}


def address_of(account, payer_address: str) -> dict[str, str]:
    """`address_fields` from an account (or any object with its billing fields) and the
    address the invoice printed. What the printed line does not give (a postal code and
    town) is taken from the account's fields today. A debtor abroad is a non-resident
    (CodRes 1) with its CodPays, CP 99999 and its own postal code before its town in
    Ville. An address that cannot make a valid Adresse raises a French `PesError`."""
    country = (account.billing_country or "FR").upper()
    fields = _address_parts(account, payer_address, abroad=country != "FR")
    if country == "FR":
        if not fields["CP"] or not fields["Ville"]:
            fields["CP"] = pes_text(account.billing_postal_code, 5)
            fields["Ville"] = _town(account)
        resident, country_code = True, ""
    else:
        country_code = COUNTRY_CODES.get(country, "")
        if not country_code:
            raise PesError(
                f"Le pays « {country} » de l'adresse du compte {account.code} n'a pas de "
                "code pays connu du PES : corrigez l'adresse de facturation du compte."
            )
        if fields["from_account"] or not fields["Ville"]:
            postal_code = _words(account.billing_postal_code)
            fields["Ville"] = _cut(f"{postal_code} {_town(account)}".strip(), 38)
        fields["CP"] = CP_ABROAD
        resident = False
    if not fields["Adr2"] or not _FRENCH_CP.match(fields["CP"]) or not fields["Ville"]:
        raise PesError(
            f"L'adresse de facturation du compte {account.code} est incomplète pour le PES "
            "(voie, code postal à 5 chiffres et commune) : complétez-la avant de générer "
            "le rôle."
        )
    del fields["from_account"]
    fields["CodRes"] = "0" if resident else "1"
    fields["CodPays"] = country_code
    return fields


def _town(account) -> str:
    return pes_text(f"{account.billing_city} {account.billing_city_complement}", 38)


def _address_parts(account, payer_address: str, *, abroad: bool) -> dict:
    """Adr1, Adr2, Adr3, CP and Ville as the invoice printed them, and whether they come
    from the account's fields. Read back from the printed line, a French address ends with
    « 59270 BAILLEUL »; one abroad, whose postal codes have no one form, with the postal
    code and town the account holds (both kept in Ville), when it still does."""
    printed = " ".join((payer_address or "").split()).upper()
    if account.billing_street and printed == " ".join(account.billing_address_line.split()).upper():
        a = account
        adr1 = ""
        if a.billing_apartment or a.billing_staircase or a.billing_floor or a.billing_building:
            labelled = (
                ("APP.", a.billing_apartment),
                ("ESC.", a.billing_staircase),
                ("ETG.", a.billing_floor),
                ("BAT.", a.billing_building),
            )
            adr1 = _fold(" ".join(f"{k} {v}" for k, v in labelled if v), 38)
        # Number and street folded apart (each is met again on other accounts), then cut.
        number = " ".join(
            w for w in (_words(a.billing_number), _words(a.billing_number_suffix)) if w
        )
        street = _words(a.billing_street)
        rest = a.billing_line2
        if a.billing_po_box:
            rest = f"{rest} BP {a.billing_po_box}" if rest else f"BP {a.billing_po_box}"
        return {
            "Adr1": adr1,
            "Adr2": _cut(f"{number} {street}" if number and street else number or street, 38),
            "Adr3": pes_text(rest, 38) if rest else "",
            "CP": pes_text(a.billing_postal_code, 5),
            "Ville": _town(a),
            "from_account": True,
        }
    text = pes_text(printed, 1000)
    if abroad:
        town = _words_of(
            f"{account.billing_postal_code} {account.billing_city} "
            f"{account.billing_city_complement}"
        )
        if town and text.endswith(f" {town}"):
            street, postal_code = text[: -len(town) - 1], ""
        else:
            street, postal_code, town = text, "", ""
    else:
        match = _POSTAL_TOWN.match(text)
        street, postal_code, town = (match[1], match[2], match[3]) if match else (text, "", "")
    adr2, adr3 = _split_words(street.strip(" ,"), 38)
    return {
        "Adr1": "",
        "Adr2": adr2,
        "Adr3": pes_text(adr3, 38),
        "CP": postal_code,
        "Ville": pes_text(town, 38),
        "from_account": False,
    }


def split_cents(total: int, weights: list[int]) -> list[int]:
    """`total` shared in proportion to `weights` (largest remainders): the parts add up."""
    whole = sum(weights)
    if not weights or whole <= 0:
        return [0] * len(weights)
    raw = [total * w for w in weights]
    parts = [r // whole for r in raw]
    order = sorted(range(len(weights)), key=lambda k: (-(raw[k] % whole), k))
    for k in order[: total - sum(parts)]:
        parts[k] += 1
    return parts


@dataclass
class PieceLine:
    kind: str
    label: str
    ht_cents: int
    vat_cents: int = 0
    debit_cents: int = 0


def piece_lines(invoice: Invoice, lines: list[InvoiceLine], debited_cents: int) -> list[PieceLine]:
    """The invoice's lines as the PES takes them: amounts above zero only. A line of zero
    is left out (the lifts included in the plan); a negative one (a deduction) is taken
    off the largest positive lines (one it empties is left out), so the piece still adds
    up to the invoice's HT. The
    VAT and the debit are shared between the lines in proportion."""
    kept = [
        PieceLine(line.kind, line.label, line.amount_cents)
        for line in lines
        if line.amount_cents > 0
    ]
    deduction = -sum(line.amount_cents for line in lines if line.amount_cents < 0)
    for line in sorted(kept, key=lambda p: -p.ht_cents):
        take = min(deduction, line.ht_cents)
        line.ht_cents -= take
        deduction -= take
    kept = [line for line in kept if line.ht_cents > 0]
    if deduction or not kept:
        raise PesError(
            f"La facture {invoice.number} a des déductions égales ou supérieures à ses lignes : "
            "elle ne peut pas devenir un titre."
        )
    for line, vat in zip(
        kept, split_cents(invoice.vat_cents, [p.ht_cents for p in kept]), strict=True
    ):
        line.vat_cents = vat
    shares = split_cents(debited_cents, [p.ht_cents + p.vat_cents for p in kept])
    for line, share in zip(kept, shares, strict=True):
        line.debit_cents = share
    return kept


def sequence_of(debits: list[ScheduledDebit]) -> str:
    """FRST for the mandate's first debit, FNAL for the last of a revoked mandate, RCUR
    otherwise (from the mandate's whole history of debits, read with the invoice's)."""
    first, last = debits[0], debits[-1]
    return _sequence(
        first.due_on,
        first.mandate_first_due,
        first.mandate.status,
        last.due_on,
        last.mandate_last_due,
    )


def _sequence(first_due, mandate_first_due, status: str, last_due, mandate_last_due) -> str:
    if first_due <= mandate_first_due:
        return SEQUENCE_FIRST
    if status == MandateStatus.REVOKED and last_due >= mandate_last_due:
        return SEQUENCE_FINAL
    return SEQUENCE_RECURRENT


# --- What is written -----------------------------------------------------------------------


def titled_invoices(run: BillingRun):
    """The run's invoices that become pieces of its rôle, in order: numbered, still to pay
    (a cancelled invoice is no debt; one already paid, to a régie before the authority
    moved to titles, is not claimed again), of an amount above zero."""
    return (
        Invoice.objects.filter(
            authority_id=run.authority_id,
            run_id=run.pk,
            status=InvoiceStatus.OPEN,
            total_ht_cents__gt=0,
        )
        .exclude(number="")
        .order_by("pk")
    )


@dataclass
class FileSpec:
    """What the header of one file needs before its pieces are written."""

    run: BillingRun
    settings: PublicAccountingSettings
    year: int
    bordereau: int
    name: str
    first_id: int
    last_id: int
    generated_on: datetime.date
    stamp: str  # makes every PJ's IdUnique new at each generation
    pieces: int = 0
    total_ht_cents: int = 0
    vat_cents: int = 0


@dataclass
class FileWritten:
    pieces: int = 0
    lines: int = 0
    debited: int = 0
    attachments: int = 0
    total_ht_cents: int = 0
    vat_cents: int = 0
    debt_numbers: list[str] = field(default_factory=list)
    # The invoices written, in the order of their pieces: IdPce n is invoice_ids[n - 1].
    invoice_ids: list[int] = field(default_factory=list)


def file_totals(spec: FileSpec) -> None:
    """Counts and totals of the file's invoices, by one aggregate query."""
    totals = (
        titled_invoices(spec.run)
        .filter(pk__gte=spec.first_id, pk__lte=spec.last_id)
        .aggregate(
            count=Count("pk"),
            ht=Sum("total_ht_cents"),
            vat=Sum("vat_cents", filter=Q(vat_cents__gt=0)),
        )
    )
    spec.pieces = totals["count"]
    spec.total_ht_cents = totals["ht"] or 0
    spec.vat_cents = totals["vat"] or 0


def pj_unique_id(spec: FileSpec, invoice: Invoice) -> str:
    return _pj_unique_id(spec, invoice.number)


def _pj_unique_id(spec: FileSpec, number: str) -> str:
    return f"LV{spec.stamp}B{spec.bordereau}F{number}"[:50]


def pj_name(invoice: Invoice) -> str:
    return f"FACTURE_{invoice.number}.pdf"


# --- The writer: each piece written from strings, every value escaped once ----------------
#
# The file is the one libxml2 would serialise (an earlier writer built each piece as an
# lxml tree): no indentation, empty elements as « <Tag V="…"/> », attribute values escaped
# as libxml2 does (& < > " and tab, line feed, carriage return as character references),
# ISO-8859-1 with the characters it lacks as decimal character references. The tests pin
# its bytes (`tests/test_pes_golden.py`).

# What XML 1.0 cannot carry at all (lxml refuses it too).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def xml_attr(value: str) -> str:
    """An attribute's value, escaped as libxml2 writes it."""
    if _ATTR_SPECIAL.search(value) is None:
        return value
    if _NOT_XML.search(value):
        raise ValueError(f"A PES value cannot carry a control character: {value!r}")
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def leaf(tag: str, value) -> str:
    """« <Tag V="value"/> », nothing for an empty value (the PES has no empty element)."""
    if value is None or value == "":
        return ""
    return f'<{tag} V="{xml_attr(str(value))}"/>'


@functools.lru_cache(maxsize=65536)
def _text_leaf(tag: str, value: str, length: int) -> str:
    return leaf(tag, pes_text(value, length))


# For the values met again and again (towns, postal codes, an empty field).
_repeated_leaf = functools.lru_cache(maxsize=65536)(leaf)


_WEIGHTS = (2, 3, 4, 5, 6, 7) * 6


class _Keys:
    """Cle1 and Cle2 of the debts of one file: the part of Cle1's sum that does not depend
    on the debt's number is computed once (the same result as `cle1`, `cle2`)."""

    def __init__(self, *, collectivity_code: str, nature_code: str, year: int, period: str):
        self.keys = {"collectivity_code": collectivity_code, "nature_code": nature_code}
        self.year, self.period = year, period
        prefix = f"{collectivity_code}{nature_code}{year % 100:02d}{period}"[::-1]
        self.prefix_sum = sum(
            (int(c) if c.isdigit() else 0) * (2 + (13 + position) % 6)
            for position, c in enumerate(prefix)
        )
        self.cle2_head = int(f"{year % 100:02d}{period}00") * 10**13

    def cle1(self, debt: str) -> str:
        if len(debt) > 13 or not debt.isdigit():
            return cle1(**self.keys, year=self.year, period=self.period, debt=debt)
        total = self.prefix_sum + sum(map(operator.mul, map(int, reversed(debt)), _WEIGHTS))
        key = 11 - total % 11
        return str(1 if key > 9 else key)

    def cle2(self, debt: str) -> str:
        if len(debt) > 13 or not debt.isdigit():
            return cle2(year=self.year, period=self.period, debt=debt)
        return _CLE2_LETTERS[(self.cle2_head + int(debt)) % 23]


# The fields read for each piece, by plain queries (no model instance).
ACCOUNT_FIELDS = (
    "code",
    "category",
    "civility",
    "last_name",
    "first_name",
    "company_name",
    "billing_country",
    "billing_number",
    "billing_number_suffix",
    "billing_street",
    "billing_line2",
    "billing_postal_code",
    "billing_city",
    "billing_building",
    "billing_staircase",
    "billing_apartment",
    "billing_floor",
    "billing_po_box",
    "billing_city_complement",
)
INVOICE_FIELDS = (
    "pk",
    "number",
    "total_ht_cents",
    "vat_cents",
    "vat_rate_bp",
    "payer_address",
    "account_id",
)
LINE_FIELDS = ("invoice_id", "kind", "label", "amount_cents")
DEBIT_FIELDS = (
    "invoice_id",
    "due_on",
    "amount_cents",
    "mandate__rum",
    "mandate__signed_on",
    "mandate__holder_name",
    "mandate__iban",
    "mandate__bic",
    "mandate__status",
    "mandate_first_due",
    "mandate_last_due",
)


class _AccountRow(namedtuple("_AccountRow", ACCOUNT_FIELDS)):
    """An account's fields as read, with the account's own `holder_name` and
    `billing_address_line` (the same code, so the address compares as the model's)."""

    __slots__ = ()
    holder_name = Account.holder_name
    billing_address_line = Account.billing_address_line


_InvoiceRef = namedtuple("_InvoiceRef", ("number", "vat_cents"))
_LineRow = namedtuple("_LineRow", ("kind", "label", "amount_cents"))


def _chunks(run: BillingRun, first_id: int, last_id: int, chunk_size: int):
    """The file's invoices a chunk at a time, each chunk read whole before it is written:
    its invoices, their accounts, their lines and their debits (with each mandate's first
    and last due dates), four queries per chunk, each by index over the chunk's range of
    invoices (the time of a file does not grow with the run's size). No query stays open
    while the caller writes the chunk or tells its progress: on SQLite an open read keeps
    the connection's snapshot, and its next write fails at once (« database is locked »)
    once another person wrote meanwhile."""
    titled = titled_invoices(run)
    after = first_id - 1
    while rows := list(
        titled.filter(pk__gt=after, pk__lte=last_id).values_list(*INVOICE_FIELDS)[:chunk_size]
    ):
        low, high = rows[0][0], rows[-1][0]
        in_chunk = {
            "authority_id": run.authority_id,
            "invoice_id__gte": low,
            "invoice_id__lte": high,
            "invoice_id__in": titled.filter(pk__gte=low, pk__lte=high).values("pk"),
        }
        accounts = {
            values[0]: _AccountRow._make(values[1:])
            for values in Account.objects.filter(
                authority_id=run.authority_id, pk__in={row[6] for row in rows}
            ).values_list("pk", *ACCOUNT_FIELDS)
        }
        lines = _by_invoice(
            InvoiceLine.objects.filter(**in_chunk)
            .order_by("invoice_id", "position")
            .values_list(*LINE_FIELDS)
        )
        same_mandate = ScheduledDebit.objects.filter(mandate_id=OuterRef("mandate_id")).exclude(
            status=DebitStatus.CANCELLED
        )
        debits = _by_invoice(
            ScheduledDebit.objects.filter(**in_chunk)
            .exclude(status=DebitStatus.CANCELLED)
            .annotate(
                mandate_first_due=Subquery(same_mandate.order_by("due_on").values("due_on")[:1]),
                mandate_last_due=Subquery(same_mandate.order_by("-due_on").values("due_on")[:1]),
            )
            .order_by("invoice_id", "due_on", "pk")
            .values_list(*DEBIT_FIELDS)
        )
        yield [
            (row, accounts[row[6]], lines.get(row[0], []), debits.get(row[0], [])) for row in rows
        ]
        after = high


def _by_invoice(rows) -> dict[int, list]:
    """Rows ordered by invoice, grouped by invoice (each group in the order read)."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


class _PieceWriter:
    """The text of each piece of one file; what does not change from piece to piece is
    computed once."""

    def __init__(self, spec: FileSpec, period: str):
        settings = spec.settings
        run = spec.run
        self.spec = spec
        self.settings = settings
        self.keys = _Keys(
            collectivity_code=settings.collectivity_code,
            nature_code=str(spec.bordereau),
            year=spec.year,
            period=period,
        )
        edition = ""
        if settings.attach_pdfs:
            edition = leaf(
                "Edition",
                EDITION_ORMC_CPP if settings.dgfip_prints_notices else EDITION_WITHOUT_DGFIP,
            )
        self.piece_head = (
            leaf("TypPce", TYP_PCE_ORMC)
            + leaf("NatPce", NAT_PCE_FONCTIONNEMENT)
            + leaf("DteAsp", run.issued_on.isoformat())
            + edition
        )
        self.period_leaf = leaf("Per", period)
        self.object_tail = f" {run.label}"
        self.attach_pdfs = settings.attach_pdfs
        self.line_heads: dict[tuple[str, str], str] = {}

    @classmethod
    def for_lines(cls, settings: PublicAccountingSettings) -> "_PieceWriter":
        """A writer of lines and Tiers only (no file of a run behind it): what the
        bordereau d'annulation-réduction shares with the rôle."""
        writer = cls.__new__(cls)
        writer.settings = settings
        writer.line_heads = {}
        return writer

    def line_head(self, label: str, kind: str) -> str:
        head = self.line_heads.get((label, kind))
        if head is None:
            nature, product = self.settings.codes_of(kind)
            head = (
                _text_leaf("ObjLignePce", label, 160)
                + leaf("CodProdLoc", product)
                + leaf("Nature", nature)
            )
            if len(self.line_heads) < 65536:
                self.line_heads[(label, kind)] = head
        return head

    def piece(
        self, index: int, row: tuple, account: _AccountRow, line_rows: list, debit_rows: list
    ) -> tuple[str, int, int]:
        """The Piece of one invoice, its count of lines and whether it is debited."""
        number = row[1]
        if row[3] == 0 and not debit_rows and all(r[3] >= 0 for r in line_rows):
            lines = [(r[1], r[2], r[3]) for r in line_rows if r[3] > 0]
        else:
            lines = []
        keys = self.keys
        # ObjPce and NumDette are never empty (a titled invoice has a number).
        head = (
            f'<Piece><BlocPiece><IdPce V="{index}"/>{self.piece_head}'
            f'<ObjPce V="{xml_attr(_fold(f"FACTURE {number}{self.object_tail}", 160))}"/>'
            f'<NumDette V="{xml_attr(number)}"/>{self.period_leaf}'
            f'<Cle1 V="{keys.cle1(number)}"/><Cle2 V="{keys.cle2(number)}"/>'
        )
        if self.attach_pdfs:
            head += (
                f'<PJRef><Support V="01"/>{leaf("IdUnique", _pj_unique_id(self.spec, number))}'
                f"{leaf('NomPJ', f'FACTURE_{number}.pdf')}</PJRef>"
            )
        parts = [head, "</BlocPiece>"]
        if lines:  # no VAT, no debit, no deduction: the lines as they are
            tiers = self.tiers(account, row[5], None)
            line_head = self.line_head
            for position, (kind, label, cents) in enumerate(lines, start=1):
                parts.append(
                    "<LigneDePiece><BlocLignePiece><InfoLignePiece>"
                    f'<IdLigne V="{position}"/>{line_head(label, kind)}<Majo V="0"/>'
                    f'<TvaIntraCom V="0"/><MtHT V="{amount(cents)}"/></InfoLignePiece>'
                    f"</BlocLignePiece>{tiers}</LigneDePiece>"
                )
            parts.append("</Piece>")
            return "".join(parts), len(lines), 0
        return self.shared_piece(parts, row, account, line_rows, debit_rows)

    def shared_piece(
        self, parts: list, row: tuple, account: _AccountRow, line_rows: list, debit_rows: list
    ) -> tuple[str, int, int]:
        """The lines of a piece with VAT, debits or a deduction to share between them."""
        number = row[1]
        lines = piece_lines(
            _InvoiceRef(number, row[3]),
            [_LineRow(r[1], r[2], r[3]) for r in line_rows],
            sum(d[2] for d in debit_rows),
        )
        sepa = sepa_tail = ""
        first = debit_rows[0] if debit_rows else None
        if first is not None:
            last = debit_rows[-1]
            sepa = (
                "<InfoPrelevementSEPA>"
                + leaf("NatPrel", NAT_PREL_TRESOR)
                + leaf("PerPrel", PER_PREL_UNIQUE if len(debit_rows) == 1 else PER_PREL_MONTHLY)
                + leaf("DtePrel", first[1].isoformat())
            )
            sepa_tail = (
                leaf("SequencePres", _sequence(first[1], first[9], first[8], last[1], last[10]))
                + leaf("DateSignMandat", first[4].isoformat())
                + leaf("RefUniMdt", sepa_text(first[3], 35))
                + leaf("LibPrel", sepa_text(f"FACTURE {number}", 140))
            )
            if sorted(fold(first[5]).split()) != sorted(fold(account.holder_name).split()):
                sepa_tail += leaf("TitCpteDiff", "1")
            sepa_tail += "</InfoPrelevementSEPA>"
        tiers = self.tiers(account, row[5], first)
        rate = amount(row[4])
        for position, line in enumerate(lines, start=1):
            parts += [
                f'<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="{position}"/>',
                self.line_head(line.label, line.kind),
            ]
            if line.vat_cents > 0:
                parts += [
                    f'<TxTva V="{rate}"/><Majo V="0"/><TvaIntraCom V="0"/>'
                    f'<MtHT V="{amount(line.ht_cents)}"/><MtTVA V="{amount(line.vat_cents)}"/>'
                ]
            else:
                parts.append(
                    f'<Majo V="0"/><TvaIntraCom V="0"/><MtHT V="{amount(line.ht_cents)}"/>'
                )
            parts.append("</InfoLignePiece>")
            if sepa and line.debit_cents > 0:
                parts += [sepa, f'<MtPrel V="{amount(line.debit_cents)}"/>', sepa_tail]
            parts += ["</BlocLignePiece>", tiers, "</LigneDePiece>"]
        parts.append("</Piece>")
        return "".join(parts), len(lines), int(first is not None)

    @staticmethod
    @functools.cache
    def tiers_kind(category: str, civility: str) -> tuple[str, bool]:
        """CatTiers, NatJur, TypTiers (and Civilite for a person), and whether it is one."""
        category, legal_nature = TIERS_CATEGORY.get(category, ("01", "01"))
        kind = leaf("CatTiers", category) + leaf("NatJur", legal_nature) + '<TypTiers V="01"/>'
        if category == "01":
            return kind + leaf("Civilite", CIVILITE.get(civility, "M")), True
        return kind, False

    def tiers(self, account: _AccountRow, payer_address: str, debit_row) -> str:
        kind, person = self.tiers_kind(account.category, account.civility)
        if person:
            name = _text_leaf("Nom", account.last_name or account.holder_name, 38) + leaf(
                "Prenom", _fold(account.first_name, 38)
            )
        else:
            name = _text_leaf("Nom", account.company_name or account.holder_name, 38)
        fields = address_of(account, payer_address)
        bank = ""
        if debit_row is not None:
            bank = (
                f"<CpteBancaire>{leaf('BIC', debit_row[7].replace(' ', '').upper())}"
                f"{leaf('IBAN', debit_row[6].replace(' ', '').upper())}"
                f"{leaf('TitCpte', _fold(debit_row[5], 32))}</CpteBancaire>"
            )
        return (
            f"<Tiers><InfoTiers>{leaf('RefTiers', _fold(account.code, 30))}{kind}{name}"
            f'</InfoTiers><Adresse><TypAdr V="1"/>{_repeated_leaf("Adr1", fields["Adr1"])}'
            f"{leaf('Adr2', fields['Adr2'])}{_repeated_leaf('Adr3', fields['Adr3'])}"
            f"{_repeated_leaf('CP', fields['CP'])}{_repeated_leaf('Ville', fields['Ville'])}"
            f'<CodRes V="{fields["CodRes"]}"/>{_repeated_leaf("CodPays", fields["CodPays"])}'
            f"</Adresse>{bank}</Tiers>"
        )


def _file_start(
    *, name: str, settings, generated_on, typ_fic: str, year, bordereau, typ_bord: str
) -> tuple[str, ...]:
    """From the XML declaration to the bordereau's TypBord: what a rôle and a file of
    avoirs write alike (the envelope, the authority's header, the bordereau's numbers)."""
    return (
        f"<?xml version='1.0' encoding='{ENCODING}'?>\n",
        f'<n:PES_Aller xmlns:n="{NAMESPACE}">',
        "<Enveloppe><Parametres>",
        leaf("Version", "2"),
        leaf("TypFic", typ_fic),
        leaf("NomFic", name),
        "</Parametres><Emetteur>",
        leaf("Sigle", SENDER),
        "</Emetteur></Enveloppe><EnTetePES>",
        leaf("DteStr", generated_on.isoformat()),
        leaf("IdPost", settings.poste_code),
        leaf("IdColl", settings.siret),
        leaf("CodCol", settings.collectivity_code),
        leaf("CodBud", settings.budget_code),
        leaf("LibelleColBud", pes_text(settings.budget_label, 38)),
        "</EnTetePES><PES_RecetteAller><EnTeteRecette>",
        leaf("IdVer", "2"),
        leaf("InfoDematerialisee", "0"),
        "</EnTeteRecette><Bordereau><BlocBordereau>",
        leaf("Exer", year),
        leaf("IdBord", bordereau),
        leaf("DteBordEm", generated_on.isoformat()),
        leaf("TypBord", typ_bord),
    )


def _header(spec: FileSpec) -> str:
    settings = spec.settings
    run = spec.run
    return "".join(
        (
            *_file_start(
                name=spec.name,
                settings=settings,
                generated_on=spec.generated_on,
                typ_fic="PESORMC",
                year=spec.year,
                bordereau=spec.bordereau,
                typ_bord=TYP_BORD_ORMC,
            ),
            leaf("NbrPce", spec.pieces),
            leaf("MtBordHt", amount(spec.total_ht_cents)),
            leaf("MtBordTVA", amount(spec.vat_cents)) if spec.vat_cents > 0 else "",
            leaf("DteAsp", run.issued_on.isoformat()),
            leaf("Objet", pes_text(f"{settings.role_object} {run.label}", 160)),
            "</BlocBordereau>",
        )
    )


def _encoded(text: str) -> bytes:
    return text.encode(ENCODING, "xmlcharrefreplace")


def pes_file_write(
    spec: FileSpec,
    path: str,
    *,
    pdf_of: Callable[[Invoice], bytes] | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> FileWritten:
    """Writes the file of `spec` at `path`; `pdf_of` gives an invoice's PDF as issued when
    the settings attach them; `progress` hears the count of pieces written."""
    settings = spec.settings
    run = spec.run
    writer = _PieceWriter(spec, period_digit(run))
    written = FileWritten()
    with open(path, "wb") as handle:
        handle.write(_encoded(_header(spec)))
        for chunk in _chunks(run, spec.first_id, spec.last_id, chunk_size):
            buffer: list[str] = []
            for row, account, lines, debits in chunk:
                written.pieces += 1
                piece, line_count, debited = writer.piece(
                    written.pieces, row, account, lines, debits
                )
                buffer.append(piece)
                written.invoice_ids.append(row[0])
                written.lines += line_count
                written.debited += debited
                written.total_ht_cents += row[2]
                written.vat_cents += max(row[3], 0)
            handle.write(_encoded("".join(buffer)))
            if progress and written.pieces % chunk_size == 0:
                progress(written.pieces)
        handle.write(b"</Bordereau></PES_RecetteAller>")
        if settings.attach_pdfs:
            handle.write(_encoded(f"<PES_PJ><EnTetePES_PJ>{leaf('IdVer', '1')}</EnTetePES_PJ>"))
            pj_invoices = titled_invoices(run).select_related(
                "account", "authority", "subscription"
            )
            after = spec.first_id - 1
            # Each chunk read whole before its PDFs: `pdf_of` may keep an invoice's PDF (a
            # write), which an open read would make fail on SQLite (see `_chunks`).
            while chunk := list(
                pj_invoices.filter(pk__gt=after, pk__lte=spec.last_id)[:chunk_size]
            ):
                for invoice in chunk:
                    _write_pj(handle, spec, invoice, pdf_of(invoice))
                    written.attachments += 1
                after = chunk[-1].pk
            handle.write(b"</PES_PJ>")
        handle.write(b"</n:PES_Aller>")
    if progress:
        progress(written.pieces)
    return written


def _write_pj(handle, spec: FileSpec, invoice: Invoice, pdf: bytes) -> None:
    packed = gzip.compress(pdf, mtime=0)
    handle.write(b'<PJ><Contenu><Fichier MIMEType="application/pdf">')
    for start in range(0, len(packed), _B64_SLICE):
        handle.write(base64.b64encode(packed[start : start + _B64_SLICE]))
    handle.write(
        _encoded(
            "</Fichier></Contenu>"
            + leaf("IdUnique", pj_unique_id(spec, invoice))
            + leaf("NomPJ", pj_name(invoice))
            + leaf("TypePJ", TYPE_PJ_ORMC)
            + leaf("Description", pes_text(f"FACTURE {invoice.number}", 250))
            + "</PJ>"
        )
    )


# --- The bordereau d'annulation-réduction: the avoirs of titles already taken in charge ---
#
# The codes below are the ones the published documentation did not settle for certain
# (`levee/billing/PES.md`, « Annulation-réduction »): each is Levée's reading, kept here in
# one place, to confirm with the public accountant before a first transmission.
# - TypBord 02 « Annulation/réduction » is in the TypBord annotation's list (01 Ordinaire,
#   02 Annulation/réduction, 03 Ordres de recette, 06 ORMC); which TypPce and NatPce go
#   with it is in the « tableau des triplets » (annexe 2), not found: Levée writes the
#   title's own type, 15 « Titre ORMC », with NatPce 06 « Annulation-Réduction ».
# - RattachPiece (NatPceOrig, ExerRat, IdPceOrig, IdLigneOrig) is the block of a
#   BlocLignePiece that ties a line to the title it corrects; NatPceOrig is read as the
#   original piece's NatPce (01 « Fonctionnement », what the rôle writes).
# - The original bordereau has no element of its own in RattachPiece: it goes into
#   ObjPce (« ROLE <exercice> BORDEREAU <n°> ARTICLE <IdPce> »), and the article is also
#   named by its NumDette, Per, Cle1 and Cle2, as the rôle wrote them.
# - Amounts are positive (the annotations refuse an MtHT of zero or below): the amount
#   taken off, the bordereau's type saying it is a reduction.
# - The avoir's PDF is joined with TypePJ 007, the type the rôle gives the invoice's PDF.
TYP_BORD_CREDIT = "02"
TYP_PCE_CREDIT = TYP_PCE_ORMC
NAT_PCE_CREDIT = "06"
NAT_PCE_ORIGIN = NAT_PCE_FONCTIONNEMENT
TYPE_PJ_CREDIT = TYPE_PJ_ORMC
CREDIT_FILE_KIND = "PESORMC"  # TypFic: the same flow as the rôles it corrects


@dataclass
class CreditTitle:
    """Where the invoice an avoir corrects was sent as a title: the accepted rôle file's
    exercice and bordereau, the invoice's IdPce in it."""

    year: int
    bordereau: int
    piece: int


@dataclass
class CreditSpec:
    """One bordereau d'annulation-réduction: its avoirs (with their invoice, account and
    run read), the title each corrects, what each invoice's earlier avoirs took."""

    settings: PublicAccountingSettings
    year: int
    bordereau: int
    name: str
    generated_on: datetime.date
    stamp: str
    notes: list = field(default_factory=list)
    titles: dict[int, CreditTitle] = field(default_factory=dict)  # avoir pk → its title
    # avoir pk → (HT, reason) of its invoice's avoirs numbered before it
    earlier: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


@dataclass
class CreditLine:
    kind: str
    label: str
    origin_line: int  # the IdLigne of the title's line it reduces
    ht_cents: int
    vat_cents: int


# What a lift contest's avoir takes back is what the lift cost (an extra lift's price, its
# weight: `billing.services_credit_notes.credit_note_for_lift`): those lines first.
LIFT_LINE_KINDS = (LineKind.EXTRA, LineKind.WEIGHT)


def _take(total: int, remaining: list[int], kinds: list[str], reason: str) -> list[int]:
    """`total` taken off the lines' `remaining` amounts: for a lift contest, from the lines
    of extra lifts and weight first; otherwise (and for what is left) in proportion to
    what each line still amounts to. No part exceeds its line's remaining amount."""
    parts = [0] * len(remaining)
    if reason == CreditNoteReason.LIFT_CONTEST:
        weights = [r if k in LIFT_LINE_KINDS else 0 for r, k in zip(remaining, kinds, strict=True)]
        parts = split_cents(min(total, sum(weights)), weights)
    left = [r - p for r, p in zip(remaining, parts, strict=True)]
    more = split_cents(min(total - sum(parts), sum(left)), left)
    return [p + m for p, m in zip(parts, more, strict=True)]


def credit_lines(
    original: list[PieceLine], earlier: list[tuple[int, str]], note
) -> list[CreditLine]:
    """The avoir's HT shared over the title's lines (as the rôle wrote them), after the
    invoice's earlier avoirs (`earlier`: their HT and reason, in their order) took their
    parts the same way, so no line is ever reduced below zero (`_take`); its VAT in
    proportion to each part. A line of nothing is left out."""
    remaining = [line.ht_cents for line in original]
    kinds = [line.kind for line in original]
    for ht, reason in earlier:
        taken = _take(ht, remaining, kinds, reason)
        remaining = [r - t for r, t in zip(remaining, taken, strict=True)]
    if note.total_ht_cents <= 0 or note.total_ht_cents > sum(remaining):
        raise PesError(
            f"L'avoir {note.number} ({amount(note.total_ht_cents)} € HT) ne se répartit pas "
            f"sur les lignes du titre de la facture {note.invoice.number} : il ne peut pas "
            "partir en réduction."
        )
    parts = _take(note.total_ht_cents, remaining, kinds, note.reason)
    vats = split_cents(note.vat_cents, parts)
    return [
        CreditLine(line.kind, line.label, position, ht, vat)
        for position, (line, ht, vat) in enumerate(zip(original, parts, vats, strict=True), 1)
        if ht > 0
    ]


def credit_title_lines(invoice: Invoice) -> list[PieceLine]:
    """The title's lines as the rôle wrote them (`piece_lines`, the invoice's lines never
    change once issued)."""
    lines = list(
        InvoiceLine.objects.filter(authority_id=invoice.authority_id, invoice_id=invoice.pk)
        .order_by("position")
        .only("kind", "label", "amount_cents")
    )
    return piece_lines(invoice, lines, 0)


def credit_pj_unique_id(spec: CreditSpec, note) -> str:
    return f"LV{spec.stamp}B{spec.bordereau}A{note.number}"[:50]


def credit_pj_name(note) -> str:
    return f"AVOIR_{note.number}.pdf"


def credit_totals(spec: CreditSpec) -> tuple[int, int]:
    return (
        sum(n.total_ht_cents for n in spec.notes),
        sum(n.vat_cents for n in spec.notes),
    )


def _credit_header(spec: CreditSpec, ht: int, vat: int) -> str:
    settings = spec.settings
    return "".join(
        (
            *_file_start(
                name=spec.name,
                settings=settings,
                generated_on=spec.generated_on,
                typ_fic=CREDIT_FILE_KIND,
                year=spec.year,
                bordereau=spec.bordereau,
                typ_bord=TYP_BORD_CREDIT,
            ),
            leaf("NbrPce", len(spec.notes)),
            leaf("MtBordHt", amount(ht)),
            leaf("MtBordTVA", amount(vat)) if vat > 0 else "",
            leaf("Objet", pes_text(f"ANNULATIONS ET REDUCTIONS {settings.role_object}", 160)),
            "</BlocBordereau>",
        )
    )


def _credit_piece(spec: CreditSpec, index: int, note, writer: "_PieceWriter") -> tuple[str, int]:
    """The Piece of one avoir and its count of lines."""
    invoice = note.invoice
    title = spec.titles[note.pk]
    number = invoice.number
    period = period_digit(invoice.run)
    keys = _Keys(
        collectivity_code=spec.settings.collectivity_code,
        nature_code=str(title.bordereau),
        year=title.year,
        period=period,
    )
    lines = credit_lines(credit_title_lines(invoice), spec.earlier.get(note.pk, []), note)
    objet = (
        f"AVOIR {note.number} {note.get_kind_display()} FACTURE {number} ROLE {title.year} "
        f"BORDEREAU {title.bordereau} ARTICLE {title.piece}"
    )
    parts = [
        f'<Piece><BlocPiece><IdPce V="{index}"/>',
        leaf("TypPce", TYP_PCE_CREDIT),
        leaf("NatPce", NAT_PCE_CREDIT),
        leaf("ObjPce", _fold(objet, 160)),
        leaf("NumDette", number),
        leaf("Per", period),
        leaf("Cle1", keys.cle1(number)),
        leaf("Cle2", keys.cle2(number)),
    ]
    if spec.settings.attach_pdfs:
        parts.append(
            f'<PJRef><Support V="01"/>{leaf("IdUnique", credit_pj_unique_id(spec, note))}'
            f"{leaf('NomPJ', credit_pj_name(note))}</PJRef>"
        )
    parts.append("</BlocPiece>")
    tiers = writer.tiers(invoice.account, invoice.payer_address, None)
    rattach = (
        "<RattachPiece>"
        + leaf("NatPceOrig", NAT_PCE_ORIGIN)
        + leaf("ExerRat", title.year)
        + leaf("IdPceOrig", title.piece)
    )
    rate = amount(note.vat_rate_bp)
    for position, line in enumerate(lines, start=1):
        parts += [
            f'<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="{position}"/>',
            writer.line_head(line.label, line.kind),
        ]
        if line.vat_cents > 0:
            parts.append(
                f'<TxTva V="{rate}"/><Majo V="0"/><TvaIntraCom V="0"/>'
                f'<MtHT V="{amount(line.ht_cents)}"/><MtTVA V="{amount(line.vat_cents)}"/>'
            )
        else:
            parts.append(f'<Majo V="0"/><TvaIntraCom V="0"/><MtHT V="{amount(line.ht_cents)}"/>')
        parts += [
            "</InfoLignePiece>",
            rattach,
            leaf("IdLigneOrig", line.origin_line),
            "</RattachPiece></BlocLignePiece>",
            tiers,
            "</LigneDePiece>",
        ]
    parts.append("</Piece>")
    return "".join(parts), len(lines)


def credit_file_write(
    spec: CreditSpec, path: str, *, pdf_of: Callable[[object], bytes] | None = None
) -> FileWritten:
    """Writes the bordereau d'annulation-réduction of `spec` at `path`: one piece per avoir
    (a few at a time, so written in one go), then its PDFs when the settings join them."""
    ht, vat = credit_totals(spec)
    writer = _PieceWriter.for_lines(spec.settings)
    written = FileWritten(total_ht_cents=ht, vat_cents=vat)
    with open(path, "wb") as handle:
        handle.write(_encoded(_credit_header(spec, ht, vat)))
        for index, note in enumerate(spec.notes, 1):
            piece, line_count = _credit_piece(spec, index, note, writer)
            handle.write(_encoded(piece))
            written.pieces += 1
            written.lines += line_count
        handle.write(b"</Bordereau></PES_RecetteAller>")
        if spec.settings.attach_pdfs:
            handle.write(_encoded(f"<PES_PJ><EnTetePES_PJ>{leaf('IdVer', '1')}</EnTetePES_PJ>"))
            for note in spec.notes:
                packed = gzip.compress(pdf_of(note), mtime=0)
                handle.write(b'<PJ><Contenu><Fichier MIMEType="application/pdf">')
                for start in range(0, len(packed), _B64_SLICE):
                    handle.write(base64.b64encode(packed[start : start + _B64_SLICE]))
                handle.write(
                    _encoded(
                        "</Fichier></Contenu>"
                        + leaf("IdUnique", credit_pj_unique_id(spec, note))
                        + leaf("NomPJ", credit_pj_name(note))
                        + leaf("TypePJ", TYPE_PJ_CREDIT)
                        + leaf("Description", pes_text(f"AVOIR {note.number}", 250))
                        + "</PJ>"
                    )
                )
                written.attachments += 1
            handle.write(b"</PES_PJ>")
        handle.write(b"</n:PES_Aller>")
    return written
