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


AGENT_EMAIL = "facturation@pannes.example.org"
AGENT_PASSWORD = "Pannes2essai@"
AGENT_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, in hex
PAYMENTS = 500


def order_id(i: int) -> str:
    """PayFiP's operation id (idOp) of the world's payment `i`."""
    return f"pannes-op-{i:04d}"


def payfip_world_build(payments: int = PAYMENTS) -> None:
    """Beside the template's world, for a test of its own: an administrator agent of the
    authority (password and TOTP device), the authority on PayFiP, and `payments` open
    invoices of 2022 (one per household, numbered apart from the 2023 run's sequence), each
    with an online payment waiting at PayFiP under `order_id(i)`."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from levee.accounts.models import User
    from levee.agents.models import Agent
    from levee.agents.roles import AgentRole
    from levee.authorities.models import Authority
    from levee.billing.models import Invoice, InvoiceStatus
    from levee.payments.models import GatewayName, PayfipMode, Payment, PaymentSettings
    from levee.subscribers.models import Subscription

    authority = Authority.objects.get(slug=SLUG)
    user = User.objects.create(
        email=AGENT_EMAIL,
        password=make_password(AGENT_PASSWORD),
        first_name="Agent",
        last_name="PANNES",
        is_active=True,
    )
    Agent.objects.create(authority=authority, user=user, role=AgentRole.ADMINISTRATEUR)
    TOTPDevice.objects.create(user=user, name="Application", confirmed=True, key=AGENT_TOTP_KEY)
    PaymentSettings.objects.create(
        authority=authority,
        gateway=GatewayName.PAYFIP,
        payfip_numcli="012345",
        payfip_saisie=PayfipMode.TEST,
    )
    today = timezone.localdate()
    subscriptions = Subscription.objects.filter(authority=authority).order_by("reference")
    invoices = Invoice.objects.bulk_create(
        Invoice(
            authority=authority,
            account_id=subscription.account_id,
            subscription=subscription,
            number=f"2200590{i:06d}",
            status=InvoiceStatus.OPEN,
            year=2022,
            issued_on=today - datetime.timedelta(days=10),
            due_on=today + datetime.timedelta(days=20),
            period_start=datetime.date(2022, 1, 1),
            period_end=datetime.date(2022, 12, 31),
            total_ht_cents=8794,
            total_cents=8794,
            payer_name=f"FOYER {i}",
            payer_address="1 rue de la Panne 59270 Bailleul",
            published_at=timezone.now(),
        )
        for i, subscription in enumerate(subscriptions[:payments])
    )
    Payment.objects.bulk_create(
        Payment(
            authority=authority,
            invoice=invoice,
            account_id=invoice.account_id,
            gateway=GatewayName.PAYFIP,
            amount_cents=invoice.total_cents,
            order_id=order_id(i),
        )
        for i, invoice in enumerate(invoices)
    )
