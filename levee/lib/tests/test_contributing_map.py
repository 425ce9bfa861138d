"""CONTRIBUTING's map of the house matches the code: every template, view, service and
selector its flows table names exists, and the table names the flows the issue asks."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FLOWS_HEADING = "Three flows, from the button to the database:"


def flows_table() -> list[list[str]]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    after = text.split(FLOWS_HEADING, 1)[1].lstrip("\n")
    rows = []
    for line in after.splitlines():
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]  # the header and its rule


def names_in(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def resolve(dotted: str):
    """The object a dotted name names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for attribute in parts[end:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


def test_the_map_names_the_three_flows_of_the_issue():
    labels = " ".join(row[0] for row in flows_table())
    for label in ("« Facture à blanc »", "« Valider la clé d'activation »", "« Contester »"):
        assert label in labels


@pytest.mark.parametrize("row", flows_table(), ids=lambda row: row[0][:40])
def test_every_name_of_a_flow_exists(row):
    _label, template, view, service = row
    for path in names_in(template):
        assert (ROOT / path).is_file(), path
    for dotted in names_in(view) + names_in(service):
        assert callable(resolve(dotted)), dotted


def test_a_wrong_name_is_seen():
    with pytest.raises(AttributeError):
        resolve("levee.billing.views.no_such_view")
