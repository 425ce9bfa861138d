import datetime
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from PIL import Image

from levee.accounts.models import AccountAccess, User
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.authorities.models import Authority, AuthorityCommune, Commune
from levee.billing.models import UsageAlert
from levee.billing.services_alerts import usage_alerts_send
from levee.demo.services import demo_load
from levee.lib.colors import contrast_ratio
from levee.mailing.models import OutboxMessage
from levee.subscribers.models import Account, Subscription

pytestmark = pytest.mark.django_db

MODELS = [Commune, Authority, AuthorityCommune, Account, Subscription, User, Agent, AccountAccess]


@pytest.fixture
def demo(demo_world, db, settings):
    """The demo, loaded once for the module (conftest.demo_world), and its files."""
    settings.MEDIA_ROOT = demo_world / "media"


def iban_is_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return len(iban) == 27 and int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def snapshot():
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "accounts": list(
            Account.objects.order_by("authority__slug", "code").values_list(
                "authority__slug",
                "code",
                "portal_key",
                "last_name",
                "company_name",
                "billing_street",
                "updated_at",
            )
        ),
        "subscriptions": list(
            Subscription.objects.order_by("authority__slug", "reference").values_list(
                "reference", "subscribed_on", "ended_on", "commune__insee", "updated_at"
            )
        ),
        "users": list(User.objects.order_by("email").values_list("email", "password")),
        "authorities": list(Authority.objects.order_by("slug").values()),
    }


def test_running_it_again_changes_nothing(demo):
    before = snapshot()

    call_command("demo_load", force=True)  # the suite may run on PostgreSQL
    demo_load()

    assert snapshot() == before


def test_it_creates_the_ccfi_as_the_tutorials_show_it(demo):
    ccfi = Authority.objects.get(slug="flandre-interieure")
    ccfi.full_clean()
    assert ccfi.name == "Communauté de Communes Flandre Intérieure"
    assert ccfi.display_short_name == "CCFI"
    assert ccfi.code == "00240" and ccfi.epci_siren == "200040947"
    assert ccfi.contact_email == "dechets@cc-flandreinterieure.fr"
    assert ccfi.payment_recipient == "Service de gestion comptable d'Hazebrouck"
    assert ccfi.payment_recipient_phone == "03 28 41 83 72"
    assert ccfi.payment_recipient_hours == "8h30-12h30 du lundi au vendredi"
    assert "60 Avenue Maréchal de Lattre de Tassigny" in ccfi.payment_recipient_address
    assert "222 bis rue de Vieux-Berquin" in ccfi.address and "59190 HAZEBROUCK" in ccfi.address
    assert ccfi.siret_display == "200 040 947 00190"
    assert ccfi.website == "https://cc-flandreinterieure.fr/fr/"
    assert ccfi.signup_with_references and not ccfi.signup_with_proof
    served = set(ccfi.communes.values_list("insee", flat=True))
    assert {"59043", "59295"} <= served  # Bailleul, Hazebrouck
    assert served == set(
        Commune.objects.filter(epci_siren="200040947").values_list("insee", flat=True)
    )


def test_it_creates_the_pilat_rhodanien_with_its_member_communes(demo):
    pilat = Authority.objects.get(slug="pilat-rhodanien")
    pilat.full_clean()
    assert pilat.name == "Communauté de Communes du Pilat Rhodanien"
    assert re.fullmatch(r"\d{5}", pilat.code) and pilat.code != "00240"
    assert pilat.signup_with_proof and pilat.signup_with_references
    pelussin = Commune.objects.get(insee="42168")
    assert pelussin.epci_siren == pilat.epci_siren
    assert pilat.communes.filter(pk=pelussin.pk).exists()
    assert pilat.communes.count() == Commune.objects.filter(epci_siren=pilat.epci_siren).count()
    assert pilat.communes.count() > 1


def test_each_authority_has_a_readable_colour_and_a_png_logo(demo):
    for authority in Authority.objects.all():
        assert contrast_ratio(authority.primary_color, "#ffffff") >= 4.5
        with authority.logo.open("rb") as logo, Image.open(logo) as image:
            assert image.format == "PNG"


def test_it_creates_the_account_of_seed_004_without_any_login(demo):
    account = Account.objects.get(authority__slug="flandre-interieure", code="00001")
    assert account.portal_key == "PSEMCSMJ"
    assert (account.civility, account.last_name, account.first_name) == ("M", "DUPONT", "Pierre")
    assert account.billing_address_line == "29 route de Méteren 59270 Bailleul"
    assert account.phone == "0601020304"
    assert account.category == "particulier"
    assert account.matches_name("dupont")
    [subscription] = account.subscriptions.all()
    assert subscription.authority_id == account.authority_id
    assert subscription.reference == "00001" and subscription.kind == "bac"
    assert subscription.subscribed_on == datetime.date(2022, 6, 30)
    assert subscription.ended_on is None
    assert subscription.commune.insee == "59043" and subscription.postal_code == "59270"
    assert subscription.address_line == "29 route de Méteren 59270 Bailleul"
    assert not AccountAccess.objects.filter(account=account).exists()
    assert not User.objects.filter(email__iexact="dupont59@gmail.com").exists()


def test_it_creates_the_second_home_of_seed_002_in_the_pilat(demo):
    account = Account.objects.get(authority__slug="pilat-rhodanien", code="10042")
    assert account.portal_key == "VZKRTQPM"
    assert (account.civility, account.last_name, account.first_name) == ("M", "DUPONT", "Pierre")
    assert account.billing_address_line == "12 rue du Pilat 42410 Pélussin"
    [subscription] = account.subscriptions.all()
    assert subscription.kind == "bac" and subscription.commune.insee == "42168"
    assert subscription.address_line == "12 rue du Pilat 42410 Pélussin"
    assert not AccountAccess.objects.filter(account=account).exists()


def test_it_creates_a_few_hundred_accounts_in_the_member_communes(demo):
    for authority in Authority.objects.all():
        accounts = Account.objects.filter(authority=authority)
        assert accounts.count() >= 100
        keys = list(accounts.values_list("portal_key", flat=True))
        assert all(re.fullmatch(r"[A-Z]{8}", key) for key in keys)
        assert len(set(keys)) == len(keys)
        subscriptions = Subscription.objects.filter(authority=authority)
        assert subscriptions.count() == accounts.count()
        assert not subscriptions.exclude(account__authority=authority).exists()
        assert not subscriptions.exclude(commune__in=authority.communes.all()).exists()
        assert subscriptions.filter(ended_on__isnull=False).exists()
        assert subscriptions.values("subscribed_on").distinct().count() > 20
        assert accounts.values("last_name").distinct().count() > 10
        ibans = subscriptions.filter(payment_mode="prelevement").values_list("iban", flat=True)
        assert ibans and all(iban_is_valid(iban) for iban in ibans)
    assert Account.objects.count() >= 300


def test_the_demo_logins_authenticate_with_their_roles(demo):
    agent = authenticate(email="agent.flandre@example.org", password="Agent-Demo-59!")
    assert agent is not None and agent.activated_at is not None
    assert Agent.objects.filter(
        user=agent, authority__slug="flandre-interieure", role=AgentRole.ADMINISTRATEUR
    ).exists()

    agent = authenticate(email="agent.pilat@example.org", password="Agent-Demo-42!")
    assert agent is not None
    assert Agent.objects.filter(
        user=agent, authority__slug="pilat-rhodanien", role=AgentRole.ADMINISTRATEUR
    ).exists()

    operator = authenticate(email="admin@example.org", password="Admin-Demo-00!")
    assert operator is not None and operator.is_staff and operator.is_superuser

    resident = authenticate(email="marie.martin@example.org", password="Usager-Demo-1!")
    assert resident is not None and not resident.is_staff
    [access] = AccountAccess.objects.filter(user=resident)
    assert access.authority.slug == "flandre-interieure"
    assert access.account.authority_id == access.authority_id
    assert (access.account.last_name, access.account.first_name) == ("MARTIN", "Marie")

    assert authenticate(email="admin@example.org", password="wrong") is None


def test_the_first_periodic_run_mails_no_usage_alert_for_the_loaded_history(demo):
    """The years of lifts loaded at once reached plans long ago: the demo records them, so
    the first run of `manage.py periodic` (at `make demo`'s start) does not fill var/mail/
    with hundreds of alerts before the tutorials' own emails."""
    assert UsageAlert.objects.filter(emailed=False).exists()
    assert usage_alerts_send() == 0
    assert not OutboxMessage.objects.filter(template="usage_alert").exists()
