"""The operator's admin reads in French: its title, every app's heading and every model's
plural (none made by adding an « s » to a name that has one already: « facturess »)."""

import pytest
from django.apps import apps

from testkit import make_user

pytestmark = pytest.mark.django_db


def _levee_apps():
    return [config for config in apps.get_app_configs() if config.name.startswith("levee.")]


def test_every_app_and_model_names_itself_in_french():
    """Each model says its plural (Django's default adds an « s »: « numérotation des
    factures » became « numérotation des facturess »)."""
    for config in _levee_apps():
        assert "verbose_name" in type(config).__dict__, config.name  # not Django's « Subscribers »
        for model in config.get_models():
            options = model._meta.original_attrs
            assert "verbose_name" in options, model
            assert "verbose_name_plural" in options, model
            assert not str(model._meta.verbose_name_plural).endswith("ss"), model


def test_the_admin_index_has_a_french_title_and_headings(client):
    admin = make_user("operateur@example.org")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "<title>Opérateur de la plateforme | Administration Levée</title>" in page
    assert "Administration Levée" in page
    assert "Facturation" in page and "Usagers et abonnements" in page
    assert "Double authentification : codes de secours" in page
    for english in ("Otp_Static", "Otp_Totp", "Tasks Database", "Task Result", "facturess"):
        assert english not in page
    for english in ("Accounts", "Subscribers", "Authorities", "Audit", "Agents"):
        assert f">{english}</a>" not in page or english == "Agents"
