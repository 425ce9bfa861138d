"""A lift cancelled by an accepted « Contester une levée » stays cancelled: importing the
same truck file again does not bring it back, on either path of the import (the SQL one on
PostgreSQL, the ORM one elsewhere), and the batch counts its line among the known ones."""

import pytest
from django.core.files.base import ContentFile

from levee.agents.models import Agent
from levee.collection.importers import lift_import, lifts
from levee.collection.models import CancelledLift, Lift
from levee.requests.registry import request_type_get
from levee.requests.services import service_request_accept, service_request_create
from testkit import make_user

FILE = (
    "horodatage;puce;cuve;flux;poids_kg;vehicule\n"
    "2024-03-05 07:12;E0040001;;om;12,5;BOM-12\n"
    "2024-03-12 07:15;E0040001;;om;9,75;BOM-12\n"
    "2024-03-12 07:20;E0040002;;;4;BOM-12\n"
)
CANCELLED_LABEL = "Lignes de levées annulées (contestation acceptée)"


@pytest.fixture(params=["fast", "orm"])
def path(request, monkeypatch):
    """Each test runs on both import paths (on SQLite, both are the ORM one)."""
    if request.param == "orm":
        monkeypatch.setattr(lifts, "_insert_postgresql", lifts._insert_orm)
    return request.param


def run(authority, text=FILE):
    return lift_import(authority=authority, file=ContentFile(text.encode()), filename="camion.csv")


def contest_accept(account, lift, *, cancel=True):
    """The resident contests `lift` from « Mes bacs/levées », an agent accepts."""
    resident = make_user("dupont59@gmail.com", accounts=[account])
    agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=account.authority, user=agent)
    request_type = request_type_get("lift_contest")
    form = request_type.form(
        data={"reason": "non_sorti", "message": "Mon bac était au garage."},
        account=account,
        user=resident,
        subject=lift,
    )
    assert form.is_valid(), form.errors
    service_request = service_request_create(
        account=account,
        user=resident,
        request_type=request_type,
        requested=request_type.requested_from(form),
    )
    service_request_accept(
        service_request=service_request,
        agent_user=agent,
        decision={"cancel_lift": cancel, "message": ""},
    )
    return service_request


def contested(bins):
    return Lift.objects.get(bin=bins["om"], lifted_at__day=5)


def test_a_cancelled_lift_stays_cancelled_when_its_file_is_imported_again(ccfi, bins, path):
    authority, account = ccfi
    run(authority)
    lift = contested(bins)
    contest_accept(account, lift)
    assert not Lift.objects.filter(pk=lift.pk).exists()

    again = run(authority)

    assert not Lift.objects.filter(bin=bins["om"], lifted_at=lift.lifted_at).exists()
    assert Lift.objects.filter(authority=authority).count() == 2
    # Known like the lines imported before: « Lignes déjà présentes », and said apart.
    assert (again.rows_total, again.rows_imported, again.rows_rejected) == (3, 0, 0)
    assert again.rows_already_present == 3
    assert again.summary == [[CANCELLED_LABEL, 1]]


def test_a_file_with_the_cancelled_lift_among_new_ones_imports_only_the_new(ccfi, bins, path):
    authority, account = ccfi
    run(authority)
    lift = contested(bins)
    contest_accept(account, lift)
    batch = run(
        authority,
        FILE
        + "2024-03-05 07:12;E0040001;;om;12,5;BOM-12\n"  # the cancelled one, twice in the file
        + "2024-03-19 07:12;;C0001;om;11;BOM-12\n",  # a new lift, by the bin's tank
    )
    assert (batch.rows_total, batch.rows_imported, batch.rows_rejected) == (5, 1, 0)
    assert batch.rows_already_present == 4
    assert batch.summary == [[CANCELLED_LABEL, 2]]
    assert not Lift.objects.filter(bin=bins["om"], lifted_at=lift.lifted_at).exists()
    assert Lift.objects.filter(bin=bins["om"], lifted_at__day=19).exists()


def test_the_cancellation_is_kept_by_bin_and_time_whatever_the_weight(ccfi, bins, path):
    authority, account = ccfi
    run(authority)
    lift = contested(bins)
    contest_accept(account, lift)
    cancelled = CancelledLift.objects.get()
    assert (cancelled.authority, cancelled.bin, cancelled.lifted_at) == (
        authority,
        bins["om"],
        lift.lifted_at,
    )
    assert cancelled.net_weight_grams == 12500
    # The truck's software weighed it again: the same lift all the same.
    batch = run(authority, FILE.replace("12,5", "13"))
    assert batch.rows_imported == 0 and batch.summary == [[CANCELLED_LABEL, 1]]
    assert not Lift.objects.filter(bin=bins["om"], lifted_at=lift.lifted_at).exists()


def test_an_import_without_cancelled_lines_says_nothing_of_them(ccfi, bins, path):
    authority, account = ccfi
    run(authority)
    contest_accept(account, contested(bins), cancel=False)  # accepted, the lift kept
    again = run(authority)
    assert not CancelledLift.objects.exists()
    assert again.rows_already_present == 3 and again.summary == []
    assert Lift.objects.filter(authority=authority).count() == 3


def test_a_cancelled_lift_of_one_authority_does_not_hide_another_authoritys(
    ccfi, bins, pilat_bin, path
):
    authority, account = ccfi
    run(authority)
    contest_accept(account, contested(bins))
    other = run(pilat_bin.authority, FILE.replace("E0040001", "E0049999"))
    assert other.rows_imported == 2 and other.summary == []
    assert Lift.objects.filter(bin=pilat_bin, lifted_at__day=5).exists()
