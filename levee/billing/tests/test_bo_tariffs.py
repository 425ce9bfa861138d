"""The tariff grids in the back office: a year's grid typed in euros and %, its edits as new
versions with their « motif », the history, and every bad input refused next to its field."""

from html import unescape

import pytest

from levee.agents.roles import AgentRole
from levee.audit.models import AuditEntry
from levee.billing.models import Tariff, TariffPlan
from levee.billing.tests.bo_world import bo_world, launch, tariff_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return bo_world()


def text(response) -> str:
    return unescape(response.content.decode())


def edit_post(world, **fields) -> dict:
    """The edit form of 2023 as shown (its two plans), with `fields` changed."""
    data = tariff_post(
        note="Délibération du 12 mars",
        based_on="1",
        **{
            "plans-INITIAL_FORMS": "2",
            "plans-0-fixed_cents": "73,00",
            "plans-1-kind": "sac",
            "plans-1-label": "Sac",
            "plans-1-fixed_cents": "50,00",
            "plans-1-included_lifts": "0",
            "plans-1-extra_lift_cents": "0,00",
            "plans-1-kg_cents": "",
        },
    )
    del data["year"]
    data.update(fields)
    return data


@pytest.mark.parametrize("role", list(AgentRole))
def test_every_role_reads_the_grids_with_their_plans_and_history(client, world, role):
    client.force_login(world.agents[role].user)
    page = text(client.get("/backoffice/facturation/tarifs/"))
    assert "Grille 2023 — version 1 en vigueur" in page
    assert "Taux de TVA : 10\u00a0%" in page
    assert "Bac 120 L" in page and "73,00\u00a0€" in page and "2,50\u00a0€" in page
    assert "Historique de la grille 2023" in page
    assert ("Modifier la grille 2023" in page) == (
        role in (AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR)
    )


def test_a_billing_agent_creates_a_year_s_grid_typed_in_euros_and_percent(client, world):
    client.force_login(world.biller)
    response = client.post("/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post())
    tariff = Tariff.objects.get(authority=world.ccfi, year=2024)
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/facturation/tarifs/{tariff.pk}/"
    assert (tariff.version, tariff.vat_rate_bp, tariff.created_by) == (1, 1000, world.biller)
    plans = list(tariff.plans.values_list("kind", "volume_litres", "label", "fixed_cents"))
    assert plans == [("bac", 120, "Bac 120 L", 12000), ("badge", None, "Badge conteneur", 6000)]
    badge = tariff.plans.get(kind="badge")
    assert (badge.included_lifts, badge.extra_lift_cents, badge.kg_cents) == (24, 100, 35)
    entry = AuditEntry.objects.get(action="tariff.create", actor=world.biller)
    assert entry.actor == world.biller and entry.after["plans"][0]["fixed_cents"] == 12000
    page = text(client.get(response["Location"]))
    assert "Grille tarifaire 2024 créée." in page and "120,00\u00a0€" in page


@pytest.mark.parametrize("typed, bp", [("5,5", 550), ("5.5", 550), ("0", 0), ("20 %", 2000)])
def test_a_vat_rate_is_typed_in_percent(client, world, typed, bp):
    client.force_login(world.biller)
    client.post("/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post(vat_rate_bp=typed))
    assert Tariff.objects.get(year=2024).vat_rate_bp == bp


def test_the_creation_form_starts_from_the_latest_grid(client, world):
    client.force_login(world.biller)
    page = text(client.get("/backoffice/facturation/tarifs/nouvelle-grille/"))
    assert 'name="year" value="2024"' in page
    assert 'name="plans-0-fixed_cents" value="73,00"' in page
    assert 'name="plans-1-label" value="Sac"' in page


def test_an_edit_writes_a_new_version_and_the_invoices_keep_theirs(
    client, world, django_capture_on_commit_callbacks
):
    run = launch(world, django_capture_on_commit_callbacks)
    invoice = run.invoices.get()
    client.force_login(world.biller)
    page = text(client.get(f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/"))
    assert 'name="plans-0-fixed_cents" value="73,00"' in page and 'value="10"' in page
    response = client.post(
        f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/",
        edit_post(world, **{"plans-0-fixed_cents": "80,00", "vat_rate_bp": "5,5"}),
    )
    assert response.status_code == 302
    new = Tariff.objects.get(year=2023, version=2)
    assert (new.vat_rate_bp, new.note) == (550, "Délibération du 12 mars")
    assert new.plans.get(kind="bac").fixed_cents == 8000
    assert new.plans.get(kind="sac").fixed_cents == 5000  # kept: copied
    world.tariff.refresh_from_db()
    assert world.tariff.vat_rate_bp == 1000
    assert world.tariff.plans.get(kind="bac").fixed_cents == 7300
    invoice.refresh_from_db()
    assert invoice.tariff_id == world.tariff.pk
    entry = AuditEntry.objects.get(action="tariff.version_create")
    assert entry.before["plans"][0]["fixed_cents"] == 7300
    assert entry.after["plans"][0]["fixed_cents"] == 8000
    page = text(client.get("/backoffice/facturation/tarifs/"))
    assert "Grille 2023 — version 2 en vigueur" in page and "Délibération du 12 mars" in page
    page = text(client.get(f"/backoffice/facturation/tarifs/{world.tariff.pk}/"))
    assert "Version remplacée" in page and "oui : elle ne change plus" in page


def test_a_plan_is_withdrawn_from_the_next_version(client, world):
    client.force_login(world.biller)
    client.post(
        f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/",
        edit_post(world, **{"plans-1-DELETE": "on"}),
    )
    assert list(Tariff.objects.get(version=2).plans.values_list("kind", flat=True)) == ["bac"]
    assert world.tariff.plans.count() == 2


def test_the_edit_of_an_old_version_leads_to_the_one_in_force(client, world):
    client.force_login(world.biller)
    client.post(f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/", edit_post(world))
    new = Tariff.objects.get(version=2)
    response = client.get(f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/")
    assert response["Location"] == f"/backoffice/facturation/tarifs/{new.pk}/modifier/"


def test_an_edit_from_a_version_replaced_meanwhile_is_refused(client, world):
    """Two agents open the form; the second to save would overwrite the first's changes."""
    client.force_login(world.biller)
    url = f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/"
    client.post(url, edit_post(world))
    response = client.post(url, edit_post(world, **{"plans-0-fixed_cents": "99"}))
    assert response.status_code == 400
    assert "a été modifiée entre-temps (version en vigueur : 2)" in text(response)
    assert Tariff.objects.filter(year=2023).count() == 2


def test_a_grid_for_a_year_that_has_one_is_refused(client, world):
    client.force_login(world.biller)
    response = client.post(
        "/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post(year="2023")
    )
    assert response.status_code == 400
    assert "La grille 2023 existe déjà (version 1) : modifiez-la plutôt." in text(response)
    assert Tariff.objects.count() == 1


BAD_INPUT = [
    (
        {"plans-0-fixed_cents": "-120"},
        "plans-0-fixed_cents",
        "Le montant ne peut pas être négatif.",
    ),
    ({"plans-0-fixed_cents": "cent"}, "plans-0-fixed_cents", "Saisissez un montant en euros"),
    ({"plans-0-extra_lift_cents": "2,505"}, "plans-0-extra_lift_cents", "Saisissez un montant"),
    ({"plans-0-fixed_cents": ""}, "plans-0-fixed_cents", "Ce champ est obligatoire."),
    ({"plans-0-fixed_cents": "1000000"}, "plans-0-fixed_cents", "trop élevé"),
    ({"plans-1-kg_cents": "-0,35"}, "plans-1-kg_cents", "Le montant ne peut pas être négatif."),
    ({"plans-0-included_lifts": "-1"}, "plans-0-included_lifts", "ne peut pas être négatif"),
    ({"plans-0-included_lifts": "douze"}, "plans-0-included_lifts", "nombre entier"),
    ({"plans-0-volume_litres": ""}, "plans-0-volume_litres", "Indiquez le volume du bac"),
    ({"plans-1-volume_litres": "120"}, "plans-1-volume_litres", "Seul un forfait bac a un volume"),
    (
        {"plans-1-kind": "bac", "plans-1-volume_litres": "120"},
        "plans-1-volume_litres",
        "Le bac de 120 litres figure déjà dans la grille.",
    ),
    (
        {"plans-0-kind": "badge", "plans-0-volume_litres": ""},
        "plans-1-kind",
        "Ce forfait figure déjà dans la grille.",
    ),
    ({"vat_rate_bp": "150"}, "vat_rate_bp", "entre 0 et 25"),
    ({"vat_rate_bp": "-10"}, "vat_rate_bp", "entre 0 et 25"),
    ({"vat_rate_bp": "dix"}, "vat_rate_bp", "entre 0 et 25"),
    ({"vat_rate_bp": ""}, "vat_rate_bp", "Indiquez le taux de TVA"),
    ({"year": "24"}, "year", "entre 2000 et 2099"),
    ({"year": "deux mille"}, "year", "quatre chiffres"),
]


@pytest.mark.parametrize("fields, name, message", BAD_INPUT)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    client, world, fields, name, message
):
    client.force_login(world.biller)
    before = AuditEntry.objects.count()
    response = client.post("/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post(**fields))
    assert response.status_code == 400
    page = text(response)
    assert f'<p class="error" id="id_{name}_error">' in page
    error = page.split(f'id="id_{name}_error">')[1].split("</p>")[0]
    assert message in error
    assert 'aria-describedby="' in page and 'aria-invalid="true"' in page
    assert Tariff.objects.count() == 1 and TariffPlan.objects.count() == 2
    assert AuditEntry.objects.count() == before


def test_a_grid_without_any_plan_is_refused(client, world):
    client.force_login(world.biller)
    blank = {f"plans-{i}-{f}": "" for i in (0, 1) for f in ("kind", "volume_litres", "label")}
    blank.update({f"plans-{i}-{f}": "" for i in (0, 1) for f in ("fixed_cents", "kg_cents")})
    blank.update({f"plans-{i}-{f}": "" for i in (0, 1) for f in ("included_lifts",)})
    blank.update({f"plans-{i}-extra_lift_cents": "" for i in (0, 1)})
    response = client.post("/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post(**blank))
    assert response.status_code == 400
    assert "Ajoutez au moins un forfait à la grille." in text(response)
    assert Tariff.objects.count() == 1


def test_a_form_without_its_management_data_is_refused_without_error_500(client, world):
    client.force_login(world.biller)
    response = client.post(
        "/backoffice/facturation/tarifs/nouvelle-grille/", {"year": "2024", "vat_rate_bp": "0"}
    )
    assert response.status_code == 400
    assert Tariff.objects.count() == 1


def test_an_edit_needs_its_motif(client, world):
    client.force_login(world.biller)
    response = client.post(
        f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/", edit_post(world, note="")
    )
    assert response.status_code == 400
    assert "Indiquez le motif de la modification." in text(response)
    assert Tariff.objects.count() == 1


@pytest.mark.parametrize("role", [AgentRole.ACCUEIL, AgentRole.CONSULTATION])
def test_the_other_roles_cannot_create_nor_edit_a_grid(client, world, role):
    client.force_login(world.agents[role].user)
    assert client.get("/backoffice/facturation/tarifs/nouvelle-grille/").status_code == 403
    response = client.post("/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post())
    assert response.status_code == 403
    url = f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/"
    assert client.post(url, edit_post(world)).status_code == 403
    assert Tariff.objects.count() == 1
    page = text(client.get(f"/backoffice/facturation/tarifs/{world.tariff.pk}/"))
    assert "/modifier/" not in page


@pytest.mark.parametrize("suffix", ["", "modifier/"])
def test_another_authority_s_agent_gets_404_and_others_the_login(client, world, suffix):
    url = f"/backoffice/facturation/tarifs/{world.tariff.pk}/{suffix}"
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, edit_post(world)).status_code == 404
    assert "Grille 2023" not in text(client.get("/backoffice/facturation/tarifs/"))
    client.force_login(world.resident)
    assert client.get(url)["Location"].startswith("/backoffice/connexion/")
    client.logout()
    assert client.get(url)["Location"].startswith("/backoffice/connexion/")
    assert Tariff.objects.count() == 1


def test_the_tariffs_page_costs_the_same_queries_whatever_its_versions(
    client, world, django_assert_num_queries
):
    client.force_login(world.reader)
    client.get("/backoffice/facturation/tarifs/")
    with django_assert_num_queries(5):
        client.get("/backoffice/facturation/tarifs/")
    for year in (2024, 2025):
        client.force_login(world.biller)
        client.post("/backoffice/facturation/tarifs/nouvelle-grille/", tariff_post(year=year))
    client.post(f"/backoffice/facturation/tarifs/{world.tariff.pk}/modifier/", edit_post(world))
    client.force_login(world.reader)
    with django_assert_num_queries(5):
        page = text(client.get("/backoffice/facturation/tarifs/"))
    assert "Grille 2025" in page and "Grille 2023 — version 2" in page
