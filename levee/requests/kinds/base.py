"""What every request type declares (see `registry.py` and CONTRIBUTING.md): its words, its
group in « Mes services », its form, the values it changes and how it applies them."""

from dataclasses import dataclass, field
from typing import Any

from ..forms import AcceptForm


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
    history, `outcome` to what the resident still has to do. `email_lines` are said to the
    resident in the acceptance email only (a clé d'activation: never stored, never shown)."""

    after: dict[str, Any]
    note: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)
    email_lines: list[str] = field(default_factory=list)


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
    # Listed in « Mes services »; a type reached from elsewhere (a lift's « Contester ») is not.
    listed = True
    # Its form is a page of « Mes services » (an account of the space asks). False for the
    # types made without an account, which have pages of their own.
    in_space = True
    # The query parameter that names what the request is about on its form's URL (the lift
    # contested): see `subject_load`.
    subject_param = ""
    # Where « Précédent » leads from its form (a URL name taking the authority's slug).
    back_to = "requests:services"
    # « Ce que j'ai demandé » shows the values before and after (a change of the account's
    # data); otherwise only `details()` (a message, an intervention).
    changes_values = True
    # What « ACCEPTÉ » reads for this type (« TRAITÉ » for a message); empty: « ACCEPTÉ ».
    accepted_label = ""
    # The same word said of « la demande », written whole (« Demande acceptée », « Votre
    # demande est ACCEPTÉE »): French agreement is never built by adding letters.
    accepted_word = "acceptée"
    # What « Accepter » does, for the agent, above the button.
    accept_help = "Les valeurs demandées s'appliquent au compte ; l'usager est informé par email."
    accept_form_class = AcceptForm
    # A part of the agent's page of its own (with `agent_extra()` in its context), if any.
    agent_template = ""

    def subject_load(self, *, account, key: str):
        """The object a request is about (a lift, a bin) from its stored key, looked for
        among the account's own; None when there is none (or it is gone)."""
        return None

    def subject_key(self, requested: dict) -> str:
        """What tells two open requests of this type of one account apart ("": one open
        request of the type at a time)."""
        return ""

    # What a waiting request of another type already does, said to the resident when it
    # keeps this type's form closed (see `blocking_request`).
    blocked_because = ""

    def blocking_request(self, *, account):
        """A waiting request of another type that this one would contradict (a move while a
        termination waits): the form is not offered until it is handled. None by default."""
        return None

    def current(self, *, account, user, subject=None) -> dict[str, Any]:
        """Today's values of what the type changes (JSON-able): pre-fills the form, is kept as
        the snapshot when the resident asks, and is compared with it when the agent decides."""
        raise NotImplementedError

    def today(self, service_request, *, account) -> dict[str, Any]:
        """`current()` for a stored request, read now."""
        subject = None
        if service_request.subject and account is not None:
            subject = self.subject_load(account=account, key=service_request.subject)
        return self.current(account=account, user=service_request.requested_by, subject=subject)

    def form(self, *, data=None, files=None, account, user, subject=None):
        return self.form_class(
            data, files, current=self.current(account=account, user=user, subject=subject)
        )

    def requested_from(self, form) -> dict[str, Any]:
        """The values asked, from a valid form (JSON-able, same keys as `current()`)."""
        return form.values()

    def opening_message(self, form) -> tuple[str, list]:
        """The resident's message and files that open the request's thread (a proof, a
        photo): (body, [(upload, content type), …]). Nothing by default."""
        return "", []

    def details(self, service_request) -> list[tuple[str, str]]:
        """What was asked that is not a value of the account (a reason, a message), as
        (label, text) for the resident and the agent."""
        return []

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

    def agent_extra(self, service_request) -> dict:
        """What `agent_template` shows beside the request (candidate accounts…)."""
        return {}

    def accept_form(self, data=None, *, service_request):
        """What the agent fills in to accept (a message to the resident, by default)."""
        return self.accept_form_class(data, service_request=service_request)

    def accepted_notice(self, service_request) -> str:
        """What the agent alone reads after « Demande acceptée », once it is applied (a lift
        cancelled that an invoice already counted); "" for nothing."""
        return ""

    def accepted_sentence(self, service_request) -> str:
        """What the acceptance email says was done."""
        if service_request.account_id is None:
            return ""
        return f"la modification est appliquée à votre compte {service_request.account.code}"

    def apply(self, *, service_request, account, agent_user, decision: dict) -> Applied:
        """Makes the change, inside the transaction that accepts the request; raises
        ApplyRefused when it cannot be made. `decision` is the agent's accept form's
        cleaned data."""
        raise NotImplementedError
