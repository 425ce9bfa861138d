"""The data of the fault tests, written into the cluster's template database by
`manage.py shell` (a process of its own, like every step of these tests): an authority
with N households, each a « bac » subscription with a household-waste bin, 26 lifts in 2023
and its 2023 tariff grid — enough for a billing run of several chunks and a lift import of
some seconds. Rows by SQL (generate_series) where the ORM would take minutes."""

import datetime

SLUG = "pannes"
HOUSEHOLDS = 4500  # five chunks of a billing run (1,000 each)


def world_build(households: int = HOUSEHOLDS) -> None:
    from django.db import connection

    from levee.billing.models import PlanKind, Tariff, TariffPlan
    from levee.subscribers.models import Account, Subscription
    from testkit import make_authority, make_commune

    commune = make_commune(insee="59043", name="Bailleul", postal_codes=["59270"])
    authority = make_authority(slug=SLUG, code="00590", communes=[commune])
    tariff = Tariff.objects.create(authority=authority, year=2023, version=1)
    for volume, fixed, extra in ((120, 7300, 250), (240, 14600, 400)):
        TariffPlan.objects.create(
            authority=authority,
            tariff=tariff,
            kind=PlanKind.BAC,
            volume_litres=volume,
            label=f"Bac {volume} L",
            fixed_cents=fixed,
            included_lifts=12,
            extra_lift_cents=extra,
        )
    Account.objects.bulk_create(
        Account(
            authority=authority,
            code=f"{i:06d}",
            portal_key=f"K{i:07d}",
            civility="M",
            last_name="FOYER",
            first_name=str(i),
            email=f"foyer{i}@example.org",
            billing_number=str(1 + i % 97),
            billing_street="rue de la Panne",
            billing_postal_code="59270",
            billing_city="Bailleul",
        )
        for i in range(households)
    )
    Subscription.objects.bulk_create(
        Subscription(
            authority=authority,
            account_id=pk,
            reference=code,
            kind="bac",
            subscribed_on=datetime.date(2022, 1, 1),
            commune=commune,
            postal_code="59270",
            number="1",
            street="rue de la Panne",
        )
        for pk, code in Account.objects.filter(authority=authority).values_list("pk", "code")
    )
    params = {"authority": authority.pk}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO collection_bin
                (created_at, updated_at, authority_id, subscription_id, account_id, flux,
                 volume_litres, chip_number, tank_number, delivered_on)
            SELECT now(), now(), %(authority)s, s.id, s.account_id, 'ordures_menageres',
                   CASE WHEN s.reference::int %% 2 = 0 THEN 120 ELSE 240 END,
                   'E' || lpad(s.reference, 8, '0'), '', s.subscribed_on
            FROM subscribers_subscription s WHERE s.authority_id = %(authority)s
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO collection_lift
                (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
            SELECT %(authority)s, b.id,
                   (date '2023-01-02' + 14 * w + time '07:15') AT TIME ZONE 'Europe/Paris',
                   8000 + (b.id * 7 + w * 13) %% 14000, 'BOM-1', NULL
            FROM generate_series(0, 25) w
            CROSS JOIN collection_bin b WHERE b.authority_id = %(authority)s
            """,
            params,
        )
        cursor.execute("ANALYZE")


def lifts_csv(households: int = HOUSEHOLDS, weeks: int = 30) -> str:
    """A lift file of 2024 for every bin of the world: `weeks` lifts each."""
    lines = ["horodatage;puce;cuve;flux;poids_kg;vehicule"]
    start = datetime.datetime(2024, 1, 3, 6, 30)
    for i in range(households):
        for w in range(weeks):
            at = start + datetime.timedelta(days=7 * w, minutes=i % 600)
            grams = 8000 + (i * 7 + w * 13) % 14000
            lines.append(f"{at:%Y-%m-%d %H:%M:%S};E{i:08d};;om;{grams / 1000:.3f};BOM-{i % 9}")
    return "\n".join(lines) + "\n"
