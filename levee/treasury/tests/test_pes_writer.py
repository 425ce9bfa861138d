"""The shortcuts of the fast rôle writer give what the plain computations give: the texts
folded by one translation table as by NFKD, the values escaped as lxml escapes them, the
keys from a sum computed once per file, the amounts without Decimal."""

import io
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from levee.treasury.pes import ENCODING, _cut, _Keys, _words, amount, cle1, cle2, leaf, pes_text


def pes_text_reference(value: str, length: int) -> str:
    """The text as PES.md describes it, computed over the whole text at once."""
    text = unicodedata.normalize("NFKD", str(value or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    for wide, narrow in (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE"), ("ß", "ss")):
        text = text.replace(wide, narrow)
    text = text.replace("’", "'").replace("«", '"').replace("»", '"')
    text = "".join(c if 32 <= ord(c) < 127 else " " for c in text)
    text = " ".join(text.split()).upper()
    if len(text) > length:
        cut = text[:length]
        text = cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut
    return text.strip()


FRENCH = "aàâäeéèêëiîïoôöuùûüyÿcçœæßAÀÂÉÈÊËÎÏÔÖÙÛÜŸÇŒÆ’«»'\"&<> -,.\t\n\r\x07\x7f€—\u0301ﬁ²"


@given(
    st.text(alphabet=st.sampled_from(FRENCH), max_size=60) | st.text(max_size=40),
    st.integers(min_value=1, max_value=50),
)
@example("Marie-Noëlle\tFrançoise Ægidia", 38)
@example("e\u0301te\u0301 « ﬁn » Œuvre", 10)
def test_the_folding_table_gives_what_nfkd_gives(value, length):
    assert pes_text.__wrapped__(value, length) == pes_text_reference(value, length)


def lxml_attribute(value: str) -> bytes:
    out = io.BytesIO()
    with etree.xmlfile(out, encoding=ENCODING) as xf:
        xf.write(etree.Element("T", V=value))
    return out.getvalue()


XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in (*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)],
)


@given(st.text(alphabet=XML_CHARS, min_size=1, max_size=40))
@example("a & b < c > d \"e\" 'f'\t\n\r é € 😀 ]]>")
def test_a_value_is_escaped_as_lxml_escapes_it(value):
    assert leaf("T", value).encode(ENCODING, "xmlcharrefreplace") == lxml_attribute(value)


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "\x1f"])
def test_a_control_character_is_refused_as_lxml_refuses_it(value):
    with pytest.raises(ValueError):
        lxml_attribute(value)
    with pytest.raises(ValueError):
        leaf("T", value)


@given(
    st.sampled_from(["240", "001", "2", "39", "0A1"]),
    st.integers(min_value=1, max_value=9_999_999),
    st.integers(min_value=2000, max_value=2099),
    st.sampled_from("0129"),
    st.from_regex(r"\A[0-9]{1,13}\Z") | st.from_regex(r"\A[0-9A-Z]{1,16}\Z"),
)
@example("240", 1, 2026, "2", "2600240000001")
def test_the_keys_computed_per_file_are_those_of_each_debt(code, bordereau, year, period, debt):
    keys = _Keys(collectivity_code=code, nature_code=str(bordereau), year=year, period=period)
    assert keys.cle1(debt) == cle1(
        collectivity_code=code, nature_code=str(bordereau), year=year, period=period, debt=debt
    )
    if debt.isdigit():
        assert keys.cle2(debt) == cle2(year=year, period=period, debt=debt)
    else:  # no number: refused alike
        with pytest.raises(ValueError):
            cle2(year=year, period=period, debt=debt)
        with pytest.raises(ValueError):
            keys.cle2(debt)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_amounts_are_written_as_decimal_writes_them(cents):
    assert amount(cents) == f"{Decimal(cents) / 100:.2f}"


@given(
    st.text(alphabet=st.sampled_from(FRENCH), max_size=12),
    st.text(alphabet=st.sampled_from(FRENCH), max_size=50),
    st.integers(min_value=1, max_value=50),
)
@example("12", "rue du Général de Gaulle prolongée vers la place de l'Église", 38)
def test_number_and_street_folded_apart_give_the_text_folded_whole(number, street, length):
    words = " ".join(w for w in (_words(number), _words(street)) if w)
    assert _cut(words, length) == pes_text_reference(f"{number} {street}", length)
