"""Views never look an object up themselves: an id from the URL goes through an access
helper of its app (`get_<thing>_for_user(request, …)`, `get_<thing>_for_agent(request,
pk)`: a queryset scoped to the person or to the agent's authority, then get_object_or_404),
and any other read is a selector. This test reads every views*.py module and fails on an
ORM lookup written in one of them."""

import ast
from pathlib import Path

import levee

ROOT = Path(levee.__file__).parent

# Methods that only a queryset or a related manager has: calling one in a view is a lookup
# (`account.accesses.filter(...)`, `user.opening_requests.first()`).
QUERYSET_METHODS = {
    "aggregate",
    "annotate",
    "exclude",
    "exists",
    "filter",
    "first",
    "last",
    "order_by",
    "prefetch_related",
    "select_related",
    "values_list",
}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}


def view_modules() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("views*.py") if "tests" not in path.relative_to(ROOT).parts
    )


def lookups_in(source: str) -> list[str]:
    """Each ORM lookup of a module, as « line: what »."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and any(a.name in SHORTCUTS for a in node.names):
            found.append(f"{node.lineno}: imports {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in SHORTCUTS or (
                isinstance(func, ast.Attribute) and func.attr in QUERYSET_METHODS
            ):
                found.append(f"{node.lineno}: {ast.unparse(func)}(…)")
    return found


def test_the_views_of_every_app_are_found():
    names = {str(path.relative_to(ROOT)) for path in view_modules()}
    assert "backoffice/views.py" in names
    assert "requests/views_backoffice.py" in names
    assert "accounts/views_association.py" in names
    assert len(names) >= 15


def test_no_view_module_looks_an_object_up_itself():
    offending = {
        str(path.relative_to(ROOT)): found
        for path in view_modules()
        if (found := lookups_in(path.read_text(encoding="utf-8")))
    }
    assert offending == {}, (
        "Views reach objects through an access helper (access*.py) and read through "
        f"selectors: {offending}"
    )


def test_it_reports_a_manager_lookup_a_shortcut_and_a_related_filter():
    source = (
        "from django.shortcuts import get_object_or_404\n"
        "def detail(request, pk):\n"
        "    account = Account.objects.get(pk=pk)\n"
        "    invoice = get_object_or_404(Invoice, pk=pk)\n"
        "    access = request.user.account_accesses.filter(account_id=pk).first()\n"
    )
    found = lookups_in(source)
    assert "1: imports get_object_or_404" in found
    assert "3: Account.objects" in found
    assert "4: get_object_or_404(…)" in found
    assert "5: request.user.account_accesses.filter(account_id=pk).first(…)" in found
    assert "5: request.user.account_accesses.filter(…)" in found


def test_it_leaves_dictionaries_sessions_and_forms_alone():
    source = (
        "def page(request):\n"
        "    wanted = request.GET.get('q', '')\n"
        "    request.session.pop('key', None)\n"
        "    used = sorted({c.flux for cs in days.values() for c in cs})\n"
        "    return form.cleaned_data['email']\n"
    )
    assert lookups_in(source) == []
