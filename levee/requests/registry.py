"""The request types, in one list: adding a type is writing its class in `kinds/` and naming
it here (see « How to add a request type » in CONTRIBUTING.md)."""

from django.http import Http404

from .kinds.base import Group, RequestType
from .kinds.bin_intervention import BinIntervention
from .kinds.contact import Contact
from .kinds.contact_details import ContactDetails
from .kinds.direct_debit import DirectDebit, DirectDebitStop
from .kinds.key_request import KeyRequest
from .kinds.lift_contest import LiftContest
from .kinds.move_in import MoveIn
from .kinds.move_out import MoveOut
from .kinds.personal_information import PersonalInformation
from .kinds.termination import Termination

# In their order within their group of « Mes services » (then the agents' type filter).
REQUEST_TYPES: tuple[RequestType, ...] = (
    ContactDetails(),
    PersonalInformation(),
    MoveOut(),
    Termination(),
    DirectDebit(),
    DirectDebitStop(),
    BinIntervention(),
    Contact(),
    LiftContest(),
    KeyRequest(),
    MoveIn(),
)

_BY_KEY = {t.key: t for t in REQUEST_TYPES}
_BY_SLUG = {t.slug: t for t in REQUEST_TYPES}
assert len(_BY_KEY) == len(_BY_SLUG) == len(REQUEST_TYPES), "a key or slug is used twice"
assert all(t.group in Group.ORDER for t in REQUEST_TYPES), "unknown group"


def request_type_get(key: str) -> RequestType:
    """The type of a stored request (KeyError for a key no type declares any more)."""
    return _BY_KEY[key]


def request_type_for_slug(slug: str) -> RequestType:
    """A type whose form is a page of « Mes services » (404 for the others)."""
    request_type = _BY_SLUG.get(slug)
    if request_type is None or not request_type.in_space:
        raise Http404
    return request_type


def request_types_by_group() -> list[tuple[str, list[RequestType]]]:
    """« Mes services »: the groups that hold at least one listed type, in the seed's order."""
    groups = [
        (g, [t for t in REQUEST_TYPES if t.group == g and t.listed and t.in_space])
        for g in Group.ORDER
    ]
    return [(g, types) for g, types in groups if types]
