"""Writes of the tariff grids: an edit is a new version, never a change of an old one.

An invoice keeps the version it was computed with (`Invoice.tariff`), so no version is ever
updated in place: creating a year's grid writes version 1, each edit writes the next
version with all its plans (those kept are copied), and the highest version is in force.
"""

from django.db import transaction

from levee.accounts.models import User
from levee.audit.services import audit_write
from levee.authorities.models import Authority

from .models import Tariff, TariffPlan

PLAN_FIELDS = (
    "kind",
    "volume_litres",
    "label",
    "fixed_cents",
    "included_lifts",
    "extra_lift_cents",
    "kg_cents",
)


class TariffConflict(Exception):
    """The grid changed meanwhile (or already exists): the message says what to do."""


def tariff_plans_snapshot(tariff: Tariff) -> list[dict]:
    return [
        {name: getattr(plan, name) for name in PLAN_FIELDS}
        for plan in tariff.plans.order_by("kind", "volume_litres")
    ]


@transaction.atomic
def tariff_version_create(
    *,
    authority: Authority,
    year: int,
    vat_rate_bp: int,
    plans: list[dict],
    note: str,
    agent_user: User,
    based_on: int | None = None,
) -> Tariff:
    """Writes the next version of the authority's grid for `year` with these plans.

    `based_on` is the version the agent's form started from: None to create the year's
    grid (refused when it exists), else it must still be the one in force (refused when a
    colleague saved another version meanwhile, so nobody overwrites unseen changes).
    """
    # Serialises the versions of an authority's grids (two agents saving at once).
    list(Authority.objects.select_for_update().filter(pk=authority.pk).values_list("pk"))
    latest = Tariff.objects.filter(authority=authority, year=year).order_by("-version").first()
    if based_on is None and latest is not None:
        raise TariffConflict(
            f"La grille {year} existe déjà (version {latest.version}) : modifiez-la plutôt."
        )
    if based_on is not None and (latest is None or latest.version != based_on):
        current = latest.version if latest else "aucune"
        raise TariffConflict(
            f"La grille {year} a été modifiée entre-temps (version en vigueur : {current}). "
            "Rien n'a été enregistré : reprenez vos modifications à partir de la grille actuelle."
        )
    version = (latest.version + 1) if latest else 1
    tariff = Tariff.objects.create(
        authority=authority,
        year=year,
        version=version,
        vat_rate_bp=vat_rate_bp,
        note=note,
        created_by=agent_user,
    )
    TariffPlan.objects.bulk_create(
        TariffPlan(authority=authority, tariff=tariff, **{k: plan[k] for k in PLAN_FIELDS})
        for plan in sorted(plans, key=lambda p: (p["kind"], p["volume_litres"] or 0))
    )
    before = {}
    if latest is not None:
        before = {
            "version": latest.version,
            "vat_rate_bp": latest.vat_rate_bp,
            "plans": tariff_plans_snapshot(latest),
        }
    audit_write(
        authority=authority,
        actor=agent_user,
        action="tariff.create" if latest is None else "tariff.version_create",
        obj=tariff,
        before=before,
        after={
            "year": year,
            "version": version,
            "vat_rate_bp": vat_rate_bp,
            "note": note,
            "plans": tariff_plans_snapshot(tariff),
        },
    )
    return tariff
