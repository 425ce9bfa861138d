"""The demo data of PRODUCT.md « Demo data »: two authorities, the accounts the tutorials
use, a few hundred fictitious others, and the demo logins.

Everything is keyed on natural keys (authority slug, account code, user email) and only
created when missing, so `make demo` can run it again and again: nothing changes, and what
a person did while following a tutorial is kept (`make reset` starts over).
"""

import datetime
import io
import random
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from levee.accounts.models import AccountAccess, User
from levee.agents.models import Agent
from levee.agents.roles import AgentRole
from levee.authorities.models import Authority, Commune
from levee.billing.demo import demo_billing_load
from levee.billing.services_alerts import usage_alerts_record_past
from levee.billing.services_dunning import invoice_reminders_record_past
from levee.calendars.demo import demo_calendars_load
from levee.collection.averages import production_averages_refresh
from levee.collection.demo import demo_lifts_load
from levee.lib.text import fold
from levee.subscribers.models import (
    Account,
    Category,
    Civility,
    PaymentMode,
    Subscription,
    SubscriptionKind,
)
from levee.treasury.demo import demo_treasury_load

from .streets import STREETS

# --- The authorities -------------------------------------------------------------------

CCFI_SLUG = "flandre-interieure"
CCFI_EPCI_SIREN = "200040947"
PILAT_SLUG = "pilat-rhodanien"
PELUSSIN_INSEE = "42168"  # its EPCI is the Pilat Rhodanien; the SIREN comes from the data
BAILLEUL_INSEE = "59043"
HAZEBROUCK_INSEE = "59295"

CCFI = {
    "slug": CCFI_SLUG,
    "code": "00240",
    "name": "Communauté de Communes Flandre Intérieure",
    "short_name": "CCFI",
    "contact_email": "dechets@cc-flandreinterieure.fr",
    "address": "222 bis rue de Vieux-Berquin\n59190 HAZEBROUCK",
    "website": "https://cc-flandreinterieure.fr/fr/",
    "siret": "20004094700190",
    "payment_recipient": "Service de gestion comptable d'Hazebrouck",
    "payment_recipient_address": "60 Avenue Maréchal de Lattre de Tassigny\n59190 HAZEBROUCK",
    "payment_recipient_phone": "03 28 41 83 72",
    "payment_recipient_hours": "8h30-12h30 du lundi au vendredi",
    "primary_color": "#00637a",
    "signup_with_references": True,
    "signup_with_proof": False,
}

PILAT = {
    "slug": PILAT_SLUG,
    "code": "00420",
    "name": "Communauté de Communes du Pilat Rhodanien",
    "short_name": "CCPR",
    "contact_email": "dechets@pilat-rhodanien.example.org",
    "primary_color": "#2e6b1e",
    "siret": "24420089900039",
    "payment_recipient": "Service de gestion comptable de Saint-Chamond",
    "payment_recipient_address": "2 rue Émile Zola\n42400 SAINT-CHAMOND",
    "signup_with_references": True,
    "signup_with_proof": True,  # seed 000: opening an account with a justificatif de domicile
}

# --- The accounts the tutorials and the demo logins use ---------------------------------


@dataclass(frozen=True)
class DemoAccount:
    code: str
    portal_key: str
    civility: str
    last_name: str
    first_name: str
    number: str
    street: str
    insee: str
    postal_code: str
    subscribed_on: datetime.date
    phone: str = ""
    email: str = ""
    household_size: int | None = None
    payment_mode: str = PaymentMode.UNKNOWN


# Seed 004: no login is linked to it, so that the sign-up of the tutorial works.
DUPONT_CCFI = DemoAccount(
    code="00001",
    portal_key="PSEMCSMJ",
    civility=Civility.M,
    last_name="DUPONT",
    first_name="Pierre",
    number="29",
    street="route de Méteren",
    insee=BAILLEUL_INSEE,
    postal_code="59270",
    subscribed_on=datetime.date(2022, 6, 30),
    phone="0601020304",
)
# The resident already set up (marie.martin@example.org).
MARTIN_CCFI = DemoAccount(
    code="00002",
    portal_key="KBWHLTRA",
    civility=Civility.MME,
    last_name="MARTIN",
    first_name="Marie",
    number="12",
    street="rue de la Gare",
    insee=HAZEBROUCK_INSEE,
    postal_code="59190",
    subscribed_on=datetime.date(2019, 3, 1),
    phone="0639980012",
    email="marie.martin@example.org",
    household_size=3,
    payment_mode=PaymentMode.INVOICE,
)
# Seed 002: the second home, associated with the CCFI login by its clé d'activation.
DUPONT_PILAT = DemoAccount(
    code="10042",
    portal_key="VZKRTQPM",
    civility=Civility.M,
    last_name="DUPONT",
    first_name="Pierre",
    number="12",
    street="rue du Pilat",
    insee=PELUSSIN_INSEE,
    postal_code="42410",
    subscribed_on=datetime.date(2021, 4, 1),
    phone="0601020304",
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    first_name: str
    last_name: str
    is_staff: bool = False


AGENT_CCFI = DemoLogin("agent.flandre@example.org", "Agent-Demo-59!", "Claire", "VERHAEGHE")
AGENT_PILAT = DemoLogin("agent.pilat@example.org", "Agent-Demo-42!", "Julien", "FAYOLLE")
OPERATOR = DemoLogin("admin@example.org", "Admin-Demo-00!", "Camille", "ROUSSEL", is_staff=True)
RESIDENT = DemoLogin("marie.martin@example.org", "Usager-Demo-1!", "Marie", "MARTIN")

# --- The crowd: fictitious accounts, always the same ones (random.Random(seed)) -------------

GENERATED = {
    # slug: (seed, codes, start of the redevance incitative)
    CCFI_SLUG: (59, [f"{n:05d}" for n in range(3, 243)], datetime.date(2018, 1, 1)),
    PILAT_SLUG: (
        42,
        [f"{n:05d}" for n in range(10001, 10162) if n != 10042],
        datetime.date(2020, 1, 1),
    ),
}
LAST_DATE = datetime.date(2025, 9, 30)

SURNAMES = {
    CCFI_SLUG: (
        "DECLERCQ VANDENBERGHE DEWAELE VERHAEGHE LEFEBVRE DUPONT DUBOIS LEROY LEMAIRE "
        "DESCHAMPS DEVOS DEBAECKER VANDAMME DEBRUYNE BEAUCAMP CARLIER DELATTRE DELEPINE "
        "DEHAENE HOUTTEMANE LAMERAND COUSIN DHAENE DEVULDER VERMEERSCH DEWITTE DEMEY "
        "DECOCK MASSE MOREL FOURNIER HENNEBELLE DELANNOY LECLERCQ BOUTEN DERYCKE "
        "BAILLIEUL DUHAMEL VANHOVE BRUNEEL DEQUIDT VERSTAEVEL DEHONDT DEVOGEL"
    ).split(),
    PILAT_SLUG: (
        "FAURE CHAMBON FAYOLLE GONON PEYRON BERNARD BONNET MOULIN ROCHE BLANC "
        "VERNAY SEIGNOVERT COURBON FOREST PERRIN GIRARD BRUYERE MASSARDIER DEGRUEL "
        "JURINE BERTHOLON VIALLETON CROZET CHARRA GUILLOT MARCOUX FERRAND TISSOT "
        "DUMAS BARRALLON REYNAUD ROUX BESSON GRANGE CHOLLET MATHEVET BOUCHET ROBIN"
    ).split(),
}
FIRST_NAMES = {
    Civility.M: (
        "Jean Pierre Michel Philippe Alain Bernard Christophe Nicolas Julien Thomas "
        "Olivier Patrick Laurent Sébastien Antoine Maxime Hugo Lucas Théo Louis Gérard "
        "Daniel François Didier Frédéric Stéphane Éric Jérôme Mathieu Benoît"
    ).split(),
    Civility.MME: (
        "Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Sandrine Céline "
        "Julie Camille Laura Manon Chloé Emma Léa Sophie Valérie Véronique Anne Martine "
        "Monique Nicole Élodie Aurélie Émilie Caroline Hélène Agnès Brigitte"
    ).split(),
}
COMPANIES = [
    "BOULANGERIE {name}",
    "GARAGE {name}",
    "SARL {name} ET FILS",
    "PHARMACIE DU CENTRE",
    "CAFÉ DE LA PLACE",
    "CABINET INFIRMIER {name}",
    "EARL {name}",
    "RESTAURANT LE RELAIS",
    "SALON DE COIFFURE {name}",
    "MENUISERIE {name}",
]
ASSOCIATIONS = ["ASSOCIATION SPORTIVE {commune}", "COMITÉ DES FÊTES DE {commune}"]
ADMINISTRATIONS = ["MAIRIE DE {commune}", "ÉCOLE PUBLIQUE DE {commune}"]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def demo_load() -> None:
    """Loads the reference communes, then the demo data (only what is missing)."""
    call_command("communes_load")
    demo_data_load()


@transaction.atomic
def demo_data_load(*, today: datetime.date | None = None) -> None:
    """The demo data alone, the communes being loaded already; lifts until `today`."""
    ccfi = _authority_ensure(siren=CCFI_EPCI_SIREN, **CCFI)
    pelussin = Commune.objects.get(insee=PELUSSIN_INSEE)
    pilat = _authority_ensure(siren=pelussin.epci_siren, **PILAT)

    _account_ensure(ccfi, DUPONT_CCFI)
    martin = _account_ensure(ccfi, MARTIN_CCFI)
    _account_ensure(pilat, DUPONT_PILAT)
    for authority in (ccfi, pilat):
        _accounts_generate(authority)
    if demo_lifts_load(today=today):
        for authority in (ccfi, pilat):
            production_averages_refresh(authority=authority, today=today)
    demo_calendars_load()
    for authority in (ccfi, pilat):
        demo_billing_load(authority=authority, today=today or timezone.localdate())
        demo_treasury_load(authority=authority)
    # The years of lifts loaded at once were never watched arrive: their reached plans are
    # known without an email, so the first periodic run does not mail hundreds of them.
    usage_alerts_record_past(today=today)
    # Likewise the reminders of the invoices already due when the history was loaded.
    invoice_reminders_record_past(today=today)

    _login_ensure(OPERATOR)
    for login, authority in ((AGENT_CCFI, ccfi), (AGENT_PILAT, pilat)):
        # Administrators: the README's demo logins reach every page and action.
        Agent.objects.update_or_create(
            authority=authority,
            user=_login_ensure(login),
            defaults={"role": AgentRole.ADMINISTRATEUR, "is_active": True},
        )
    resident = _login_ensure(RESIDENT)
    AccountAccess.objects.get_or_create(user=resident, account=martin, defaults={"authority": ccfi})


def _authority_ensure(*, siren: str, slug: str, code: str, contact_email: str, **fields):
    authority = Authority.objects.filter(slug=slug).first()
    if authority is None:
        from levee.authorities.services import authority_create_from_epci

        authority = authority_create_from_epci(
            siren=siren, slug=slug, code=code, contact_email=contact_email, **fields
        )
    if not authority.logo:
        authority.logo.save(f"{slug}.png", ContentFile(_logo_png(authority)), save=False)
        authority.save(update_fields=["logo", "updated_at"])
    return authority


def _logo_png(authority: Authority) -> bytes:
    """A plain logo: the short name in white on the authority's colour."""
    from PIL import Image, ImageDraw, ImageFont

    text = authority.display_short_name.lower()
    font = ImageFont.load_default(size=64)
    image = Image.new("RGB", (240, 96), authority.primary_color)
    draw = ImageDraw.Draw(image)
    draw.text((120, 48), text, fill="#ffffff", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _account_ensure(authority: Authority, demo: DemoAccount) -> Account:
    account = Account.objects.filter(authority=authority, code=demo.code).first()
    if account is not None:
        return account
    commune = Commune.objects.get(insee=demo.insee)
    account = Account.objects.create(
        authority=authority,
        code=demo.code,
        portal_key=demo.portal_key,
        category=Category.PARTICULIER,
        civility=demo.civility,
        last_name=demo.last_name,
        first_name=demo.first_name,
        household_size=demo.household_size,
        email=demo.email,
        phone=demo.phone,
        billing_number=demo.number,
        billing_street=demo.street,
        billing_postal_code=demo.postal_code,
        billing_city=commune.name,
    )
    Subscription.objects.create(
        authority=authority,
        account=account,
        reference=demo.code,
        kind=SubscriptionKind.BAC,
        subscribed_on=demo.subscribed_on,
        payment_mode=demo.payment_mode,
        commune=commune,
        number=demo.number,
        street=demo.street,
        postal_code=demo.postal_code,
    )
    return account


def _login_ensure(login: DemoLogin) -> User:
    user = User.objects.filter(email__iexact=login.email).first()
    if user is not None:
        return user
    return User.objects.create_user(
        login.email,
        login.password,
        first_name=login.first_name,
        last_name=login.last_name,
        is_active=True,
        activated_at=timezone.now(),
        is_staff=login.is_staff,
        is_superuser=login.is_staff,
    )


def _accounts_generate(authority: Authority) -> None:
    """The fictitious crowd of an authority: created once, the same on every machine."""
    seed, codes, launch = GENERATED[authority.slug]
    existing_codes = set(Account.objects.filter(authority=authority).values_list("code", flat=True))
    if existing_codes.issuperset(codes):
        return
    used_keys = set(
        Account.objects.filter(authority=authority).values_list("portal_key", flat=True)
    )
    communes = list(authority.communes.prefetch_related("postal_codes").order_by("insee"))
    weights = [max(c.population, 100) for c in communes]
    rng = random.Random(seed)
    accounts, subscriptions = [], []
    for code in codes:
        # Always draw, even for an existing code: the others stay the same.
        account, subscription = _account_draw(
            rng, authority, code, communes, weights, used_keys, launch
        )
        used_keys.add(account.portal_key)
        if code not in existing_codes:
            accounts.append(account)
            subscriptions.append(subscription)
    Account.objects.bulk_create(accounts)
    ids = dict(
        Account.objects.filter(
            authority=authority, code__in=[a.code for a in accounts]
        ).values_list("code", "pk")
    )
    for subscription in subscriptions:
        subscription.account_id = ids[subscription.reference]
    Subscription.objects.bulk_create(subscriptions)


def _account_draw(rng, authority, code, communes, weights, used_keys, launch):
    commune = rng.choices(communes, weights)[0]
    postal_code = min(pc.postal_code for pc in commune.postal_codes.all())
    number = str(rng.randint(1, 180))
    suffix = rng.choice(["bis", "ter"]) if rng.random() < 0.05 else ""
    street = rng.choice(STREETS)
    last_name = rng.choice(SURNAMES[authority.slug])
    civility = rng.choice([Civility.M, Civility.MME])
    first_name = rng.choice(FIRST_NAMES[civility])
    commune_upper = commune.name.upper()

    roll = rng.random()
    company_name = ""
    if roll < 0.08:
        category = Category.PROFESSIONNEL
        company_name = rng.choice(COMPANIES).format(name=last_name)
    elif roll < 0.10:
        category = Category.ASSOCIATION
        company_name = rng.choice(ASSOCIATIONS).format(commune=commune_upper)
    elif roll < 0.12:
        category = Category.ADMINISTRATION
        company_name = rng.choice(ADMINISTRATIONS).format(commune=commune_upper)
    else:
        category = Category.PARTICULIER
    if company_name:
        civility, first_name, last_name = "", "", ""

    portal_key = "".join(rng.choice(LETTERS) for _ in range(8))
    while portal_key in used_keys:
        portal_key = "".join(rng.choice(LETTERS) for _ in range(8))

    if rng.random() < 0.4:
        subscribed_on = launch
    else:
        span = (LAST_DATE - launch).days
        subscribed_on = launch + datetime.timedelta(days=rng.randint(0, span))
    ended_on = None
    if rng.random() < 0.04 and subscribed_on < LAST_DATE - datetime.timedelta(days=200):
        remaining = (LAST_DATE - subscribed_on).days
        ended_on = subscribed_on + datetime.timedelta(days=rng.randint(180, remaining))

    payment_roll = rng.random()
    iban = ""
    if payment_roll < 0.35:
        payment_mode, iban = PaymentMode.DIRECT_DEBIT, _french_iban(rng)
    elif payment_roll < 0.85:
        payment_mode = PaymentMode.INVOICE
    else:
        payment_mode = PaymentMode.UNKNOWN

    email = ""
    if rng.random() < 0.6:
        local = fold(f"{first_name} {last_name}" if last_name else company_name)
        email = f"{local.replace(' ', '.')}{rng.randint(1, 99)}@example.net"
    # ARCEP's numbers reserved for fiction: 06 39 98 xx xx, 03 53 01 / 04 65 71 xx xx.
    landline = "035301" if authority.slug == CCFI_SLUG else "046571"
    phone = f"{landline}{rng.randint(0, 9999):04d}" if rng.random() < 0.5 else ""
    mobile = f"063998{rng.randint(0, 9999):04d}" if rng.random() < 0.6 else ""
    household_size = (
        rng.choices([1, 2, 3, 4, 5, 6], [25, 33, 16, 15, 8, 3])[0]
        if category == Category.PARTICULIER
        else None
    )

    account = Account(
        authority=authority,
        code=code,
        portal_key=portal_key,
        category=category,
        civility=civility,
        last_name=last_name,
        first_name=first_name,
        company_name=company_name,
        household_size=household_size,
        email=email,
        phone=phone,
        mobile=mobile,
        billing_number=number,
        billing_number_suffix=suffix,
        billing_street=street,
        billing_postal_code=postal_code,
        billing_city=commune.name,
    )
    subscription = Subscription(
        authority=authority,
        reference=code,
        kind=SubscriptionKind.BAC,
        subscribed_on=subscribed_on,
        ended_on=ended_on,
        payment_mode=payment_mode,
        iban=iban,
        commune=commune,
        number=number,
        number_suffix=suffix,
        street=street,
        postal_code=postal_code,
    )
    return account, subscription


def _french_iban(rng: random.Random) -> str:
    """A well-formed French IBAN (valid RIB key and check digits) of a fictitious bank."""
    bank, branch = "30001", f"{rng.randint(0, 99999):05d}"
    account = f"{rng.randint(0, 10**11 - 1):011d}"
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    # Check digits: "FR00" moved to the end, letters as numbers (F=15, R=27).
    check = 98 - int(f"{bban}152700") % 97
    return f"FR{check:02d}{bban}"
