"""Text helpers shared by every domain: comparisons that ignore case, accents and spaces."""

import re
import unicodedata


def fold(value: str) -> str:
    """Lower-case ASCII form of a text, accents removed, punctuation turned into spaces.

    « Pélussin », « PELUSSIN » and « pelussin » fold to the same « pelussin »;
    « Saint-Étienne » to « saint etienne ».
    """
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_text = ascii_text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    ascii_text = re.sub(r"[^0-9a-zA-Z]+", " ", ascii_text)
    return ascii_text.strip().lower()


def sort_key_fr(value: str) -> tuple[str, str]:
    """The key that orders names as a French list does: accents, case and punctuation
    aside (« Éecke » between « Eblinghem » and « Estaires », « Saint-Étienne » before
    « Sainte-Croix »), the name itself breaking ties. Sorting in Python with it gives the
    same order on every database, whatever its collation."""
    return fold(value), value or ""


def fold_compact(value: str) -> str:
    """`fold` without any space: names typed with or without spaces compare equal."""
    return fold(value).replace(" ", "")


def iban_mask(iban: str) -> str:
    """« FR76 **** **** **** **** ***0 189 »: an IBAN as it may be shown anywhere, only the
    country, the check digits and the last four characters readable."""
    compact = "".join((iban or "").split()).upper()
    if len(compact) < 8:
        return ""
    hidden = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


def plural_fr(count: int, singular: str, plural: str | None = None) -> str:
    """« 0 demande traitée », « 1 levée », « 2 levées »: the count and its noun (or noun
    phrase) the French way, where 0 and 1 take the singular. `plural` defaults to each
    word of `singular` with an « s » (« demande traitée » → « demandes traitées »)."""
    if plural is None:
        words = singular.split()
        plural = " ".join(w if w.endswith(("s", "x", "z")) else f"{w}s" for w in words)
    return f"{count} {singular if abs(count) < 2 else plural}"


# How « de » joins the start of an authority's name: feminine nouns take « de la »,
# masculine ones « du », a vowel « d' » (« de la Communauté de communes… », « du Syndicat
# mixte… », « d'Agglo… »).
_FEMININE = ("communauté", "métropole", "agglomération", "régie", "ville", "commune", "cc", "ca")
_MASCULINE = ("syndicat", "sictom", "smictom", "smirtom", "sivom", "sirtom", "smitom", "pays")
_ACRONYM_FEMININE = ("CC", "CA")
_ACRONYM_MASCULINE = ("S",)


def of_name(name: str) -> str:
    """« de » followed by an organisation's name, with the article or the elision French
    asks for: « de la Communauté de Communes de Flandre Intérieure », « du Syndicat mixte
    du Pilat », « d'Annemasse Agglo », « de Lille ». A name already opening with an article
    (« La Métropole… », « Le SICTOM… ») is contracted (« de la Métropole… », « du SICTOM… »)."""
    name = (name or "").strip()
    if not name:
        return ""
    first = name.split()[0]
    lower = first.lower()
    if lower in ("le", "les") and len(name.split()) > 1:
        rest = name[len(first) :].strip()
        return f"{'du' if lower == 'le' else 'des'} {rest}"
    if lower == "la" and len(name.split()) > 1:
        return f"de la {name[len(first) :].strip()}"
    if lower.startswith("l'") or lower.startswith("l’"):
        return f"de l'{name[2:]}"
    if first.isupper() and len(first) > 1:
        if first.startswith(_ACRONYM_FEMININE):
            return f"de la {name}"
        if first.startswith(_ACRONYM_MASCULINE):
            return f"du {name}"
    if lower in _FEMININE:
        return f"de la {name}"
    if lower in _MASCULINE:
        return f"du {name}"
    if fold(first[:1]) in tuple("aeiouy"):
        return f"d'{name}"
    return f"de {name}"


def to_name(name: str) -> str:
    """« à » followed by an organisation's name, contracted the same way: « à la
    Communauté de communes… », « au Syndicat… », « à Lille »."""
    of = of_name(name)
    for de, to in (("de la ", "à la "), ("de l'", "à l'"), ("du ", "au "), ("des ", "aux ")):
        if of.startswith(de):
            return to + of[len(de) :]
    if of.startswith("d'"):
        return "à " + of[2:]
    return "à " + of[3:] if of else ""


def the_name(name: str) -> str:
    """An organisation's name with its article, as the subject of a sentence: « la
    Communauté de communes… a besoin », « le Syndicat… », « Annemasse Agglo » (capfirst it
    at the start of a sentence)."""
    of = of_name(name)
    for de, the in (("de la ", "la "), ("de l'", "l'"), ("du ", "le "), ("des ", "les ")):
        if of.startswith(de):
            return the + of[len(de) :]
    if of.startswith("d'"):
        return of[2:]
    return of[3:] if of else ""
