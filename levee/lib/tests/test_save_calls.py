"""No `save()` rewrites a whole row: every model save of the production code names the
fields it changes (`update_fields=[…]`) or is an insert that cannot overwrite a row
(`force_insert=True`, or better `Model.objects.create`). A full save writes back every
column as this process last read it, and so undoes what another request, worker or agent
changed in between.

A call with positional arguments is not a model's save (Django's `Model.save` takes
keywords only): a storage's `save(name, content)`, a file field's `save(name, content,
save=False)`, an image's `save(buffer)`."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LEVEE = ROOT / "levee"

# file:function whose saves are the framework's, explained one by one.
ALLOWED = {
    # Django's PasswordChangeForm.save(): the form sets the password and saves its user.
    "levee/accounts/views.py:password_change",
    # The operator's admin inline: a form's instances, new or changed (Django's own save).
    "levee/calendars/admin.py:CollectionScheduleAdmin.save_formset",
}


def _production_modules():
    for path in sorted(LEVEE.rglob("*.py")):
        parts = path.relative_to(LEVEE).parts
        if "tests" in parts or "migrations" in parts:
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def bare_saves(source: str, name: str) -> list[str]:
    """The `.save(…)` calls of a module's `source` that may rewrite a whole row, as
    "name:function:line"."""
    found = []

    def visit(node, scope: list[str]):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = [*scope, node.name]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "save"
            and not node.args
            and not _names_its_write(node)
        ):
            found.append(f"{name}:{'.'.join(scope)}:{node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(ast.parse(source, name), [])
    return found


def production_bare_saves() -> list[str]:
    return [
        where
        for path in _production_modules()
        for where in bare_saves(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]


def _names_its_write(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "update_fields":
            return True
        if keyword.arg == "force_insert" and _is_true(keyword.value):
            return True
    return False


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def test_no_production_save_rewrites_a_whole_row():
    found = [where for where in production_bare_saves() if where.rpartition(":")[0] not in ALLOWED]
    assert found == [], (
        "save() without update_fields: name the fields changed, or insert with "
        "Model.objects.create (file:function:line)\n" + "\n".join(found)
    )


def test_every_allowed_save_still_exists():
    # An entry left behind by a rename or a fix would silently allow the next one.
    present = {where.rpartition(":")[0] for where in production_bare_saves()}
    assert ALLOWED - present == set()


def test_the_scan_catches_a_bare_save_and_lets_the_careful_ones_pass():
    source = (
        "def careless(account):\n"
        "    account.save()\n"
        "    account.save(using='default')\n"
        "    account.save(force_insert=False)\n"
        "\n"
        "def careful(account, storage, upload):\n"
        "    account.save(update_fields=['phone', 'updated_at'])\n"
        "    account.save(force_insert=True)\n"
        "    storage.save('a.pdf', upload)\n"
        "    account.proof.save('a.pdf', upload, save=False)\n"
    )
    assert bare_saves(source, "sample.py") == [
        "sample.py:careless:2",
        "sample.py:careless:3",
        "sample.py:careless:4",
    ]
