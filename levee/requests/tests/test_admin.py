"""The operator reads the demandes in the platform's admin, and changes nothing there."""

import pytest

from testkit import make_user

from .conftest import make_request

pytestmark = pytest.mark.django_db


def test_the_operator_reads_a_request_in_the_admin(client, world):
    service_request = make_request(world)
    admin = make_user("admin@example.org")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    assert client.get("/admin/requests/servicerequest/").status_code == 200
    page = client.get(f"/admin/requests/servicerequest/{service_request.pk}/change/")
    assert page.status_code == 200 and "personal_information" in page.content.decode()
    assert (
        client.post(
            f"/admin/requests/servicerequest/{service_request.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
