"""What every request type declares (see `registry.py` and CONTRIBUTING.md): its words, its
group in « Mes services », its form, the values it changes and how it applies them."""

from dataclasses import dataclass, field
from typing import Any


class Group:
    """The groups of « Mes services » (seed 004), in their order on the page."""

    ACCOUNT = "Compte"
    PAYMENT = "Paiement"
    OTHER = "Autres démarches"
    ORDER = (ACCOUNT, PAYMENT, OTHER)


class ApplyRefused(Exception):
    """The change cannot be applied as it stands (e.g. the new email belongs to another
    login): the message, in French, tells the agent why; nothing is changed."""


@dataclass(frozen=True)
class Row:
    """One value of a request, as the resident and the agent read it."""

    label: str
    asked_then: str  # when the resident asked
    today: str  # now
    requested: str

    @property
    def changed_since(self) -> bool:
        """The value changed between the request and now (the agent must look again)."""
        return self.asked_then != self.today

    @property
    def is_asked(self) -> bool:
        """The resident asked to change this value."""
        return self.requested != self.asked_then


@dataclass
class Applied:
    """What acceptance changed: `after` goes to the audit log, `note` to the request's
    history, `outcome` to what the resident still has to do."""

    after: dict[str, Any]
    note: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)


class RequestType:
    """A kind of demande. Subclasses set the class attributes and implement the methods."""

    key: str  # stored in ServiceRequest.kind: never change it once used
    slug: str  # its page under « Mes services »
    title: str  # the link in « Mes services »
    heading: str  # the title of its form page
    intro: str  # the sentence under the title
    tracking_label: str  # « Type de demande » in « Suivi de mes demandes »
    group: str  # one of Group.ORDER
    template: str  # the form page, extending requests/request_form.html
    form_class: type
    # The values it changes, in the order shown: key of `current()` → label.
    labels: dict[str, str]
    # Fields of its form that are the resident's login: an agent acting on his behalf at the
    # counter sees them disabled (only the resident changes his login).
    login_fields: tuple[str, ...] = ()

    def current(self, *, account, user) -> dict[str, Any]:
        """Today's values of what the type changes (JSON-able): pre-fills the form, is kept as
        the snapshot when the resident asks, and is compared with it when the agent decides."""
        raise NotImplementedError

    def form(self, *, data=None, files=None, account, user):
        return self.form_class(data, files, current=self.current(account=account, user=user))

    def requested_from(self, form) -> dict[str, Any]:
        """The values asked, from a valid form (JSON-able, same keys as `current()`)."""
        return form.values()

    def display(self, key: str, value) -> str:
        return "" if value is None else str(value)

    def rows(self, service_request, *, today: dict) -> list[Row]:
        """Each value: when asked, today, and asked for."""
        snapshot, requested = service_request.snapshot, service_request.requested
        return [
            Row(
                label=label,
                asked_then=self.display(key, snapshot.get(key)),
                today=self.display(key, today.get(key)),
                requested=self.display(key, requested.get(key)),
            )
            for key, label in self.labels.items()
        ]

    def consequences(self, service_request, *, account) -> list[str]:
        """Sentences telling the agent what else acceptance will do."""
        return []

    def apply(self, *, service_request, account, agent_user) -> Applied:
        """Makes the change, inside the transaction that accepts the request; raises
        ApplyRefused when it cannot be made."""
        raise NotImplementedError
