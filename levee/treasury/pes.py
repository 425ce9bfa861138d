"""The PES V2 file of a rôle ORMC (PES_Aller, TypFic PESORMC), written as a stream.

`levee/billing/PES.md` describes the file, element by element, and its sources. One file
holds one bordereau of consecutive invoices of a published real run (one piece per
invoice, one line per invoice line of a positive amount), then, when the authority asks,
the PES_PJ block with each invoice's PDF as issued (gzip, then base64).

Memory stays flat whatever the run's size: the invoices are read `chunk_size` at a time
(`.iterator()` with their lines and debits prefetched per chunk), each piece is built as a
small tree, written, and forgotten (`lxml.etree.xmlfile`); the PDFs are compressed and
encoded one at a time, in slices.
"""

import base64
import datetime
import functools
import gzip
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum
from lxml import etree

from levee.billing.models import BillingRun, Invoice, InvoiceLine, InvoiceStatus
from levee.lib.text import fold
from levee.payments.models import DebitStatus, MandateStatus, ScheduledDebit
from levee.subscribers.models import Category, Civility

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


# The C0 controls and DEL, which no PES text carries, as spaces.
_CONTROLS = {code: " " for code in (*range(32), 127)}


@functools.lru_cache(maxsize=65536)
def pes_text(value: str, length: int) -> str:
    """A text as the PES wants it: upper case, no accents, no line breaks, one space
    between words, at most `length` characters (cut at the last space when possible).
    Cached: a rôle writes the same towns, streets, labels and objects many times."""
    text = str(value or "")
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
        for wide, narrow in (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE"), ("ß", "ss")):
            text = text.replace(wide, narrow)
        text = text.replace("’", "'").replace("«", '"').replace("»", '"')
        text = "".join(c if 32 <= ord(c) < 127 else " " for c in text)
    else:
        text = text.translate(_CONTROLS)
    text = " ".join(text.split()).upper()
    if len(text) > length:
        cut = text[:length]
        text = cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut
    return text.strip()


def sepa_text(value: str, length: int) -> str:
    """`pes_text` limited to the SEPA character set."""
    return " ".join(_SEPA_REFUSED.sub(" ", pes_text(value, length)).split())


def amount(cents: int) -> str:
    """4560 → « 45.60 »."""
    return f"{Decimal(cents) / 100:.2f}"


def vat_rate(vat_rate_bp: int) -> str:
    """550 → « 5.50 »."""
    return f"{Decimal(vat_rate_bp) / 100:.2f}"


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
    street, Adr3 the rest, CP, Ville), from the account's own fields when the address is
    still the one the invoice printed, else read back from the invoice's one line."""
    account = invoice.account
    printed = " ".join((invoice.payer_address or "").split()).upper()
    if account.billing_street and printed == " ".join(account.billing_address_line.split()).upper():
        labelled = (
            ("APP.", account.billing_apartment),
            ("ESC.", account.billing_staircase),
            ("ETG.", account.billing_floor),
            ("BAT.", account.billing_building),
        )
        number = " ".join(p for p in (account.billing_number, account.billing_number_suffix) if p)
        rest = " ".join(
            p
            for p in (
                account.billing_line2,
                f"BP {account.billing_po_box}" if account.billing_po_box else "",
            )
            if p
        )
        return {
            "Adr1": pes_text(" ".join(f"{k} {v}" for k, v in labelled if v), 38),
            "Adr2": pes_text(f"{number} {account.billing_street}", 38),
            "Adr3": pes_text(rest, 38),
            "CP": pes_text(account.billing_postal_code, 5),
            "Ville": pes_text(f"{account.billing_city} {account.billing_city_complement}", 38),
            "country": account.billing_country or "FR",
        }
    match = _POSTAL_TOWN.match(pes_text(printed, 1000))
    street, postal_code, town = (match[1], match[2], match[3]) if match else (printed, "", "")
    adr2, adr3 = _split_words(street.strip(" ,"), 38)
    return {
        "Adr1": "",
        "Adr2": adr2,
        "Adr3": pes_text(adr3, 38),
        "CP": postal_code,
        "Ville": pes_text(town, 38),
        "country": account.billing_country or "FR",
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
    first = debits[0]
    mandate = first.mandate
    if first.due_on <= first.mandate_first_due:
        return SEQUENCE_FIRST
    if mandate.status == MandateStatus.REVOKED and debits[-1].due_on >= debits[-1].mandate_last_due:
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


def _debits_prefetch() -> Prefetch:
    same_mandate = ScheduledDebit.objects.filter(mandate_id=OuterRef("mandate_id")).exclude(
        status=DebitStatus.CANCELLED
    )
    return Prefetch(
        "debits",
        queryset=ScheduledDebit.objects.exclude(status=DebitStatus.CANCELLED)
        .select_related("mandate")
        .annotate(
            mandate_first_due=Subquery(same_mandate.order_by("due_on").values("due_on")[:1]),
            mandate_last_due=Subquery(same_mandate.order_by("-due_on").values("due_on")[:1]),
        )
        .order_by("due_on", "pk"),
    )


def invoices_of_file(run: BillingRun, first_id: int, last_id: int):
    return (
        titled_invoices(run)
        .filter(pk__gte=first_id, pk__lte=last_id)
        .select_related("account")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
            _debits_prefetch(),
        )
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


def _leaf(parent, tag: str, value) -> None:
    if value is None or value == "":
        return
    etree.SubElement(parent, tag, V=str(value))


def _write_leaf(xf, tag: str, value) -> None:
    if value is None or value == "":
        return
    xf.write(etree.Element(tag, V=str(value)))


def pj_unique_id(spec: FileSpec, invoice: Invoice) -> str:
    return f"LV{spec.stamp}B{spec.bordereau}F{invoice.number}"[:50]


def pj_name(invoice: Invoice) -> str:
    return f"FACTURE_{invoice.number}.pdf"


def _piece(
    spec: FileSpec, index: int, invoice: Invoice, period: str
) -> tuple[etree._Element, int, int]:
    """The Piece element of one invoice, its line count and whether it is debited."""
    settings = spec.settings
    debits = list(invoice.debits.all())
    debited_cents = sum(d.amount_cents for d in debits)
    lines = piece_lines(invoice, list(invoice.lines.all()), debited_cents)
    piece = etree.Element("Piece")
    bloc = etree.SubElement(piece, "BlocPiece")
    _leaf(bloc, "IdPce", index)
    _leaf(bloc, "TypPce", TYP_PCE_ORMC)
    _leaf(bloc, "NatPce", NAT_PCE_FONCTIONNEMENT)
    _leaf(bloc, "DteAsp", spec.run.issued_on.isoformat())
    if settings.attach_pdfs:
        _leaf(
            bloc,
            "Edition",
            EDITION_ORMC_CPP if settings.dgfip_prints_notices else EDITION_WITHOUT_DGFIP,
        )
    _leaf(bloc, "ObjPce", pes_text(f"FACTURE {invoice.number} {spec.run.label}", 160))
    _leaf(bloc, "NumDette", invoice.number)
    _leaf(bloc, "Per", period)
    _leaf(
        bloc,
        "Cle1",
        cle1(
            collectivity_code=settings.collectivity_code,
            nature_code=str(spec.bordereau),
            year=spec.year,
            period=period,
            debt=invoice.number,
        ),
    )
    _leaf(bloc, "Cle2", cle2(year=spec.year, period=period, debt=invoice.number))
    if settings.attach_pdfs:
        ref = etree.SubElement(bloc, "PJRef")
        _leaf(ref, "Support", "01")
        _leaf(ref, "IdUnique", pj_unique_id(spec, invoice))
        _leaf(ref, "NomPJ", pj_name(invoice))
    mandate = debits[0].mandate if debits else None
    sepa = None
    if mandate is not None:
        sepa = {
            "NatPrel": NAT_PREL_TRESOR,
            "PerPrel": PER_PREL_UNIQUE if len(debits) == 1 else PER_PREL_MONTHLY,
            "DtePrel": debits[0].due_on.isoformat(),
            "SequencePres": sequence_of(debits),
            "DateSignMandat": mandate.signed_on.isoformat(),
            "RefUniMdt": sepa_text(mandate.rum, 35),
            "LibPrel": sepa_text(f"FACTURE {invoice.number}", 140),
        }
    account = invoice.account
    for number, line in enumerate(lines, start=1):
        ligne = etree.SubElement(piece, "LigneDePiece")
        bloc_ligne = etree.SubElement(ligne, "BlocLignePiece")
        info = etree.SubElement(bloc_ligne, "InfoLignePiece")
        nature, product = settings.codes_of(line.kind)
        _leaf(info, "IdLigne", number)
        _leaf(info, "ObjLignePce", pes_text(line.label, 160))
        _leaf(info, "CodProdLoc", product)
        _leaf(info, "Nature", nature)
        if line.vat_cents > 0:
            _leaf(info, "TxTva", vat_rate(invoice.vat_rate_bp))
        _leaf(info, "Majo", "0")
        _leaf(info, "TvaIntraCom", "0")
        _leaf(info, "MtHT", amount(line.ht_cents))
        if line.vat_cents > 0:
            _leaf(info, "MtTVA", amount(line.vat_cents))
        if sepa is not None and line.debit_cents > 0:
            block = etree.SubElement(bloc_ligne, "InfoPrelevementSEPA")
            for tag in ("NatPrel", "PerPrel", "DtePrel"):
                _leaf(block, tag, sepa[tag])
            _leaf(block, "MtPrel", amount(line.debit_cents))
            for tag in ("SequencePres", "DateSignMandat", "RefUniMdt", "LibPrel"):
                _leaf(block, tag, sepa[tag])
            if sorted(fold(mandate.holder_name).split()) != sorted(
                fold(account.holder_name).split()
            ):
                _leaf(block, "TitCpteDiff", "1")
        ligne.append(_tiers(invoice, mandate))
    return piece, len(lines), int(mandate is not None)


def _tiers(invoice: Invoice, mandate) -> etree._Element:
    account = invoice.account
    category, legal_nature = TIERS_CATEGORY.get(account.category, ("01", "01"))
    tiers = etree.Element("Tiers")
    info = etree.SubElement(tiers, "InfoTiers")
    _leaf(info, "RefTiers", pes_text(account.code, 30))
    _leaf(info, "CatTiers", category)
    _leaf(info, "NatJur", legal_nature)
    _leaf(info, "TypTiers", "01")
    if category == "01":
        _leaf(info, "Civilite", CIVILITE.get(account.civility, "M"))
        _leaf(info, "Nom", pes_text(account.last_name or account.holder_name, 38))
        _leaf(info, "Prenom", pes_text(account.first_name, 38))
    else:
        _leaf(info, "Nom", pes_text(account.company_name or account.holder_name, 38))
    fields = address_fields(invoice)
    adresse = etree.SubElement(tiers, "Adresse")
    _leaf(adresse, "TypAdr", "1")
    for tag in ("Adr1", "Adr2", "Adr3", "CP", "Ville"):
        _leaf(adresse, tag, fields[tag])
    _leaf(adresse, "CodRes", "0" if fields["country"] == "FR" else "1")
    if mandate is not None:
        bank = etree.SubElement(tiers, "CpteBancaire")
        _leaf(bank, "BIC", mandate.bic.replace(" ", "").upper())
        _leaf(bank, "IBAN", mandate.iban.replace(" ", "").upper())
        _leaf(bank, "TitCpte", pes_text(mandate.holder_name, 32))
    return tiers


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
    period = period_digit(run)
    written = FileWritten()
    with open(path, "wb") as handle, etree.xmlfile(handle, encoding=ENCODING) as xf:
        xf.write_declaration()
        with xf.element(f"{{{NAMESPACE}}}PES_Aller", nsmap={"n": NAMESPACE}):
            with xf.element("Enveloppe"):
                with xf.element("Parametres"):
                    _write_leaf(xf, "Version", "2")
                    _write_leaf(xf, "TypFic", "PESORMC")
                    _write_leaf(xf, "NomFic", spec.name)
                with xf.element("Emetteur"):
                    _write_leaf(xf, "Sigle", SENDER)
            header = etree.Element("EnTetePES")
            _leaf(header, "DteStr", spec.generated_on.isoformat())
            _leaf(header, "IdPost", settings.poste_code)
            _leaf(header, "IdColl", settings.siret)
            _leaf(header, "CodCol", settings.collectivity_code)
            _leaf(header, "CodBud", settings.budget_code)
            _leaf(header, "LibelleColBud", pes_text(settings.budget_label, 38))
            xf.write(header)
            with xf.element("PES_RecetteAller"):
                head = etree.Element("EnTeteRecette")
                _leaf(head, "IdVer", "2")
                _leaf(head, "InfoDematerialisee", "0")
                xf.write(head)
                with xf.element("Bordereau"):
                    bloc = etree.Element("BlocBordereau")
                    _leaf(bloc, "Exer", spec.year)
                    _leaf(bloc, "IdBord", spec.bordereau)
                    _leaf(bloc, "DteBordEm", spec.generated_on.isoformat())
                    _leaf(bloc, "TypBord", TYP_BORD_ORMC)
                    _leaf(bloc, "NbrPce", spec.pieces)
                    _leaf(bloc, "MtBordHt", amount(spec.total_ht_cents))
                    if spec.vat_cents > 0:
                        _leaf(bloc, "MtBordTVA", amount(spec.vat_cents))
                    _leaf(bloc, "DteAsp", run.issued_on.isoformat())
                    _leaf(bloc, "Objet", pes_text(f"{settings.role_object} {run.label}", 160))
                    xf.write(bloc)
                    invoices = invoices_of_file(run, spec.first_id, spec.last_id)
                    for index, invoice in enumerate(invoices.iterator(chunk_size=chunk_size), 1):
                        piece, lines, debited = _piece(spec, index, invoice, period)
                        xf.write(piece)
                        written.pieces += 1
                        written.lines += lines
                        written.debited += debited
                        written.total_ht_cents += invoice.total_ht_cents
                        written.vat_cents += max(invoice.vat_cents, 0)
                        if progress and index % chunk_size == 0:
                            progress(index)
            if settings.attach_pdfs:
                with xf.element("PES_PJ"):
                    head = etree.Element("EnTetePES_PJ")
                    _leaf(head, "IdVer", "1")
                    xf.write(head)
                    pj_invoices = (
                        titled_invoices(run)
                        .filter(pk__gte=spec.first_id, pk__lte=spec.last_id)
                        .select_related("account", "authority", "subscription")
                    )
                    for invoice in pj_invoices.iterator(chunk_size=chunk_size):
                        _write_pj(xf, spec, invoice, pdf_of(invoice))
                        written.attachments += 1
    if progress:
        progress(written.pieces)
    return written


def _write_pj(xf, spec: FileSpec, invoice: Invoice, pdf: bytes) -> None:
    packed = gzip.compress(pdf, mtime=0)
    with xf.element("PJ"):
        with xf.element("Contenu"):
            with xf.element("Fichier", MIMEType="application/pdf"):
                for start in range(0, len(packed), _B64_SLICE):
                    xf.write(base64.b64encode(packed[start : start + _B64_SLICE]).decode("ascii"))
        _write_leaf(xf, "IdUnique", pj_unique_id(spec, invoice))
        _write_leaf(xf, "NomPJ", pj_name(invoice))
        _write_leaf(xf, "TypePJ", TYPE_PJ_ORMC)
        _write_leaf(xf, "Description", pes_text(f"FACTURE {invoice.number}", 250))
