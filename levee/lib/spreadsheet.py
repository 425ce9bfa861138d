"""Cells of the CSV files residents and agents open in a spreadsheet."""

from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell a spreadsheet will not run as a formula (CSV injection): a leading
    =, +, -, @, tab or carriage return gets a quote in front. Numbers pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def decimal_fr(value: Decimal) -> str:
    """12.500 → « 12,5 »: the French decimal comma, no trailing zeros."""
    return f"{Decimal(value).normalize():f}".replace(".", ",")
