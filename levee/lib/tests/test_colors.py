import pytest
from django.core.exceptions import ValidationError

from levee.lib.colors import contrast_ratio, validate_hex_color
from levee.lib.text import fold, fold_compact


def test_it_computes_black_on_white_as_21():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0


def test_it_computes_a_mid_grey_below_aa():
    assert contrast_ratio("#999999", "#ffffff") < 4.5


def test_it_rejects_a_colour_that_is_not_hex():
    with pytest.raises(ValidationError):
        validate_hex_color("blue")


def test_it_folds_accents_case_and_spaces():
    assert fold("Pélussin") == "pelussin"
    assert fold("  SAINT-Étienne ") == "saint etienne"
    assert fold_compact("Du Pont") == fold_compact("DUPONT") == "dupont"
