"""The list of page types the browser tests check at 320 px and with axe follows the
URLconfs: every named URL pattern is a checked page type, checked by a test of its own, or
set aside with the reason it is not a page. The pages the « Déclaration d'accessibilité »
names as audited (docs/accessibility/audit.toml) are among the checked ones."""

from types import SimpleNamespace

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from levee.lib.accessibility import accessibility_audit
from levee.requests.registry import REQUEST_TYPES
from levee.space.tests.page_types import CHECKED_ELSEWHERE, NOT_PAGES, PAGE_TYPES


def url_names(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the operator's Django admin, not the product's pages
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_named_url_is_a_checked_page_or_says_why_not():
    checked = {page_type.name for page_type in PAGE_TYPES}
    listed = checked | set(CHECKED_ELSEWHERE) | set(NOT_PAGES)
    missing = sorted(set(url_names()) - listed)
    assert not missing, f"page types neither checked at 320 px nor set aside: {missing}"


def test_the_lists_name_only_existing_urls_and_each_once():
    names = set(url_names())
    checked = {page_type.name for page_type in PAGE_TYPES}
    elsewhere, set_aside = set(CHECKED_ELSEWHERE), set(NOT_PAGES)
    assert not (checked | elsewhere | set_aside) - names, "a name no URLconf has"
    assert not checked & set_aside and not checked & elsewhere and not elsewhere & set_aside
    assert all(reason.strip() for reason in [*NOT_PAGES.values(), *CHECKED_ELSEWHERE.values()])


def test_the_pages_the_accessibility_statement_names_are_checked_page_types():
    checked = {page_type.name for page_type in PAGE_TYPES} | set(CHECKED_ELSEWHERE)
    for audited in accessibility_audit().pages:
        match = resolve(audited.url_for("flandre-interieure"))
        assert match.view_name in checked, f"{audited.path} ({match.view_name}) is not checked"


def test_every_request_form_of_the_space_is_a_checked_page_type():
    checked = {
        page_type.kwargs(SimpleNamespace(slug="x"))["kind_slug"]
        for page_type in PAGE_TYPES
        if page_type.name == "requests:request_form"
    }
    assert {t.slug for t in REQUEST_TYPES if t.in_space} == checked
