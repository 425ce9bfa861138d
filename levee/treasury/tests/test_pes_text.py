"""The PES texts: upper case, no accents, no control character, one space between words, cut
at the last space within the length; the cached fast path for plain ASCII says the same."""

import pytest

from levee.treasury.pes import pes_text


@pytest.mark.parametrize(
    "value, length, expected",
    [
        ("Hélène Bancé", 38, "HELENE BANCE"),
        ("rue de l’Église « haute »", 38, 'RUE DE L\'EGLISE " HAUTE "'),
        ("Cœur Lætitia Straße", 38, "COEUR LAETITIA STRASSE"),
        ("route\tde\x01Méteren\n", 38, "ROUTE DE METEREN"),
        ("route\tde\x01Meteren\x7f\n", 38, "ROUTE DE METEREN"),
        ("  29   route de Méteren  ", 38, "29 ROUTE DE METEREN"),
        ("REDEVANCE INCITATIVE DECHETS MENAGERS", 20, "REDEVANCE INCITATIVE"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10, "ABCDEFGHIJ"),
        ("", 10, ""),
        (None, 10, ""),
    ],
)
def test_a_pes_text_is_upper_case_plain_ascii_and_cut_at_a_word(value, length, expected):
    assert pes_text(value, length) == expected
    assert pes_text(value, length) == expected  # and again, from the cache
