"""Content-Security-Policy (issue 10, point 9): every page type carries it, without
'unsafe-inline'; the authority's colour comes from a style sheet, and no served template
holds an inline <style>, <script> or style attribute."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.payments.models import SandboxTransaction
from levee.payments.tests.conftest import make_invoice
from testkit import ccfi_world, make_user

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
# Emails are read by mail clients, which need inline styles; the PDF invoice and avoir are rendered by
# WeasyPrint on the server, never served as a page.
NOT_SERVED = ("emails/", "billing/invoice_pdf.html", "billing/credit_note_pdf.html")


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def assert_strict(response):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["worker-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.fixture
def world():
    authority, account = ccfi_world()
    resident = make_user("dupont59@gmail.com", accounts=[account])
    agent = make_user("agent@flandre.example.org")
    Agent.objects.create(authority=authority, user=agent, role=AgentRole.ADMINISTRATEUR)
    return authority, account, resident, agent


def test_public_pages_carry_the_policy(client, world):
    for url in ("/", "/flandre-interieure/", "/flandre-interieure/connexion/", "/connexion/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)


def test_the_residents_space_carries_the_policy(client, world):
    client.force_login(world[2])
    response = client.get("/flandre-interieure/espace/")
    assert response.status_code == 200
    assert_strict(response)


def test_the_back_office_carries_the_policy(client, world):
    assert_strict(client.get("/backoffice/connexion/"))
    client.force_login(world[3])
    response = client.get("/backoffice/")
    assert response.status_code == 200
    assert_strict(response)


def test_the_admin_carries_the_policy(client, admin_user):
    assert_strict(client.get("/admin/login/"))
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_strict(response)


def test_the_sandbox_carries_the_policy(client, world, settings):
    settings.PAYMENT_SANDBOX_ONLY = True
    _, account, resident, _ = world
    account.email = resident.email
    account.save(update_fields=["email"])
    invoice = make_invoice(account)
    client.force_login(resident)
    client.post(reverse("payments:pay", args=["flandre-interieure", invoice.pk]))
    idop = SandboxTransaction.objects.get().idop

    for name in ("payments:sandbox_debt", "payments:sandbox_card"):
        response = client.get(reverse(name, args=[idop]))
        assert response.status_code == 200
        assert_strict(response)
        assert "<style" not in response.content.decode()


def test_error_pages_carry_the_policy(client, world):
    response = client.get("/flandre-interieure/nulle-part/")
    assert response.status_code == 404
    assert_strict(response)


def test_forms_post_to_the_portal_or_to_payfip_only(client, world):
    assert policy(client.get("/"))["form-action"] == ["'self'", "https://www.payfip.gouv.fr"]


def test_the_authority_colour_is_a_style_sheet(client, world):
    authority = world[0]
    authority.primary_color = "#a1b2c3"
    authority.save(update_fields=["primary_color"])

    page = client.get("/flandre-interieure/").content.decode()
    sheet = client.get("/flandre-interieure/theme.css")

    assert '<link rel="stylesheet" href="/flandre-interieure/theme.css?v=%23a1b2c3">' in page
    assert "<style" not in page
    assert sheet["Content-Type"] == "text/css; charset=utf-8"
    assert sheet.content.decode() == ":root { --brand: #a1b2c3; }\n"
    assert "max-age=604800" in sheet["Cache-Control"]


def test_the_theme_of_an_unknown_authority_is_a_404(client, world):
    assert client.get("/nulle-part/theme.css").status_code == 404


def test_a_colour_that_is_not_one_never_reaches_the_style_sheet(client, world):
    authority = world[0]
    # Written around the model's validator, as a raw update would.
    type(authority).objects.filter(pk=authority.pk).update(primary_color="red;}*{")

    assert client.get("/flandre-interieure/theme.css").content == b""


def test_no_served_template_holds_inline_styles_or_scripts():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(NOT_SERVED):
            continue
        text = path.read_text()
        if re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=|javascript:", text):
            offenders.append(name)
    assert offenders == []
