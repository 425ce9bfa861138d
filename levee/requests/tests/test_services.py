"""The demandes' services: what a request keeps, each transition once, what acceptance
applies, the history, the emails and the audit log."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from levee.audit.models import AuditEntry
from levee.mailing.models import OutboxMessage
from levee.requests import services
from levee.requests.kinds.base import ApplyRefused
from levee.requests.models import RequestStatus, ServiceRequest
from levee.requests.registry import request_type_get
from levee.subscribers.models import Subscription
from testkit import PDF_BYTES

from .conftest import make_request

pytestmark = pytest.mark.django_db


def templates_sent() -> list[str]:
    return list(OutboxMessage.objects.order_by("pk").values_list("template", flat=True))


def test_a_request_waits_en_cours_with_the_values_of_the_day_it_was_made(world):
    service_request = make_request(world)
    assert service_request.status == RequestStatus.PENDING
    assert service_request.get_status_display() == "EN COURS"
    assert service_request.snapshot["first_name"] == "Pierre"
    assert service_request.requested["first_name"] == "PIERRICK"
    assert service_request.requested["billing_number"] == "30"
    assert service_request.commune.insee == "59043"
    assert [c.to_status for c in service_request.status_changes.all()] == ["pending"]
    assert templates_sent() == ["request_received"]
    world.account.refresh_from_db()
    assert world.account.first_name == "Pierre"  # nothing applies before an agent accepts


def test_accepting_corrects_the_billing_address_and_the_dwelling_it_was(world):
    service_request = make_request(world)
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    world.account.refresh_from_db()
    subscription = Subscription.objects.get(account=world.account)
    assert world.account.first_name == "PIERRICK"
    assert world.account.billing_address_line.upper() == "30 ROUTE DE MÉTEREN 59270 BAILLEUL"
    assert subscription.address_line.upper() == "30 ROUTE DE MÉTEREN 59270 BAILLEUL"
    service_request.refresh_from_db()
    assert service_request.get_status_display() == "ACCEPTÉ"
    assert service_request.decided_by == world.ccfi_agent
    last = service_request.status_changes.last()
    assert (last.from_status, last.to_status) == ("pending", "accepted")
    assert last.note == "Adresse d'habitation corrigée aussi : 30 ROUTE DE MÉTEREN 59270 BAILLEUL."
    assert templates_sent() == ["request_received", "request_accepted"]


def test_a_billing_address_that_was_not_the_dwelling_leaves_the_dwelling_alone(world):
    world.account.billing_street = "rue de Lille"
    world.account.save(update_fields=["billing_street"])
    service_request = make_request(world, billing_street="rue de Lille", billing_number="31")
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    assert Subscription.objects.get(account=world.account).number == "29"
    world.account.refresh_from_db()
    assert world.account.billing_number == "31"


def test_a_billing_address_in_another_commune_is_not_a_correction_of_the_dwelling(world):
    service_request = make_request(world, billing_postal_code="59190", billing_city="Hazebrouck")
    rows = request_type_get("personal_information").consequences(
        service_request, account=world.account
    )
    assert rows == []
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    subscription = Subscription.objects.get(account=world.account)
    assert (subscription.number, subscription.postal_code) == ("29", "59270")


def test_two_agents_accepting_the_same_request_apply_it_once(world):
    first = make_request(world)
    second = ServiceRequest.objects.get(pk=first.pk)  # the other agent's page, read before
    services.service_request_accept(service_request=first, agent_user=world.ccfi_agent)
    with pytest.raises(services.AlreadyHandled):
        services.service_request_accept(service_request=second, agent_user=world.ccfi_agent)
    assert AuditEntry.objects.filter(action="service_request.accept").count() == 1
    assert templates_sent().count("request_accepted") == 1
    assert ServiceRequest.objects.get(pk=first.pk).status_changes.count() == 2


def test_a_handled_request_is_never_decided_again_nor_answered(world):
    service_request = make_request(world)
    services.service_request_refuse(
        service_request=service_request, agent_user=world.ccfi_agent, reason="Justificatif absent."
    )
    for attempt in (
        lambda: services.service_request_accept(
            service_request=service_request, agent_user=world.ccfi_agent
        ),
        lambda: services.service_request_complement_ask(
            service_request=service_request, agent_user=world.ccfi_agent, body="?"
        ),
        lambda: services.service_request_answer(
            service_request=service_request, user=world.resident, body="Voici."
        ),
    ):
        with pytest.raises(services.AlreadyHandled):
            attempt()
    world.account.refresh_from_db()
    assert world.account.first_name == "Pierre"
    assert ServiceRequest.objects.get().status == RequestStatus.REFUSED


def test_refusing_changes_nothing_and_keeps_the_reason(world):
    service_request = make_request(world)
    services.service_request_refuse(
        service_request=service_request, agent_user=world.ccfi_agent, reason="Nom illisible."
    )
    service_request.refresh_from_db()
    assert service_request.get_status_display() == "REFUSÉ"
    assert service_request.refusal_reason == "Nom illisible."
    world.account.refresh_from_db()
    assert world.account.first_name == "Pierre"
    mail = OutboxMessage.objects.get(template="request_refused")
    assert mail.to == "dupont59@gmail.com" and "Nom illisible." in mail.body_text


def test_a_complement_then_the_answer_puts_the_request_back_en_cours(world):
    service_request = make_request(world)
    services.service_request_complement_ask(
        service_request=service_request,
        agent_user=world.ccfi_agent,
        body="Joignez une facture d'énergie à votre nouvelle adresse.",
    )
    assert ServiceRequest.objects.get().get_status_display() == "EN ATTENTE DE COMPLÉMENT"
    services.service_request_answer(
        service_request=service_request,
        user=world.resident,
        body="Voici ma facture.",
        attachment=SimpleUploadedFile("facture.pdf", PDF_BYTES),
        attachment_content_type="application/pdf",
    )
    service_request.refresh_from_db()
    assert service_request.get_status_display() == "EN COURS"
    agent_message, answer = service_request.messages.all()
    assert agent_message.author_role == "agent" and answer.author_role == "resident"
    assert answer.attachment_name == "facture.pdf"
    assert answer.attachment.read() == PDF_BYTES
    assert [(c.from_status, c.to_status) for c in service_request.status_changes.all()] == [
        ("", "pending"),
        ("pending", "waiting"),
        ("waiting", "pending"),
    ]
    assert templates_sent() == ["request_received", "request_complement", "request_resumed"]
    # Accepted after the answer: the decision starts again from « EN COURS ».
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    assert ServiceRequest.objects.get().status == RequestStatus.ACCEPTED


def test_every_agent_action_is_audited_with_before_and_after(world):
    service_request = make_request(world)
    services.service_request_complement_ask(
        service_request=service_request, agent_user=world.ccfi_agent, body="Précisez le N°."
    )
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    ask, accept = AuditEntry.objects.order_by("created_at", "pk")
    assert ask.action == "service_request.complement_ask" and ask.actor == world.ccfi_agent
    assert ask.before["status"] == "pending" and ask.after["status"] == "waiting"
    assert accept.authority == world.ccfi and accept.object_id == str(service_request.pk)
    assert accept.before["values"]["first_name"] == "Pierre"
    assert accept.before["status"] == "waiting"
    assert accept.after["applied"]["first_name"] == "PIERRICK"
    assert accept.after["applied"]["dwelling"]["after"] == "30 ROUTE DE MÉTEREN 59270 BAILLEUL"


def test_a_second_request_of_a_type_while_one_waits_is_refused(world):
    make_request(world)
    with pytest.raises(services.AlreadyOpen):
        make_request(world, first_name="PIERRE-HENRI")
    assert ServiceRequest.objects.count() == 1
    # Another type, or the same once the first is handled, is fine.
    make_request(world, "contact_details")
    services.service_request_accept(
        service_request=ServiceRequest.objects.get(kind="personal_information"),
        agent_user=world.ccfi_agent,
    )
    make_request(world, first_name="PIERRE-HENRI")
    assert ServiceRequest.objects.count() == 3


def test_the_agent_sees_what_changed_since_the_request(world):
    service_request = make_request(world, "contact_details")
    world.account.phone = "0328000000"  # changed at the counter in between
    world.account.save(update_fields=["phone"])
    request_type = request_type_get("contact_details")
    rows = request_type.rows(
        service_request, today=request_type.current(account=world.account, user=world.resident)
    )
    phone = next(r for r in rows if r.label == "Téléphone fixe")
    assert (phone.asked_then, phone.today, phone.requested) == ("0601020304", "0328000000", "")
    assert phone.changed_since and phone.is_asked
    mobile = next(r for r in rows if r.label == "Téléphone portable")
    assert not mobile.changed_since and mobile.requested == "0600000007"


def test_accepting_a_new_email_keeps_the_login_until_the_link_is_followed(world):
    service_request = make_request(world, "contact_details")
    services.service_request_accept(service_request=service_request, agent_user=world.ccfi_agent)
    world.account.refresh_from_db()
    world.resident.refresh_from_db()
    assert (world.account.phone, world.account.mobile) == ("", "0600000007")
    assert world.resident.email == "dupont59@gmail.com"
    service_request.refresh_from_db()
    assert service_request.outcome == {"new_email": "dupontDU59@gmail.com", "confirmed_at": None}
    confirm = OutboxMessage.objects.get(template="request_email_confirm")
    assert confirm.to == "dupontDU59@gmail.com" and "/confirmer-mon-email/" in confirm.body_text
    assert OutboxMessage.objects.get(template="request_accepted").to == "dupont59@gmail.com"


def test_a_new_email_taken_in_between_refuses_the_acceptance_and_changes_nothing(world):
    from testkit import make_user

    service_request = make_request(world, "contact_details")
    make_user("dupontdu59@gmail.com")  # another person signed up with it since
    with pytest.raises(ApplyRefused, match="déjà utilisée par un autre identifiant"):
        services.service_request_accept(
            service_request=service_request, agent_user=world.ccfi_agent
        )
    service_request.refresh_from_db()
    world.account.refresh_from_db()
    assert service_request.status == RequestStatus.PENDING
    assert world.account.mobile == "" and world.account.phone == "0601020304"
    assert not AuditEntry.objects.exists()
    assert templates_sent() == ["request_received"]
