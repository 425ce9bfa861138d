"""Levée's structural check of a PES_Aller ORMC file, written from the DGFiP's published
documentation of the PES V2 (its schemas' element tree, types and annotations; sources in
`levee/billing/PES.md`), without the schemas themselves.

It reads the file as a stream (`lxml.etree.iterparse`): each piece is checked as a small
tree and then dropped, so it runs in flat memory over any size. What it checks:
- the element tree: order, cardinalities, no unknown element, a `V` on every value;
- each value against its type: lengths, digits only, amounts and rates above zero with two
  decimals, ISO dates, booleans, the code lists of the fields Levée writes;
- the rules the annotations state: NbrPce = the pieces, MtBordHt = Σ MtHT, MtBordTVA = Σ
  MtTVA, TypBord 06 ⇒ TypPce 15, IdPce and IdLigne unique, Cle1 and Cle2 as computed
  from CodCol, IdBord, Exer, Per and NumDette, CatTiers 01 ⇒ Civilite and Prenom, CodRes 1
  ⇒ CodPays, CodRes 0 ⇒ no CodPays or 100, CP of 5 digits (99999 for
  a debtor abroad), a SEPA debit ⇒ the debtor's IBAN, the SEPA block identical on every line of a
  piece but for MtPrel, each PJRef matching one PJ and each PJ decoding (base64, gzip) to a
  PDF;
- in a bordereau d'annulation-réduction (TypBord 02): pieces TypPce 15 of nature 06, the
  corrected article named (NumDette, Per, Cle1, Cle2 — Cle2 recomputed from the title's
  exercice), each line tied to one and the same title (RattachPiece), no debit; a
  RattachPiece in a rôle (TypBord 06) is refused.

It covers the part of the schema an ORMC rôle and its reductions use: the blocks Levée
never writes (the electronic signature, PES_DepenseAller, PES_Facture, Recouvrement,
InfoPrelevement (the national debit), InfoAssure, LiensIdent, InfoCollBen, the lines' PJRef)
are refused as unexpected, as are those the documentation forbids outside hospitals or
récapitulatifs (IdRol, DebFact, FinFact).

`pes_check(path)` returns the problems in French (at most `limit`), none when it passes.
"""

import base64
import binascii
import datetime
import gzip
import re
import zlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from lxml import etree

from .pes import NAMESPACE, NAT_PCE_CREDIT, TYP_PCE_CREDIT, cle1, cle2

ROOT_TAG = f"{{{NAMESPACE}}}PES_Aller"

# --- Value types (the Base_* simple types of the PES) ---------------------------------------

Check = Callable[[str], str | None]


def text(n: int, *, minimum: int = 1) -> Check:
    def check(v):
        if not minimum <= len(v) <= n:
            return f"doit compter de {minimum} à {n} caractères"
        if minimum and (v in (" ", ".") or v.lower() == "nc" or not v.strip("0")):
            return "ne peut pas être vide, « . », « nc » ni zéro"
        return None

    return check


def alnum(n: int, *, light: bool = False) -> Check:
    pattern = re.compile(rf"^[0-9A-Za-z]{{{0 if light else 1},{n}}}$")

    def check(v):
        if not pattern.match(v):
            return f"doit compter au plus {n} lettres ou chiffres"
        if not light and not v.strip("0"):
            return "ne peut pas valoir zéro"
        return None

    return check


def num(n: int) -> Check:
    def check(v):
        if not v.isdigit() or len(v.lstrip("0")) > n or int(v) <= 0:
            return f"doit être un nombre entier de 1 à {n} chiffres, supérieur à zéro"
        return None

    return check


def num_light(n: int) -> Check:
    def check(v):
        if not (v.isdigit() and len(v) <= n):
            return f"doit compter au plus {n} chiffres"
        return None

    return check


DECIMAL = re.compile(r"^\d+(\.\d{1,2})?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def decimal(total_digits: int) -> Check:
    def check(v):
        if not DECIMAL.match(v):
            return "doit être un nombre positif à deux décimales au plus, avec un point"
        if Decimal(v) <= 0:
            return "doit être supérieur à zéro"
        if len(v.replace(".", "").lstrip("0")) > total_digits:
            return f"compte plus de {total_digits} chiffres"
        return None

    return check


def date(v):
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return "doit être une date AAAA-MM-JJ"
    return None if ISO_DATE.match(v) else "doit être une date AAAA-MM-JJ"


def boolean(v):
    return None if v in ("0", "1") else "doit valoir 0 ou 1"


def codes(*values: str) -> Check:
    def check(v):
        return None if v in values else f"doit valoir {' ou '.join(values)}"

    return check


def regex(pattern: str, message: str, *, maximum: int = 0) -> Check:
    compiled = re.compile(pattern)

    def check(v):
        if (maximum and len(v) > maximum) or not compiled.fullmatch(v):
            return message
        return None

    return check


MONTANT = decimal(14)
TAUX = decimal(5)
SEPA35 = regex(r"[0-9a-zA-Z/?:().,' +\-]{1,35}", "contient un caractère refusé en SEPA")
SEPA140 = regex(r"[0-9a-zA-Z/?:().,' +\-]{1,140}", "contient un caractère refusé en SEPA")
IBAN = regex(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}", "n'est pas un IBAN", maximum=34)
BIC = regex(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?", "n'est pas un BIC (8 ou 11 capitales)")
NOM_PJ = regex(r".{1,96}\.[A-Za-z0-9]{2,4}", "doit finir par une extension", maximum=100)
IDPOST = regex(r"02[AB][0-9]{3,4}|[0-9]{6,7}", "doit compter 6 ou 7 chiffres (02A/02B en Corse)")
# « Le code postal doit être numérique sur 5 caractères obligatoires » (99999 abroad).
CP = regex(r"[0-9]{5}", "doit compter exactement 5 chiffres (99999 pour l'étranger)")

# --- The element tree: (child, min, max, type) in order; a type is a dict key or a Check ---

N = None  # unbounded
TREE: dict[str, list[tuple[str, int, int | None, object]]] = {
    "PES_Aller": [
        ("Enveloppe", 1, 1, "Enveloppe"),
        ("EnTetePES", 1, 1, "EnTetePES"),
        ("PES_RecetteAller", 1, 1, "PES_RecetteAller"),
        ("PES_PJ", 0, 1, "PES_PJ"),
    ],
    "Enveloppe": [
        ("Parametres", 1, 1, "Parametres"),
        ("Emetteur", 0, 1, "Correspondant"),
        ("Recepteur", 0, 1, "Correspondant"),
    ],
    "Parametres": [
        ("Version", 1, 1, codes("2")),
        ("TypFic", 1, 1, codes("PESORMC")),
        ("NomFic", 1, 1, text(100)),
    ],
    "Correspondant": [("Sigle", 0, 1, text(32)), ("Adresse", 0, 1, text(38))],
    "EnTetePES": [
        ("DteStr", 1, 1, date),
        ("IdPost", 1, 1, IDPOST),
        ("LibellePoste", 0, 1, text(38)),
        ("IdColl", 1, 1, regex(r"[0-9]{14}", "doit être un SIRET de 14 chiffres")),
        ("CodCol", 1, 1, alnum(3)),
        ("CodBud", 0, 1, alnum(2, light=True)),
        ("LibelleColBud", 0, 1, text(38)),
    ],
    "PES_RecetteAller": [
        ("EnTeteRecette", 1, 1, "EnTeteRecette"),
        ("Bordereau", 1, N, "Bordereau"),
    ],
    "EnTeteRecette": [("IdVer", 1, 1, codes("2")), ("InfoDematerialisee", 0, 1, codes("0"))],
    "Bordereau": [("BlocBordereau", 1, 1, "BlocBordereau"), ("Piece", 1, N, "Piece")],
    "BlocBordereau": [
        ("Exer", 1, 1, num(4)),
        ("IdBord", 1, 1, num(7)),
        ("DteBordEm", 1, 1, date),
        ("TypBord", 1, 1, codes("01", "02", "03", "06")),
        ("NbrPce", 1, 1, num(5)),
        ("MtCumulAnnuel", 0, 1, MONTANT),
        ("MtBordHt", 1, 1, MONTANT),
        ("MtBordTVA", 0, 1, MONTANT),
        ("DteAsp", 0, 1, date),
        ("Objet", 0, 1, text(160)),
    ],
    "Piece": [("BlocPiece", 1, 1, "BlocPiece"), ("LigneDePiece", 1, N, "LigneDePiece")],
    "BlocPiece": [
        ("CodServ", 0, 1, text(10)),
        ("Affect", 0, 1, text(10)),
        ("IdPce", 1, 1, num(8)),
        (
            "TypPce",
            1,
            1,
            codes(*(f"{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15))),
        ),
        ("NatPce", 1, 1, codes(*(f"{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18)))),
        ("IdRol", 0, 0, num(7)),  # only for the triplet 01 06 01, never in an ORMC
        ("DteAsp", 0, 1, date),
        ("Edition", 0, 1, codes("01", "02", "03", "04")),
        ("ObjPce", 0, 1, text(160)),
        ("DebFact", 0, 0, date),  # hospitals only
        ("FinFact", 0, 0, date),
        ("NumDette", 0, 1, num(15)),
        ("Per", 0, 1, num_light(1)),
        ("Cle1", 0, 1, num_light(1)),
        ("Cle2", 0, 1, alnum(1, light=True)),
        ("PJRef", 0, N, "PJRef"),
    ],
    "PJRef": [
        ("Support", 1, 1, codes("01", "02", "03")),
        ("IdUnique", 1, 1, alnum(50)),
        ("NomPJ", 0, 1, NOM_PJ),
    ],
    "LigneDePiece": [("BlocLignePiece", 1, 1, "BlocLignePiece"), ("Tiers", 0, N, "Tiers")],
    "BlocLignePiece": [
        ("InfoLignePiece", 1, 1, "InfoLignePiece"),
        ("InfoPrelevementSEPA", 0, 1, "InfoPrelevementSEPA"),
        ("RattachPiece", 0, 1, "RattachPiece"),
    ],
    # The title a line of a bordereau d'annulation-réduction corrects.
    "RattachPiece": [
        ("NatPceOrig", 1, 1, codes(*(f"{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18)))),
        ("ExerRat", 1, 1, num(4)),
        ("IdPceOrig", 1, 1, num(8)),
        ("IdLigneOrig", 0, 1, num(6)),
    ],
    "InfoLignePiece": [
        ("IdLigne", 1, 1, num(6)),
        ("ObjLignePce", 0, 1, text(160)),
        ("CodProdLoc", 1, 1, alnum(4)),
        ("Nature", 1, 1, num(12)),
        ("Fonction", 0, 1, num_light(10)),
        ("Operation", 0, 1, alnum(10)),
        ("TxTva", 0, 1, TAUX),
        ("Majo", 1, 1, boolean),
        ("DteMajo", 0, 1, date),
        ("TxMajo", 0, 1, TAUX),
        ("CpteTiers", 0, 1, num(12)),
        ("TvaIntraCom", 1, 1, boolean),
        ("MtHT", 1, 1, MONTANT),
        ("MtTVA", 0, 1, MONTANT),
        ("MtNonMajo", 0, 1, MONTANT),
    ],
    "InfoPrelevementSEPA": [
        ("NatPrel", 1, 1, codes("01", "02")),
        ("PerPrel", 1, 1, codes("01", "02", "03", "04", "05", "06", "07")),
        ("DtePrel", 1, 1, date),
        ("MtPrel", 1, 1, MONTANT),
        ("SequencePres", 1, 1, codes("01", "02", "03", "04")),
        ("DateSignMandat", 1, 1, date),
        ("RefUniMdt", 1, 1, SEPA35),
        ("LibPrel", 0, 1, SEPA140),
        ("AncienRUM", 0, 1, SEPA35),
        ("AncienICS", 0, 1, alnum(13)),
        ("AncienTiersCreancier", 0, 1, SEPA140),
        ("AncienneBanque", 0, 1, boolean),
        ("AncienIBAN", 0, 1, IBAN),
        ("TitCpteDiff", 0, 1, boolean),
    ],
    "Tiers": [
        ("InfoTiers", 1, 1, "InfoTiers"),
        ("Adresse", 1, 1, "Adresse"),
        ("CpteBancaire", 0, 1, "CpteBancaire"),
    ],
    "InfoTiers": [
        ("IdTiers", 0, 1, regex(r".{9,18}", "doit compter de 9 à 18 caractères")),
        ("DteNaissance", 0, 1, date),
        ("NatIdTiers", 0, 1, codes(*(f"{n:02d}" for n in range(1, 10)))),
        ("DteIdTiers", 0, 1, date),
        ("RefTiers", 0, 1, text(30)),
        (
            "CatTiers",
            1,
            1,
            codes("01", *(str(n) for n in (*range(20, 30), 50, *range(60, 66), *range(70, 75)))),
        ),
        ("NatJur", 1, 1, codes(*(f"{n:02d}" for n in range(1, 12)))),
        ("TypTiers", 1, 1, codes(*(f"{n:02d}" for n in range(1, 31)))),
        ("Civilite", 0, 1, text(10)),
        ("Nom", 1, 1, text(38)),
        ("ComplNom", 0, 1, text(38)),
        ("Prenom", 0, 1, text(38)),
    ],
    "Adresse": [
        ("TypAdr", 1, 1, codes("0", "1", "2")),
        ("Adr1", 0, 1, text(38)),
        ("Adr2", 1, 1, text(38)),
        ("Adr3", 0, 1, text(38)),
        ("CP", 1, 1, CP),
        ("Ville", 1, 1, text(38)),
        ("CodRes", 1, 1, boolean),
        ("CodPays", 0, 1, num(3)),
        ("DteAdr", 0, 1, date),
    ],
    "CpteBancaire": [
        ("BIC", 0, 1, BIC),
        ("IBAN", 1, 1, IBAN),
        ("LibBanc", 0, 1, text(24)),
        ("TitCpte", 1, 1, text(32)),
        ("DteBanc", 0, 1, date),
    ],
    "PES_PJ": [("EnTetePES_PJ", 1, 1, "EnTetePES_PJ"), ("PJ", 0, N, "PJ")],
    "EnTetePES_PJ": [("IdVer", 1, 1, codes("1"))],
    "PJ": [
        ("Contenu", 1, 1, "Contenu"),
        ("IdUnique", 1, 1, alnum(50)),
        ("ServeurId", 0, 1, alnum(20)),
        ("NomPJ", 1, 1, NOM_PJ),
        ("TypePJ", 0, 1, codes(*(f"{n:03d}" for n in range(1, 9)))),
        ("Description", 1, 1, text(250)),
    ],
    "Contenu": [("Fichier", 1, 1, "Fichier")],
}

# The elements checked whole, then dropped, as the stream goes.
UNITS = {"Enveloppe", "EnTetePES", "EnTeteRecette", "BlocBordereau", "Piece", "EnTetePES_PJ", "PJ"}
# The elements around them, whose children's order is read as the stream goes.
CONTAINERS = {"PES_Aller", "PES_RecetteAller", "Bordereau", "PES_PJ"}


# Each kind's children by name, and the children's sequences already found right (a few
# per kind: a file repeats the same shapes), so that each piece costs one walk of its tree.
BY_NAME = {kind: {child: sub for child, _mn, _mx, sub in spec} for kind, spec in TREE.items()}
SEQUENCES_KNOWN = 64
_right_sequences: dict[str, set[tuple[str, ...]]] = {kind: set() for kind in TREE}
_LOCAL_KNOWN = 512
_locals: dict[str, str] = {}


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""
    name = _locals.get(tag)
    if name is None:
        name = etree.QName(tag).localname
        if len(_locals) < _LOCAL_KNOWN:
            _locals[tag] = name
    return name


def sequence_problems(names: list[tuple[str, int]], spec) -> list[str]:
    """The children's names (run-length: (name, count)) against the spec's sequence."""
    problems = []
    position = 0
    for child, minimum, maximum, _kind in spec:
        count = 0
        while position < len(names) and names[position][0] == child:
            count += names[position][1]
            position += 1
        if count < minimum:
            problems.append(f"{child} manque")
        elif maximum is not None and count > maximum:
            problems.append(
                f"{child} est interdit ici" if maximum == 0 else f"{child} est répété {count} fois"
            )
    if position < len(names):
        problems.append(f"{names[position][0]} est inattendu ou mal placé")
    return problems


def tree_problems(element, kind: str) -> list[str]:
    """An element of type `kind` and everything under it, against TREE."""
    if kind == "Fichier":
        return []
    by_name = BY_NAME[kind]
    names: list[str] = []
    problems: list[str] = []
    for child in element:
        tag = child.tag
        if tag.__class__ is not str:  # a comment or a processing instruction
            continue
        name = _locals.get(tag) or _local(tag)
        names.append(name)
        sub = by_name.get(name)
        if sub is None:
            continue
        if sub.__class__ is str:
            if sub != "Fichier":
                problems += tree_problems(child, sub)
            continue
        value = child.get("V")
        if value is None:
            problems.append(f"{name} n'a pas de valeur (attribut V)")
        elif len(child):
            problems.append(f"{name} ne doit rien contenir")
        else:
            message = sub(value)
            if message:
                problems.append(f"{name} « {value} » {message}")
    shape = tuple(names)
    right = _right_sequences[kind]
    if shape not in right:
        wrong = sequence_problems(_name_runs(names), TREE[kind])
        if wrong:
            return [f"{kind} : {p}" for p in wrong] + problems
        if len(right) < SEQUENCES_KNOWN:
            right.add(shape)
    return problems


def _name_runs(names: list[str]) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + 1)
        else:
            runs.append((name, 1))
    return runs


def _v(element, path: str) -> str:
    found = element.find(path)
    return found.get("V", "") if found is not None else ""


def _firsts(element) -> dict:
    """Each tag's first child, as `element.find(tag)` finds it, in one walk."""
    firsts = {}
    for child in element:
        tag = child.tag
        if tag not in firsts:
            firsts[tag] = child
    return firsts


def _grandchildren(element) -> dict:
    """Each (child tag, grandchild tag)'s first grandchild, as `element.find("A/B")` finds
    it (the first A holding a B, its first B), in one walk."""
    found = {}
    for child in element:
        tag = child.tag
        for grandchild in child:
            key = (tag, grandchild.tag)
            if key not in found:
                found[key] = grandchild
    return found


def _value(found: dict, key) -> str:
    element = found.get(key)
    return element.get("V", "") if element is not None else ""


class _State:
    def __init__(self):
        self.cod_col = ""
        self.exer = 0
        self.id_bord = ""
        self.declared: dict[str, str] = {}
        self.pieces = 0
        self.ht = Decimal(0)
        self.vat = Decimal(0)
        self.vat_lines = 0
        self.typ_bord = ""
        self.ids: set[str] = set()
        self.pj_refs: set[str] = set()
        self.pj_ids: set[str] = set()


def _piece_problems(piece, state: _State) -> list[str]:
    problems = []
    bloc = None
    lignes = []
    for child in piece:
        tag = child.tag
        if tag == "LigneDePiece":
            lignes.append(child)
        elif tag == "BlocPiece" and bloc is None:
            bloc = child
    if bloc is None:
        return problems
    fields = _firsts(bloc)
    id_pce = _value(fields, "IdPce")
    if id_pce in state.ids:
        problems.append(f"IdPce {id_pce} est en double")
    state.ids.add(id_pce)
    if state.typ_bord == "06" and _value(fields, "TypPce") != "15":
        problems.append("un bordereau ORMC (TypBord 06) ne porte que des titres ORMC (TypPce 15)")
    debt, per = _value(fields, "NumDette"), _value(fields, "Per")
    if state.typ_bord == "02":
        problems += _credit_piece_problems(piece, bloc, debt, per)
    if state.typ_bord == "06":
        if not debt or not per:
            problems.append("NumDette et Per sont requis pour un titre ORMC")
        elif debt.isdigit() and per.isdigit():
            expected1 = cle1(
                collectivity_code=state.cod_col,
                nature_code=state.id_bord,
                year=state.exer,
                period=per,
                debt=debt,
            )
            expected2 = cle2(year=state.exer, period=per, debt=debt)
            if (found := _value(fields, "Cle1")) != expected1:
                problems.append(f"Cle1 « {found} » devrait valoir {expected1}")
            if (found := _value(fields, "Cle2")) != expected2:
                problems.append(f"Cle2 « {found} » devrait valoir {expected2}")
    refs = [child for child in bloc if child.tag == "PJRef"] if "PJRef" in fields else []
    for ref in refs:
        state.pj_refs.add(_v(ref, "IdUnique"))
    if _value(fields, "Edition") == "01" and not refs:
        problems.append("Edition 01 demande une référence de pièce jointe (PJRef)")
    line_ids = set()
    sepa_blocks = set()
    has_bank = False
    for ligne in lignes:
        below = _grandchildren(ligne)
        info = below.get(("BlocLignePiece", "InfoLignePiece"))
        if info is None:
            continue
        values = _firsts(info)
        id_ligne = _value(values, "IdLigne")
        if id_ligne in line_ids:
            problems.append(f"IdLigne {id_ligne} est en double")
        line_ids.add(id_ligne)
        try:
            state.ht += Decimal(_value(values, "MtHT") or "0")
            mt_tva = _value(values, "MtTVA")
            if mt_tva:
                state.vat += Decimal(mt_tva)
                state.vat_lines += 1
                if not _value(values, "TxTva"):
                    problems.append(f"ligne {id_ligne} : MtTVA sans TxTva")
        except InvalidOperation:
            pass
        if _value(values, "Majo") == "0" and ("DteMajo" in values or "TxMajo" in values):
            problems.append(f"ligne {id_ligne} : DteMajo et TxMajo interdits quand Majo vaut 0")
        if state.typ_bord == "06" and ("BlocLignePiece", "RattachPiece") in below:
            problems.append(
                f"ligne {id_ligne} : un titre ORMC (TypBord 06) ne se rattache à aucune pièce "
                "(RattachPiece)"
            )
        sepa = below.get(("BlocLignePiece", "InfoPrelevementSEPA"))
        if sepa is not None:
            sepa_blocks.add(
                tuple((_local(c.tag), c.get("V")) for c in sepa if _local(c.tag) != "MtPrel")
            )
        for tiers in ligne:
            if tiers.tag != "Tiers":
                continue
            found = _grandchildren(tiers)
            if _value(found, ("InfoTiers", "CatTiers")) == "01":
                for required in ("Civilite", "Prenom"):
                    if not _value(found, ("InfoTiers", required)):
                        problems.append(f"{required} est requis pour une personne physique")
            resident = _value(found, ("Adresse", "CodRes"))
            country = _value(found, ("Adresse", "CodPays"))
            if resident == "1" and not country:
                problems.append("CodPays est requis pour un non-résident")
            elif resident == "0" and country not in ("", "100"):
                problems.append("CodPays doit être absent ou valoir 100 pour un résident")
            if _value(found, ("CpteBancaire", "IBAN")):
                has_bank = True
    if len(sepa_blocks) > 1:
        problems.append("le prélèvement SEPA diffère d'une ligne à l'autre (hors MtPrel)")
    if sepa_blocks and not has_bank:
        problems.append("un prélèvement SEPA demande le compte du débiteur (CpteBancaire)")
    return problems


def _credit_piece_problems(piece, bloc, debt: str, per: str) -> list[str]:
    """A piece of a bordereau d'annulation-réduction (TypBord 02), as Levée writes it
    (`pes.py`, the constants of the annulation-réduction): the title's type 15 with NatPce
    06, the article it corrects named (NumDette, Per, Cle1, Cle2) and each line tied to
    that title (RattachPiece: ExerRat, IdPceOrig, the same on every line), no debit."""
    problems = []
    if _v(bloc, "TypPce") != TYP_PCE_CREDIT or _v(bloc, "NatPce") != NAT_PCE_CREDIT:
        problems.append(
            f"un bordereau d'annulation-réduction (TypBord 02) porte des pièces TypPce "
            f"{TYP_PCE_CREDIT} de nature {NAT_PCE_CREDIT} (annulation-réduction)"
        )
    if not debt or not per or not _v(bloc, "Cle1") or not _v(bloc, "Cle2"):
        problems.append(
            "NumDette, Per, Cle1 et Cle2 de l'article corrigé sont requis pour une réduction"
        )
    origins = set()
    for ligne in piece.findall("LigneDePiece"):
        id_ligne = _v(ligne, "BlocLignePiece/InfoLignePiece/IdLigne")
        rattach = ligne.find("BlocLignePiece/RattachPiece")
        if rattach is None:
            problems.append(f"ligne {id_ligne} : la pièce qu'elle réduit manque (RattachPiece)")
            continue
        origins.add((_v(rattach, "ExerRat"), _v(rattach, "IdPceOrig")))
        if ligne.find("BlocLignePiece/InfoPrelevementSEPA") is not None:
            problems.append(f"ligne {id_ligne} : une réduction ne porte pas de prélèvement")
    if len(origins) > 1:
        problems.append("les lignes d'une réduction se rattachent à des titres différents")
    if len(origins) == 1 and debt.isdigit() and per.isdigit():
        exer = next(iter(origins))[0]
        if exer.isdigit():
            expected = cle2(year=int(exer), period=per, debt=debt)
            if _v(bloc, "Cle2") != expected:
                problems.append(
                    f"Cle2 « {_v(bloc, 'Cle2')} » devrait valoir {expected} (article de "
                    f"l'exercice {exer})"
                )
    return problems


def _pj_problems(pj, state: _State) -> list[str]:
    identifier = _v(pj, "IdUnique")
    problems = []
    if identifier in state.pj_ids:
        problems.append(f"IdUnique {identifier} est en double")
    state.pj_ids.add(identifier)
    fichier = pj.find("Contenu/Fichier")
    if fichier is None:
        return problems
    if not fichier.get("MIMEType"):
        problems.append("Fichier n'a pas de MIMEType")
    try:
        content = gzip.decompress(base64.b64decode((fichier.text or "").strip(), validate=True))
    except (binascii.Error, OSError, EOFError, zlib.error, ValueError):
        problems.append("Fichier ne se décode pas (base64 puis gzip)")
    else:
        if fichier.get("MIMEType") == "application/pdf" and not content.startswith(b"%PDF"):
            problems.append("Fichier n'est pas un PDF")
    return problems


def pes_check(path, *, limit: int = 50) -> list[str]:
    """The problems of the PES file at `path`, in French; [] when it passes."""
    problems: list[str] = []
    state = _State()
    # The open containers from the root down, each with its children's names (run-length).
    stack: list[tuple[str, list[tuple[str, int]]]] = []
    # Below a container's child, the stream only counts the depth: that child is checked
    # whole at its end (a unit), or left to its container's sequence (anything else).
    depth = 0
    child_name = ""

    def add(found: list[str], prefix: str = "") -> None:
        for problem in found:
            if len(problems) < limit:
                problems.append(f"{prefix}{problem}")

    try:
        context = etree.iterparse(
            str(path), events=("start", "end"), huge_tree=True, resolve_entities=False
        )
        for event, element in context:
            if depth:
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth or child_name not in UNITS:
                    continue
                add(*_unit_problems(element, child_name, state))
                element.clear(keep_tail=True)
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
                continue
            if event == "end":  # a container's, the others ending above
                name, runs = stack.pop()
                add([f"{name} : {p}" for p in sequence_problems(runs, TREE[name])])
                if name == "Bordereau":
                    add(_bordereau_totals(state), f"bordereau {state.id_bord} : ")
                elif name == "PES_Aller":
                    add(_references_problems(state))
                continue
            if not stack:
                if element.tag != ROOT_TAG:
                    add([f"l'élément racine doit être PES_Aller de l'espace {NAMESPACE}"])
                    return problems
                stack.append(("PES_Aller", []))
                continue
            name = _local(element.tag)
            runs = stack[-1][1]
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + 1)
            else:
                runs.append((name, 1))
            if name in CONTAINERS:
                stack.append((name, []))
                if name == "Bordereau":
                    state.ids = set()
                    state.pieces = 0
                    state.ht = state.vat = Decimal(0)
                    state.vat_lines = 0
            else:
                depth = 1
                child_name = name
    except etree.XMLSyntaxError as error:
        add([f"le fichier n'est pas un XML lisible : {error}"])
    return problems


def _unit_problems(element, name: str, state: _State) -> tuple[list[str], str]:
    if name == "Piece":
        state.pieces += 1
        where = (
            f"bordereau {state.id_bord}, pièce {_v(element, 'BlocPiece/IdPce')} "
            f"(facture {_v(element, 'BlocPiece/NumDette')}) : "
        )
        return tree_problems(element, name) + _piece_problems(element, state), where
    if name == "PJ":
        where = f"pièce jointe {_v(element, 'IdUnique')} : "
        return tree_problems(element, name) + _pj_problems(element, state), where
    if name == "EnTetePES":
        state.cod_col = _v(element, "CodCol")
    elif name == "BlocBordereau":
        state.id_bord = _v(element, "IdBord")
        state.typ_bord = _v(element, "TypBord")
        exer = _v(element, "Exer")
        state.exer = int(exer) if exer.isdigit() else 0
        state.declared = {tag: _v(element, tag) for tag in ("NbrPce", "MtBordHt", "MtBordTVA")}
    return tree_problems(element, name), ""


def _references_problems(state: _State) -> list[str]:
    problems = []
    missing = state.pj_refs - state.pj_ids
    if missing:
        problems.append(f"{len(missing)} référence(s) PJRef sans pièce jointe dans PES_PJ")
    orphans = state.pj_ids - state.pj_refs
    if orphans:
        problems.append(f"{len(orphans)} pièce(s) jointe(s) sans PJRef")
    return problems


def _bordereau_totals(state: _State) -> list[str]:
    problems = []
    declared = state.declared
    if declared.get("NbrPce") != str(state.pieces):
        problems.append(f"NbrPce vaut {declared.get('NbrPce')} pour {state.pieces} pièces")
    if declared.get("MtBordHt") != f"{state.ht:.2f}":
        problems.append(
            f"MtBordHt vaut {declared.get('MtBordHt')}, la somme des MtHT {state.ht:.2f}"
        )
    if state.vat_lines and declared.get("MtBordTVA") != f"{state.vat:.2f}":
        problems.append(
            f"MtBordTVA vaut {declared.get('MtBordTVA') or 'rien'}, la somme des MtTVA {state.vat:.2f}"
        )
    if not state.vat_lines and declared.get("MtBordTVA"):
        problems.append("MtBordTVA sans aucune ligne de TVA")
    return problems
