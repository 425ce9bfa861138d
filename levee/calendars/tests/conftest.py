import datetime
import re
from html import unescape
from types import SimpleNamespace

import pytest

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.authorities.models import Commune
from levee.calendars.models import CollectionSchedule
from levee.calendars.rules import RuleKind, Weekday
from levee.collection.models import Flux
from testkit import ccfi_world, make_user, pilat_world


def text(response) -> str:
    return unescape(response.content.decode())


def plain(response) -> str:
    """The page's text as read: tags removed, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def make_schedule(authority, commune, flux=Flux.ORDURES_MENAGERES, **fields):
    values = {
        "kind": RuleKind.WEEKLY,
        "weekday": Weekday.TUESDAY,
        "valid_from": datetime.date(2024, 1, 1),
    }
    values.update(fields)
    return CollectionSchedule.objects.create(
        authority=authority, commune=commune, flux=flux, **values
    )


def schedule_post(commune, **overrides):
    """The schedule form's fields, as an agent posts them."""
    data = {
        "commune": commune.pk,
        "sector": "",
        "flux": Flux.ORDURES_MENAGERES,
        "kind": RuleKind.WEEKLY,
        "weekday": Weekday.WEDNESDAY,
        "reference_date": "",
        "ordinal": "",
        "valid_from": "2026-01-01",
        "valid_until": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def world(db):
    """CCFI (Bailleul: OM every Tuesday, recyclables every other Thursday from 08/01/2026) with
    Pierre Dupont's account at Bailleul; Pilat Rhodanien (Pélussin: OM every Friday); an
    agent of each; the resident's login."""
    ccfi, account = ccfi_world()
    pilat, pelussin = pilat_world()
    bailleul = Commune.objects.get(insee="59043")
    hazebrouck = Commune.objects.get(insee="59295")
    ccfi_agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=ccfi_agent, role=AgentRole.ADMINISTRATEUR)
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent, role=AgentRole.ADMINISTRATEUR)
    return SimpleNamespace(
        ccfi=ccfi,
        pilat=pilat,
        account=account,
        bailleul=bailleul,
        hazebrouck=hazebrouck,
        pelussin=pelussin,
        ccfi_agent=ccfi_agent,
        pilat_agent=pilat_agent,
        resident=make_user("dupont59@gmail.com", accounts=[account]),
        om=make_schedule(ccfi, bailleul),
        recyclables=make_schedule(
            ccfi,
            bailleul,
            Flux.RECYCLABLES,
            kind=RuleKind.BIWEEKLY,
            weekday=Weekday.THURSDAY,
            reference_date=datetime.date(2026, 1, 8),
        ),
        pelussin_om=make_schedule(pilat, pelussin, weekday=Weekday.FRIDAY),
    )
