"""The layers of CONTRIBUTING's map, read from the imports of every module (function-level
imports included): `levee/lib/` knows no domain app; the domain apps import neither screens
(views, forms) nor the screen-only apps; a payment gateway raises no HTTP response; no two
apps import each other's services or importers in a loop."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LEVEE = ROOT / "levee"
# The apps that are only screens: they sit on top of the domain.
SCREEN_APPS = {"backoffice", "space", "api", "ecocito"}
# Modules of a domain app that are screens (or the framework's glue), by name.
SCREEN_PREFIXES = ("views", "forms", "urls", "access")
SCREEN_NAMES = {"admin"}
SCREEN_DIRS = {"templatetags", "management", "tests", "migrations"}
DOTTED = re.compile(r"^levee(\.[A-Za-z_][A-Za-z0-9_]*){2,}$")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _dotted_module(text: str) -> str | None:
    """The module a dotted path in a string names ("levee.x.importers.IMPORTER", as
    `import_string` reads it), or None."""
    if not DOTTED.match(text):
        return None
    parts = text.split(".")
    for end in range(len(parts), 2, -1):
        if _is_module(".".join(parts[:end])):
            return ".".join(parts[:end])
    return None


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, anywhere in it, as (line, absolute dotted name); a
    `from package import name` names the submodule when `name` is one, and a string that
    names a module by its dotted path (to be imported later) counts as an import of it."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = _dotted_module(node.value)
            # Within one app a dotted string is the app's own business.
            if named and not named.startswith(".".join(module.split(".")[:2]) + "."):
                found.append((node.lineno, named))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.append((node.lineno, candidate if _is_module(candidate) else target))
    return found


def levee_modules() -> list[Path]:
    return sorted(p for p in LEVEE.rglob("*.py") if "migrations" not in p.parts)


def app_of(path: Path) -> str:
    return path.relative_to(LEVEE).parts[0] if len(path.relative_to(LEVEE).parts) > 1 else ""


def is_screen_module(path: Path) -> bool:
    """A module of a domain app that is a screen: views*, forms*, urls*, access*, admin.py,
    templatetags/, management/, tests/ (a request type's form under requests/kinds/ is a
    plugin of the domain, checked with it)."""
    inner = path.relative_to(LEVEE).parts[1:]
    if any(part in SCREEN_DIRS for part in inner[:-1]):
        return True
    stem = path.stem
    return stem in SCREEN_NAMES or stem.startswith(SCREEN_PREFIXES)


def is_screen_import(name: str) -> bool:
    parts = name.split(".")
    if parts[0] != "levee" or len(parts) < 2:
        return False
    if parts[1] in SCREEN_APPS:
        return True
    return any(part.startswith(("views", "forms")) for part in parts[2:])


def domain_breaches() -> list[str]:
    breaches = []
    for path in levee_modules():
        app = app_of(path)
        if app in ("", "lib") or app in SCREEN_APPS or is_screen_module(path):
            continue
        for line, name in imports_of(path):
            if not is_screen_import(name):
                continue
            # A request type is a plugin that may hold its own form (and reach the
            # forms' shared fields): requests/kinds/ may import levee.requests.forms.
            inner = path.relative_to(LEVEE).parts
            if inner[:2] == ("requests", "kinds") and name == "levee.requests.forms":
                continue
            breaches.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(breaches))


def lib_breaches() -> list[str]:
    breaches = []
    for path in sorted((LEVEE / "lib").rglob("*.py")):
        if "tests" in path.relative_to(LEVEE).parts or "migrations" in path.parts:
            continue
        for line, name in imports_of(path):
            parts = name.split(".")
            if parts[0] == "levee" and len(parts) > 1 and parts[1] != "lib":
                breaches.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return breaches


HTTP_NAMES = {"django.http", "django.shortcuts", "django.template.response"}


def gateway_breaches() -> list[str]:
    breaches = []
    for path in sorted((LEVEE / "payments" / "gateways").glob("*.py")):
        for line, name in imports_of(path):
            if name in HTTP_NAMES or name.startswith("django.http.") or is_screen_import(name):
                breaches.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
            elif name.startswith("levee.") and name.split(".")[-1].startswith("views"):
                breaches.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return breaches


def service_edges() -> dict[tuple[str, str], str]:
    """app → app where a (non-test) module of the first imports the services or the
    importers of the second, with one place it does."""
    edges = {}
    for path in levee_modules():
        app = app_of(path)
        if not app or "tests" in path.relative_to(LEVEE).parts:
            continue
        for line, name in imports_of(path):
            parts = name.split(".")
            if parts[0] != "levee" or len(parts) < 3 or parts[1] == app:
                continue
            if parts[2].startswith(("services", "importers")):
                edges.setdefault((app, parts[1]), f"{path.relative_to(ROOT)}:{line} → {name}")
    return edges


def service_cycles() -> list[str]:
    edges = service_edges()
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
    cycles = []

    def walk(start, node, trail):
        for following in sorted(graph.get(node, ())):
            if following == start:
                loop = [*trail, start]
                cycles.append(
                    " → ".join(loop)
                    + " ("
                    + "; ".join(edges[(a, b)] for a, b in zip(loop, loop[1:], strict=False))
                    + ")"
                )
            elif following not in trail and following > start:
                walk(start, following, [*trail, following])

    for start in sorted(graph):
        walk(start, start, [start])
    return cycles


def test_the_import_reader_sees_function_level_relative_and_dotted_string_imports():
    here = imports_of(LEVEE / "lib" / "apps.py")
    assert any(name == "levee.lib.checks" for _, name in here)  # inside ready()
    assert any(name == "levee.lib.captcha" for _, name in here)  # from .captcha import …
    urls = [name for _, name in imports_of(LEVEE / "urls.py")]
    assert "levee.billing.urls_backoffice" in urls  # include("levee.billing.urls_backoffice")


@pytest.mark.parametrize(
    "name, screen",
    [
        ("levee.space.access", True),
        ("levee.backoffice.services", True),
        ("levee.billing.views_backoffice", True),
        ("levee.accounts.forms", True),
        ("levee.billing.selectors", False),
        ("django.forms", False),
    ],
)
def test_a_screen_import_is_told_from_a_domain_one(name, screen):
    assert is_screen_import(name) is screen


def test_no_domain_module_imports_a_screen():
    assert domain_breaches() == []


def test_lib_imports_no_domain_app():
    assert lib_breaches() == []


def test_a_payment_gateway_imports_no_view_and_raises_no_http_response():
    assert gateway_breaches() == []


def test_no_two_apps_import_each_others_services_in_a_loop():
    assert service_cycles() == []
