"""Every page of the operator's admin answers, a private file included: a kept duplicata, a
PES file, a debit file or a demande's attachment has no public URL, so the admin shows its
name linked to a download that asks the admin's permission, never a 500. Every admin of the
registry is visited, so a new one is held to it too."""

import re

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


def _debit_file():
    authority = apps.get_model("authorities", "Authority").objects.order_by("pk").first()
    return apps.get_model("payments", "DebitFile").objects.create(
        authority=authority,
        name="prelevements-essai",
        message_id="ESSAI-1",
        up_to=timezone.localdate(),
        generated_at=timezone.now(),
    )


def _pes_file():
    tariff = apps.get_model("billing", "Tariff").objects.order_by("pk").first()
    today = timezone.localdate()
    run = apps.get_model("billing", "BillingRun").objects.create(
        authority=tariff.authority,
        kind="reelle",
        label=str(today.year),
        period_start=today.replace(month=1, day=1),
        period_end=today.replace(month=12, day=31),
        tariff=tariff,
        issued_on=today,
        due_on=today,
    )
    return apps.get_model("treasury", "PesFile").objects.create(
        authority=run.authority,
        run=run,
        year=timezone.localdate().year,
        bordereau=1,
        name="PES-essai",
        generated_at=timezone.now(),
    )


def _credit_note():
    invoice = apps.get_model("billing", "Invoice").objects.exclude(number="").order_by("pk").first()
    return apps.get_model("billing", "CreditNote").objects.create(
        authority=invoice.authority,
        invoice=invoice,
        year=timezone.localdate().year,
        number="AV9900000000001",
        kind="reduction",
        reason="erreur_tarif",
        issued_on=timezone.localdate(),
        total_ht_cents=100,
        total_cents=100,
    )


# The models with private files the demo holds none of.
NOT_IN_THE_DEMO = {
    "accounts.AccountOpeningRequest": _opening_request,
    "requests.RequestMessage": _request_message,
    "payments.DebitFile": _debit_file,
    "treasury.PesFile": _pes_file,
    "billing.CreditNote": _credit_note,
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


# Words of Django's default labels (« Authority », « Created at ») that no Levée page shows.
ENGLISH = (
    "Authority Account Subscription Run Tariff Invoice Created Updated Name Status User "
    "Request Requested Author Actor Mandate Payment Debit File Bin Subject Body "
    "Template Attempts Sent Decided Changed Cancelled Reminder Schedule Expires Slug Object "
    "Before After Claimed Next Last Search"
).split()


def _levee_admins():
    return [
        (model, model_admin)
        for model, model_admin in _admins()
        if model.__module__.startswith("levee.")
    ]


def _labels(body: str) -> list[str]:
    """The texts of the form's labels and of the tables' column headings."""
    found = re.findall(r"<label\b[^>]*>(.*?)</label>", body, re.S)
    found += re.findall(r"<th\b[^>]*>(.*?)</th>", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found]


@pytest.mark.parametrize(
    "model,model_admin",
    _levee_admins(),
    ids=[model._meta.label for model, _ in _levee_admins()],
)
def test_every_admin_labels_its_fields_in_french(client, operator, model, model_admin):
    obj = model.objects.order_by("pk").first()
    pages = [client.get(_url(model, "changelist"))]
    if obj is not None:
        pages.append(client.get(_url(model, "change", quote(obj.pk))))
    if model_admin.has_add_permission(pages[0].wsgi_request):
        pages.append(client.get(_url(model, "add")))

    labels = [label for page in pages for label in _labels(page.content.decode())]

    assert all(page.status_code == 200 for page in pages)
    assert len(labels) > 1
    english = [label for label in labels if set(re.findall(r"\w+", label)) & set(ENGLISH)]
    assert english == []


# Every model of the admin is here, so that a new one says its gender.
FEMININE = {
    "accounts.AccountOpeningRequest",
    "accounts.PendingSignup",
    "authorities.Authority",
    "authorities.Commune",
    "billing.BillingRun",
    "billing.Invoice",
    "billing.InvoiceSequence",
    "billing.Tariff",
    "billing.UsageAlert",
    "treasury.PesGeneration",
    "payments.SandboxTransaction",
    "requests.ServiceRequest",
}
MASCULINE = {
    "accounts.AccountAccess",
    "accounts.User",
    "agents.Agent",
    "audit.AuditEntry",
    "authorities.Epci",
    "billing.BillingSettings",
    "billing.CreditNote",
    "billing.InvoiceReminder",
    "billing.UsageAlertOptOut",
    "calendars.CalendarFeedToken",
    "calendars.CalendarSettings",
    "calendars.CollectionReminder",
    "calendars.CollectionSchedule",
    "calendars.Sector",
    "payments.CollectionImport",
    "payments.DebitFile",
    "payments.DebitRejectImport",
    "payments.Mandate",
    "payments.Payment",
    "payments.PaymentReceipt",
    "payments.PaymentSettings",
    "payments.ScheduledDebit",
    "subscribers.Account",
    "tokens.PersonalAccessToken",
    "treasury.PesFile",
    "treasury.PublicAccountingSettings",
    "twofactor.SpaceSecondFactor",
}


def test_every_model_of_the_admin_says_its_gender():
    levee = {model._meta.label for model, _ in _admins() if model.__module__.startswith("levee.")}
    assert levee == FEMININE | MASCULINE
    assert not FEMININE & MASCULINE


@pytest.mark.parametrize("label", sorted(FEMININE | MASCULINE))
def test_the_delete_action_agrees_with_the_models_gender(rf, label):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = make_user("operateur@example.org")
    request.user.is_staff = request.user.is_superuser = True

    choices = dict(model_admin.get_action_choices(request))

    plural = model._meta.verbose_name_plural
    if "delete_selected" not in choices:  # an admin that deletes nothing
        assert not model_admin.has_delete_permission(request)
    elif label in FEMININE:
        assert choices["delete_selected"] == f"Supprimer les {plural} sélectionnées"
    else:
        assert choices["delete_selected"] == f"Supprimer les {plural} sélectionnés"


def test_an_issued_invoice_is_neither_edited_nor_deleted_in_the_admin(client, operator):
    invoice_model = apps.get_model("billing", "Invoice")
    invoice = invoice_model.objects.exclude(number="").order_by("pk").first()
    total = invoice.total_cents

    page = client.get(_url(invoice_model, "change", invoice.pk))
    changed = client.post(_url(invoice_model, "change", invoice.pk), {"total_cents": "1"})
    deleted = client.post(_url(invoice_model, "delete", invoice.pk), {"post": "yes"})
    bulk = client.post(
        _url(invoice_model, "changelist"),
        {"action": "delete_selected", "_selected_action": [invoice.pk], "post": "yes"},
    )

    assert page.status_code == 200
    assert 'name="total_cents"' not in page.content.decode()  # shown, not a field
    assert changed.status_code == 403 and deleted.status_code == 403
    assert bulk.status_code in (200, 403)
    invoice.refresh_from_db()
    assert invoice.total_cents == total  # still there, unchanged
