"""`.env.example` and the README's table of settings name exactly the environment variables
`levee/settings.py` reads: none missing (an operator would never learn it exists), none left
over (an operator would set it for nothing)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=")
README_ROW = re.compile(r"^\|([^|]*)\|")
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def _is_environ(node) -> bool:
    """`os.environ`."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _reads_environ(function: ast.FunctionDef) -> bool:
    return any(_is_environ(node) for node in ast.walk(function))


def _constant(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def variables_read(source: str) -> set[str]:
    """The variables a settings module reads: `os.environ.get("X")`, `os.environ["X"]`,
    `os.getenv("X")`, and the module's own helpers that read the environment, called with
    the variable's name first (`env_bool("X", …)`)."""
    tree = ast.parse(source)
    helpers = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and _reads_environ(node)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            found.add(_constant(node.slice))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = _constant(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
                found.add(name)
            elif isinstance(func, ast.Attribute) and func.attr == "getenv":
                found.add(name)
            elif isinstance(func, ast.Name) and func.id in helpers:
                found.add(name)
    # The helpers' own reads take the name they are given, not a variable.
    found.discard(None)
    return found


def variables_listed(text: str) -> set[str]:
    return {match.group(1) for line in text.splitlines() if (match := ASSIGNMENT.match(line))}


def readme_variables(text: str) -> set[str]:
    """The names in the first column of the table under the README's « ## Settings »."""
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if match := README_ROW.match(line):
            names |= set(NAME.findall(match.group(1)))
    return names


def settings_variables() -> set[str]:
    return variables_read((ROOT / "levee" / "settings.py").read_text(encoding="utf-8"))


def test_env_example_lists_exactly_the_variables_settings_reads():
    listed = variables_listed((ROOT / ".env.example").read_text(encoding="utf-8"))
    read = settings_variables()
    assert read - listed == set(), "read by settings.py, missing from .env.example"
    assert listed - read == set(), "in .env.example, never read by settings.py"


def test_the_readme_table_names_exactly_the_variables_settings_reads():
    named = readme_variables((ROOT / "README.md").read_text(encoding="utf-8"))
    read = settings_variables()
    assert read - named == set(), "read by settings.py, missing from the README's table"
    assert named - read == set(), "in the README's table, never read by settings.py"


def test_every_way_settings_reads_a_variable_is_seen():
    source = (
        "import os\n"
        "def env_int(name, default):\n"
        "    return int(os.environ.get(name) or default)\n"
        "A = os.environ.get('A', '')\n"
        "B = os.environ['B']\n"
        "C = env_int('C', 3)\n"
        "D = os.getenv('D')\n"
        "E = os.environ.get('E') or 'x'\n"
        "F = str('NOT_A_VARIABLE')\n"
    )
    assert variables_read(source) == {"A", "B", "C", "D", "E"}
    assert variables_listed("# A comment=no\nA=1\nB=\n  C=2\n") == {"A", "B"}
