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
