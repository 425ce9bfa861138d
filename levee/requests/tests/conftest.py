import re
from html import unescape
from types import SimpleNamespace

import pytest

from levee.agents.models import Agent
from testkit import ccfi_world, make_account, make_user, pilat_world

INFORMATIONS = "/flandre-interieure/espace/mes-services/modifier-mes-informations-personnelles/"
COORDONNEES = "/flandre-interieure/espace/mes-services/modifier-mes-coordonnees/"
TRACKING = "/flandre-interieure/espace/suivi-de-mes-demandes/"
BO = "/backoffice/demandes/"


def text(response) -> str:
    return unescape(response.content.decode())


def plain(response) -> str:
    """The page's text as read: tags removed, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def informations_post(**overrides) -> dict:
    """« Modifier mes informations personnelles » as seed 004 fills it (PIERRICK, N° 30)."""
    data = {
        "category": "particulier",
        "civility": "M",
        "last_name": "DUPONT",
        "first_name": "PIERRICK",
        "household_size": "",
        "billing_country": "FR",
        "billing_postal_code": "59270",
        "billing_city": "Bailleul",
        "billing_number": "30",
        "billing_number_suffix": "",
        "billing_street": "route de Méteren",
        "billing_line2": "",
        "billing_building": "",
        "billing_staircase": "",
        "billing_apartment": "",
        "billing_floor": "",
        "billing_po_box": "",
        "billing_city_complement": "",
    }
    data.update(overrides)
    return data


def coordonnees_post(**overrides) -> dict:
    """« Modifier mes coordonnées » as seed 004 fills it."""
    data = {
        "email": "dupontDU59@gmail.com",
        "number_1": "0600000007",
        "type_1": "portable",
        "number_2": "",
        "type_2": "",
        "number_3": "",
        "type_3": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def world(db):
    """CCFI with Pierre Dupont's account 00001 (phone 0601020304) and his login; a neighbour
    with his own account and login; an agent of CCFI and one of Pilat Rhodanien."""
    ccfi, account = ccfi_world()
    account.phone = "0601020304"
    account.save(update_fields=["phone"])
    pilat, _ = pilat_world()
    ccfi_agent = make_user("agent.flandre@example.org")
    Agent.objects.create(authority=ccfi, user=ccfi_agent)
    pilat_agent = make_user("agent.pilat@example.org")
    Agent.objects.create(authority=pilat, user=pilat_agent)
    neighbour_account = make_account(
        ccfi, code="00002", portal_key="NEIGHBOR", last_name="MARTIN", first_name="Marie"
    )
    return SimpleNamespace(
        ccfi=ccfi,
        pilat=pilat,
        account=account,
        resident=make_user("dupont59@gmail.com", accounts=[account]),
        neighbour=make_user("martin@example.org", accounts=[neighbour_account]),
        neighbour_account=neighbour_account,
        ccfi_agent=ccfi_agent,
        pilat_agent=pilat_agent,
    )


@pytest.fixture
def resident(client, world):
    client.force_login(world.resident)
    return world


def make_request(world, kind: str = "personal_information", user=None, **overrides):
    """A request made by the resident through its type's form, as the view makes it."""
    from levee.requests.registry import request_type_get
    from levee.requests.services import service_request_create

    user = user or world.resident
    request_type = request_type_get(kind)
    data = (informations_post if kind == "personal_information" else coordonnees_post)(**overrides)
    form = request_type.form(data=data, account=world.account, user=user)
    assert form.is_valid(), form.errors
    message, files = request_type.opening_message(form)
    return service_request_create(
        account=world.account,
        user=user,
        request_type=request_type,
        requested=request_type.requested_from(form),
        message=message,
        files=files,
    )


def submit(world, kind: str, data: dict, files: dict | None = None, *, user=None, subject=None):
    """A request of any type made through its form, as the view makes it; `files` maps a
    field to an upload or a list of uploads."""
    from django.utils.datastructures import MultiValueDict

    from levee.requests.registry import request_type_get
    from levee.requests.services import service_request_create

    user = user or world.resident
    request_type = request_type_get(kind)
    uploads = MultiValueDict(
        {k: v if isinstance(v, list) else [v] for k, v in (files or {}).items()}
    )
    form = request_type.form(
        data=data, files=uploads, account=world.account, user=user, subject=subject
    )
    assert form.is_valid(), form.errors
    message, files = request_type.opening_message(form)
    return service_request_create(
        account=world.account,
        user=user,
        request_type=request_type,
        requested=request_type.requested_from(form),
        message=message,
        files=files,
    )


def move_out_post(**overrides) -> dict:
    """« Je signale mon déménagement » to Paris, outside the authority."""
    data = {
        "ended_on": "2024-03-15",
        "country": "FR",
        "postal_code": "75011",
        "city": "Paris",
        "number": "12",
        "number_suffix": "",
        "street": "rue Oberkampf",
        "complement": "",
    }
    data.update(overrides)
    return data


def termination_post(**overrides) -> dict:
    data = {"ended_on": "2024-03-31", "reason": "logement_vide", "details": ""}
    data.update(overrides)
    return data
