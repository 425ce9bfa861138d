"""The request types of « Mes services », in one list: adding a type is writing its class in
`kinds/` and naming it here (see « How to add a request type » in CONTRIBUTING.md)."""

from django.http import Http404

from .kinds.base import Group, RequestType
from .kinds.contact_details import ContactDetails
from .kinds.personal_information import PersonalInformation

# In their order within their group of « Mes services ».
REQUEST_TYPES: tuple[RequestType, ...] = (
    ContactDetails(),
    PersonalInformation(),
)

_BY_KEY = {t.key: t for t in REQUEST_TYPES}
_BY_SLUG = {t.slug: t for t in REQUEST_TYPES}
assert len(_BY_KEY) == len(_BY_SLUG) == len(REQUEST_TYPES), "a key or slug is used twice"
assert all(t.group in Group.ORDER for t in REQUEST_TYPES), "unknown group"


def request_type_get(key: str) -> RequestType:
    """The type of a stored request (KeyError for a key no type declares any more)."""
    return _BY_KEY[key]


def request_type_for_slug(slug: str) -> RequestType:
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise Http404


def request_types_by_group() -> list[tuple[str, list[RequestType]]]:
    """« Mes services »: the groups that hold at least one type, in the seed's order."""
    groups = [(g, [t for t in REQUEST_TYPES if t.group == g]) for g in Group.ORDER]
    return [(g, types) for g, types in groups if types]
