import datetime
from html import unescape

import pytest
from django.utils import timezone

from testkit import ccfi_world, make_user, proof_upload


def text(response) -> str:
    return unescape(response.content.decode())


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


@pytest.fixture
def world():
    """CCFI, account 00001 and its login dupont59@gmail.com."""
    authority, account = ccfi_world()
    user = make_user("dupont59@gmail.com", accounts=[account])
    user.first_name, user.last_name = "Pierre", "Dupont"
    user.save(update_fields=["first_name", "last_name"])
    return authority, account, user


def make_request_with_attachment(authority, account, user, *, status, decided_at=None, **fields):
    """A request of the account with one message carrying a file in private storage."""
    from levee.requests.models import RequestMessage, ServiceRequest

    service_request = ServiceRequest.objects.create(
        authority=authority,
        account=account,
        requested_by=user,
        kind=fields.pop("kind", "contact"),
        status=status,
        decided_at=decided_at,
        **fields,
    )
    message = RequestMessage(
        authority=authority,
        service_request=service_request,
        author=user,
        author_role="resident",
        body="Voici mon justificatif.",
        attachment_content_type="image/png",
        attachment_name="justificatif-dupont.png",
    )
    message.attachment.save("justificatif.png", proof_upload(), save=False)
    message.save()
    return service_request, message
