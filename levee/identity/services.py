"""Writes of the State identities: linking an identity to a login once the person proved
he holds it, removing the link (« Mon profil »), noting each login through it, the sign-up
made after a FranceConnect identification, and the administrator's « ProConnect exigé »."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from levee.audit.services import audit_write

from .models import IdentityLink, ProConnectPolicy, Provider, SignupIdentity
from .oidc import Identity


class LinkRefused(Exception):
    """Said to the person, in French; nothing was linked."""


LINKED_ELSEWHERE = {
    Provider.FRANCECONNECT: (
        "Cette identité FranceConnect est déjà liée à un autre espace : connectez-vous avec "
        "FranceConnect pour y accéder, ou retirez ce lien depuis « Mon profil » de cet espace."
    ),
    Provider.PROCONNECT: "Cette identité ProConnect est déjà liée à un autre agent.",
}
ALREADY_ANOTHER = {
    Provider.FRANCECONNECT: (
        "Votre espace est déjà lié à une autre identité FranceConnect : retirez d'abord ce "
        "lien dans « Mon profil »."
    ),
    Provider.PROCONNECT: "Votre identifiant est déjà lié à une autre identité ProConnect.",
}


@transaction.atomic
def identity_link_create(*, user, identity: Identity, logged_in: bool) -> IdentityLink:
    """Links the identity to `user`, who has just proved he holds the login (his password
    in this session, or his invoice references and the link sent to his email). An identity
    reaches one login, a login one identity per provider: anything else is refused.
    `logged_in`: the session is opened through the identity now (its last login is noted);
    a link made from « Mon profil » or at activation is no login with it yet."""
    existing = (
        IdentityLink.objects.select_for_update()
        .filter(provider=identity.provider, subject=identity.sub)
        .first()
    )
    if existing is not None:
        if existing.user_id != user.pk:
            raise LinkRefused(LINKED_ELSEWHERE[identity.provider])
        return existing
    if IdentityLink.objects.filter(user=user, provider=identity.provider).exists():
        raise LinkRefused(ALREADY_ANOTHER[identity.provider])
    try:
        with transaction.atomic():
            return IdentityLink.objects.create(
                user=user,
                provider=identity.provider,
                subject=identity.sub,
                last_login_at=timezone.now() if logged_in else None,
            )
    except IntegrityError:  # the same identity linked at the same instant elsewhere
        raise LinkRefused(LINKED_ELSEWHERE[identity.provider]) from None


@transaction.atomic
def identity_link_remove(*, user, provider: str) -> bool:
    """« Retirer le lien »: the identity no longer opens this login (its password still
    does). False when there was no link."""
    deleted, _ = IdentityLink.objects.filter(user=user, provider=provider).delete()
    return bool(deleted)


def identity_link_used(*, link: IdentityLink) -> None:
    now = timezone.now()
    IdentityLink.objects.filter(pk=link.pk).update(last_login_at=now, updated_at=now)


@transaction.atomic
def signup_identity_attach(*, pending_signup, identity: Identity) -> None:
    """« Je crée mon espace » after a FranceConnect identification: the identity waits for
    the activation link; it is linked to the login that link creates, and to nothing else."""
    SignupIdentity.objects.filter(pending_signup=pending_signup).delete()
    SignupIdentity.objects.create(
        pending_signup=pending_signup, provider=identity.provider, subject=identity.sub
    )


@transaction.atomic
def signup_identity_link(*, pending_signup, user) -> IdentityLink | None:
    """The activation link created `user` from `pending_signup`: the identity identified
    at sign-up is linked to it now (unless it reached another login meanwhile)."""
    waiting = SignupIdentity.objects.filter(pending_signup=pending_signup).first()
    if waiting is None:
        return None
    waiting.delete()
    try:
        return identity_link_create(
            user=user,
            identity=Identity(provider=waiting.provider, sub=waiting.subject),
            logged_in=False,
        )
    except LinkRefused:
        return None


@transaction.atomic
def proconnect_policy_set(*, authority, required: bool, agent_user) -> bool:
    """« Exiger ProConnect » (an « Administrateur »): the authority's agents then log in to
    the back office with ProConnect only. Audited; False when nothing changed."""
    policy, _ = ProConnectPolicy.objects.select_for_update().get_or_create(authority=authority)
    if policy.required == required:
        return False
    ProConnectPolicy.objects.filter(pk=policy.pk).update(
        required=required, updated_at=timezone.now()
    )
    audit_write(
        authority=authority,
        actor=agent_user,
        action="authority.proconnect_required",
        obj=policy,
        before={"required": policy.required},
        after={"required": required},
    )
    return True


@transaction.atomic
def proconnect_link_record(*, user, identity: Identity) -> IdentityLink:
    """An agent logged in with ProConnect (his organisation's email is his login): the
    identity is kept linked to his login, and each login through it noted. An identity
    already linked to another login is refused (its email changed hands)."""
    existing = IdentityLink.objects.filter(user=user, provider=Provider.PROCONNECT).first()
    if existing is not None and existing.subject != identity.sub:
        # The organisation gave him a new identity: the email is what the rule trusts.
        IdentityLink.objects.filter(pk=existing.pk).delete()
        existing = None
    if existing is None:
        return identity_link_create(user=user, identity=identity, logged_in=True)
    identity_link_used(link=existing)
    return existing
