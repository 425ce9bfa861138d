"""The Journal and its CSV say in French what accepting a move (« Je signale mon
déménagement ») and a « J'emménage » did: no English key, no Python list, no ISO date, and
the object named « demande n° 3 », never « requests.ServiceRequest »."""

import re

import pytest
from django.apps import apps

from levee.audit.models import AuditEntry
from levee.audit.sentences import SENTENCES, entries_describe, entry_text, object_label
from levee.collection.tests.conftest import make_bin
from levee.requests import services
from levee.requests.tests.conftest import move_out_post, plain, submit, world  # noqa: F401
from levee.requests.tests.test_move_in_plan import ask_confirm_accept
from testkit import proof_upload

from .test_sentences import codes_of_the_code_base

pytestmark = pytest.mark.django_db

JOURNAL = "/backoffice/journal/"
ENGLISH = re.compile(r"_|\['|\d{4}-\d{2}-\d{2}|requests\.|billing\.|[a-z]+\.[A-Z]")

# What the request types put in « applied » when accepted, as they store it.
APPLIED = {
    "move_out": (
        {"subscription": "00002", "dwelling": "3 RUE DE LA GARE", "billing": "3 RUE DE LA GARE"},
        {
            "subscription": "00002",
            "ended_on": "2026-12-01",
            "bins_removed": ["Ordures ménagères 120 L (E0040001)", "Verre 240 L (E0040002)"],
            "billing": "12 RUE OBERKAMPF 75011 PARIS",
            "new_subscription": "00002-2",
        },
    ),
    "termination": ({}, {"subscription": "00002", "ended_on": "2026-12-01", "bins_removed": []}),
    "move_in": (
        {},
        {
            "account": "00243",
            "subscription": "00243",
            "address": "3 RUE DE LA GARE 59190 HAZEBROUCK",
            "subscribed_on": "2026-12-01",
        },
    ),
    "key_request": ({}, {"account": "00243", "key_sent_to": "jeanne@example.org"}),
    "direct_debit": (
        {},
        {
            "rum": "RUM-00420-00001-1",
            "creditor_identifier": "FR12ZZZ123456",
            "schedule": "monthly",
            "iban": "FR76 **** 1234",
            "bic": "AGRIFRPP",
            "signed_on": "2026-11-30",
            "invoices_debited": 2,
            "revoked": "RUM-00420-00001-0",
        },
    ),
    "direct_debit_stop": (
        {},
        {"rum": "RUM-00420-00001-1", "debits_cancelled": 2, "invoices_payable": 1},
    ),
    "lift_contest": (
        {},
        {
            "lift_deleted": {"id": 4, "lifted_at": "2026-11-03T07:12:00+00:00"},
            "cancelled": True,
            "billed_invoices": [{"number": "2600240000012", "issued_on": "2026-11-25"}],
        },
    ),
    "contact": ({}, {"answered": True}),
}


def accepted(where, kind, before, applied):
    return AuditEntry.objects.create(
        authority=where.ccfi,
        actor=where.ccfi_agent,
        action="service_request.accept",
        object_type="requests.ServiceRequest",
        object_id="3",
        before={"status": "pending", "kind": kind, "values": before},
        after={"status": "accepted", "applied": applied},
    )


@pytest.mark.parametrize("kind", sorted(APPLIED))
def test_an_acceptance_says_what_it_applied_in_french(world, kind):  # noqa: F811
    before, applied = APPLIED[kind]
    text = entry_text(accepted(world, kind, before, applied))
    assert not ENGLISH.search(text), text


def test_a_lift_contest_names_the_invoices_that_counted_the_lift(world):  # noqa: F811
    text = entry_text(accepted(world, "lift_contest", *APPLIED["lift_contest"]))
    assert "levée annulée" in text
    assert "déjà comptée sur 1 facture (2600240000012 du 25/11/2026)" in text
    assert "{" not in text and "'number'" not in text


def test_a_move_s_dates_and_bins_read_as_people_say_them(world):  # noqa: F811
    text = entry_text(accepted(world, "move_out", *APPLIED["move_out"]))
    assert "fin de l'abonnement 1er décembre 2026" in text
    assert "2 bacs retirés (Ordures ménagères 120 L (E0040001) et Verre 240 L (E0040002))" in text
    assert "abonnement 00002," in text and "00002 → 00002" not in text
    assert "nouvel abonnement 00002-2" in text
    move_in = entry_text(accepted(world, "move_in", *APPLIED["move_in"]))
    assert move_in.startswith("compte 00243, abonnement 00243, adresse")
    assert "début de l'abonnement 1er décembre 2026" in move_in


@pytest.mark.parametrize("action", sorted(codes_of_the_code_base()))
def test_every_action_of_the_code_base_reads_without_an_english_key(world, action):  # noqa: F811
    entry = AuditEntry.objects.create(
        authority=world.ccfi,
        actor=world.ccfi_agent,
        action=action,
        object_type="subscribers.Account",
        object_id=str(world.account.pk),
        before={"status": "pending", "subscription": "00001", "on": "2026-12-01"},
        after={"status": "accepted", "subscription": "00001", "on": "2026-12-01"},
    )
    assert action in SENTENCES
    text = entry_text(entry)
    assert not re.search(r"\['|requests\.|billing\.", text), text


@pytest.mark.parametrize(
    "model", [m for m in apps.get_models() if m.__module__.startswith("levee.")], ids=str
)
def test_every_object_is_named_in_french(model):
    label = object_label(model._meta.label, "3")
    assert label.endswith(" n° 3") and "." not in label and "_" not in label, label


def test_the_journal_and_its_csv_say_an_accepted_move_and_move_in_in_french(client, world):  # noqa: F811
    ask_confirm_accept(client, world)  # first: it reads the one request there is
    make_bin(world.account, chip="E0040001")
    move = submit(world, "move_out", move_out_post(), {"proof": proof_upload()})
    services.service_request_accept(service_request=move, agent_user=world.ccfi_agent)
    lines = entries_describe(AuditEntry.objects.filter(action="service_request.accept"))
    assert len(lines) == 2
    client.force_login(world.ccfi_agent)
    page = plain(client.get(JOURNAL))
    csv = client.get(f"{JOURNAL}export.csv").getvalue().decode("utf-8-sig")
    for line in lines:
        assert not ENGLISH.search(line.text), line.text
        assert line.text in page
        assert line.object_label == f"demande n° {line.entry.object_id}"
        assert f"({line.object_label})" in page
        assert line.object_label in csv
    assert "fin de l'abonnement 14 mars 2024" in page  # the eve of the move
    assert "1 bac retiré (" in page
    assert "requests.ServiceRequest" not in page + csv
    assert not re.search(r"\['|subscribed on|bins removed", page + csv)
