"""The cast of the billing back office's tests: CCFI with account 00001 (a 120 L bin and
lifts in 2023), one agent per role, a resident, and an agent of another authority."""

import datetime
from types import SimpleNamespace

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.billing.models import PlanKind
from levee.billing.tariffs import tariff_version_create
from levee.billing.tests.billing_builders import every_other_week, make_lifts
from levee.collection.tests.conftest import make_bin
from testkit import ccfi_world, make_user, pilat_world

PLANS = [
    {
        "kind": PlanKind.BAC,
        "volume_litres": 120,
        "label": "Bac 120 L",
        "fixed_cents": 7300,
        "included_lifts": 12,
        "extra_lift_cents": 250,
        "kg_cents": None,
    },
    {
        "kind": PlanKind.SAC,
        "volume_litres": None,
        "label": "Sac",
        "fixed_cents": 5000,
        "included_lifts": 0,
        "extra_lift_cents": 0,
        "kg_cents": None,
    },
]


# A valid tariff form: the grid's fields and two plans (management form included).
def tariff_post(**fields) -> dict:
    data = {
        "year": "2024",
        "vat_rate_bp": "10",
        "note": "",
        "plans-TOTAL_FORMS": "2",
        "plans-INITIAL_FORMS": "0",
        "plans-MIN_NUM_FORMS": "0",
        "plans-MAX_NUM_FORMS": "1000",
        "plans-0-kind": "bac",
        "plans-0-volume_litres": "120",
        "plans-0-label": "",
        "plans-0-fixed_cents": "120,00",
        "plans-0-included_lifts": "12",
        "plans-0-extra_lift_cents": "2,50",
        "plans-0-kg_cents": "",
        "plans-1-kind": "badge",
        "plans-1-volume_litres": "",
        "plans-1-label": "Badge conteneur",
        "plans-1-fixed_cents": "60",
        "plans-1-included_lifts": "24",
        "plans-1-extra_lift_cents": "1",
        "plans-1-kg_cents": "0,35",
    }
    data.update(fields)
    return data


def bo_world() -> SimpleNamespace:
    ccfi, account = ccfi_world()
    household_bin = make_bin(account, chip="E0040001")
    make_lifts(household_bin, every_other_week(2023, 20))
    agents = {
        role: Agent.objects.create(
            authority=ccfi, user=make_user(f"{role}@flandre.example.org"), role=role
        )
        for role in AgentRole
    }
    admin = agents[AgentRole.ADMINISTRATEUR].user
    tariff = tariff_version_create(
        authority=ccfi, year=2023, vat_rate_bp=1000, plans=PLANS, note="", agent_user=admin
    )
    pilat, _ = pilat_world()
    outsider = make_user("agent@pilat.example.org")
    Agent.objects.create(authority=pilat, user=outsider, role=AgentRole.ADMINISTRATEUR)
    return SimpleNamespace(
        ccfi=ccfi,
        pilat=pilat,
        account=account,
        agents=agents,
        admin=admin,
        biller=agents[AgentRole.FACTURATION].user,
        reader=agents[AgentRole.CONSULTATION].user,
        outsider=outsider,
        resident=make_user("dupont59@gmail.com", accounts=[account]),
        tariff=tariff,
    )


def launch(world, capture, *, kind="simulation", year=2023, half=None, execute=True, **fields):
    """A run launched by the billing agent and executed at once (its on-commit task), or
    left « En attente » when `execute` is False."""
    from levee.billing.services_backoffice import billing_run_launch

    with capture(execute=execute):
        run = billing_run_launch(
            authority=world.ccfi,
            kind=kind,
            year=year,
            half=half,
            issued_on=fields.pop("issued_on", datetime.date(2023, 7, 2)),
            due_on=fields.pop("due_on", None),
            agent_user=world.biller,
        )
    run.refresh_from_db()
    return run
