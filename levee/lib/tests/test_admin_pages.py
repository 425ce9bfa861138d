"""Every page of the operator's admin answers, a private file included: a kept duplicata, a
PES file, a debit file or a demande's attachment has no public URL, so the admin shows its
name linked to a download that asks the admin's permission, never a 500. Every admin of the
registry is visited, so a new one is held to it too."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from levee.lib.admin import private_file_fields
from testkit import make_user

pytestmark = pytest.mark.django_db


def _admins():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _private_models(model_admin):
    """The models shown by this admin (its own, its inlines') that keep private files."""
    models = [model_admin.model, *(inline.model for inline in model_admin.inlines)]
    return [model for model in models if private_file_fields(model)]


def _opening_request():
    account = apps.get_model("subscribers", "Account").objects.order_by("pk").first()
    return apps.get_model("accounts", "AccountOpeningRequest").objects.create(
        authority=account.authority,
        user=make_user("ouverture@example.org", active=False),
        status="pending",
        legal_form="particulier",
        civility="M",
        last_name="Essai",
        commune=account.authority.communes.order_by("pk").first(),
        postal_code="42410",
        street="rue de l'Essai",
        proof_content_type="application/pdf",
        cgu_accepted_at=timezone.now(),
    )


def _request_message():
    account = apps.get_model("subscribers", "Account").objects.order_by("pk").first()
    user = make_user("demandeur@example.org", accounts=[account])
    service_request = apps.get_model("requests", "ServiceRequest").objects.create(
        authority=account.authority, account=account, requested_by=user, kind="contact"
    )
    return apps.get_model("requests", "RequestMessage").objects.create(
        authority=account.authority,
        service_request=service_request,
        author=user,
        author_role="resident",
        body="Voici mon justificatif.",
        attachment_content_type="application/pdf",
        attachment_name="justificatif.pdf",
    )


# The models with private files the demo holds none of.
NOT_IN_THE_DEMO = {
    "accounts.AccountOpeningRequest": _opening_request,
    "requests.RequestMessage": _request_message,
}


def _with_a_file(model):
    """An object given a file in each private field (as the services keep them)."""
    obj = model.objects.order_by("pk").first()
    if obj is None and model._meta.label in NOT_IN_THE_DEMO:
        obj = NOT_IN_THE_DEMO[model._meta.label]()
    assert obj is not None, f"the demo holds no {model._meta.label}: give this test one"
    names = []
    for field in private_file_fields(model):
        getattr(obj, field.name).save(
            f"{field.name}-essai.pdf", ContentFile(b"%PDF-1.4"), save=False
        )
        names.append(field.name)
    obj.save(update_fields=names)
    return obj


def _parent_of(obj, parent_model):
    if isinstance(obj, parent_model):
        return obj
    link = next(
        field
        for field in type(obj)._meta.fields
        if field.is_relation and field.related_model is parent_model
    )
    return getattr(obj, link.name)


@pytest.fixture
def operator(client, demo_world):
    user = make_user("operateur@example.org")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "model,model_admin", _admins(), ids=[model._meta.label for model, _ in _admins()]
)
def test_every_admin_shows_its_list_and_an_object(client, operator, model, model_admin):
    kept = [_with_a_file(private) for private in _private_models(model_admin)]
    obj = _parent_of(kept[0], model) if kept else model.objects.order_by("pk").first()

    assert client.get(_url(model, "changelist")).status_code == 200
    if obj is not None:
        assert client.get(_url(model, "change", quote(obj.pk))).status_code == 200


def test_the_admin_shows_a_kept_duplicata_by_its_name_and_lets_the_operator_download_it(
    client, operator
):
    invoice_model = apps.get_model("billing", "Invoice")
    invoice = _with_a_file(invoice_model)

    page = client.get(_url(invoice_model, "change", invoice.pk))

    download = _url(invoice_model, "private_file", invoice.pk, "pdf")
    assert page.status_code == 200
    assert f'<a href="{download}">pdf-essai' in page.content.decode()
    assert 'name="pdf"' not in page.content.decode()  # nobody replaces a kept duplicata here
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert "attachment" in response["Content-Disposition"]


def test_only_the_operator_downloads_a_private_file_from_the_admin(client, operator):
    invoice_model = apps.get_model("billing", "Invoice")
    invoice = _with_a_file(invoice_model)
    download = _url(invoice_model, "private_file", invoice.pk, "pdf")
    resident = make_user("curieux@example.org")
    client.force_login(resident)

    response = client.get(download)

    assert response.status_code == 302  # the admin's login page
    assert "/admin/login/" in response["Location"]
    client.force_login(operator)
    assert client.get(_url(invoice_model, "private_file", invoice.pk, "number")).status_code == 404
    assert client.get(_url(invoice_model, "private_file", 0, "pdf")).status_code == 404
