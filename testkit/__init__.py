"""Builders for tests: the standing cast (an authority, its communes, accounts, logins)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from levee.accounts.models import AccountAccess, User
from levee.authorities.models import Authority, AuthorityCommune, Commune, CommunePostalCode
from levee.lib.text import fold
from levee.subscribers.models import Account, Subscription

PASSWORD = "Mot2passe@"


def make_commune(
    *, insee: str, name: str, postal_codes=("00000",), department: str = "", epci: str = ""
) -> Commune:
    commune, _ = Commune.objects.get_or_create(
        insee=insee,
        defaults={
            "name": name,
            "search_name": fold(name),
            "department": department or insee[:2],
            "epci_siren": epci,
        },
    )
    for pc in postal_codes:
        CommunePostalCode.objects.get_or_create(commune=commune, postal_code=pc)
    return commune


def make_authority(
    *, slug: str = "flandre-interieure", code: str = "00240", communes=(), **fields
) -> Authority:
    defaults = {
        "name": "Communauté de Communes Flandre Intérieure"
        if slug == "flandre-interieure"
        else f"Collectivité {slug}",
        "short_name": "CCFI" if slug == "flandre-interieure" else "",
        "contact_email": f"dechets@{slug}.example.org",
        "signup_with_references": True,
        "signup_with_proof": True,
    }
    defaults.update(fields)
    authority = Authority.objects.create(slug=slug, code=code, **defaults)
    for commune in communes:
        AuthorityCommune.objects.create(authority=authority, commune=commune)
    return authority


def make_account(
    authority: Authority,
    *,
    code: str = "00001",
    portal_key: str = "PSEMCSMJ",
    last_name: str = "DUPONT",
    first_name: str = "Pierre",
    commune: Commune | None = None,
    postal_code: str = "59270",
    street: str = "route de Méteren",
    number: str = "29",
    subscribed_on: datetime.date = datetime.date(2022, 6, 30),
) -> Account:
    commune = commune or authority.communes.first()
    account = Account.objects.create(
        authority=authority,
        code=code,
        portal_key=portal_key,
        civility="M",
        last_name=last_name,
        first_name=first_name,
        billing_number=number,
        billing_street=street,
        billing_postal_code=postal_code,
        billing_city=commune.name if commune else "",
    )
    if commune is not None:
        Subscription.objects.create(
            authority=authority,
            account=account,
            reference=code,
            kind="bac",
            subscribed_on=subscribed_on,
            commune=commune,
            postal_code=postal_code,
            number=number,
            street=street,
        )
    return account


def make_user(email: str, *, password: str = PASSWORD, active: bool = True, accounts=()) -> User:
    user = User.objects.create_user(email, password, is_active=active)
    for account in accounts:
        AccountAccess.objects.create(user=user, account=account, authority=account.authority)
    return user


def ccfi_world():
    """CCFI with Bailleul and Hazebrouck, account 00001 of Pierre Dupont (seed 004)."""
    bailleul = make_commune(
        insee="59043", name="Bailleul", postal_codes=["59270"], epci="200040947"
    )
    hazebrouck = make_commune(
        insee="59295", name="Hazebrouck", postal_codes=["59190"], epci="200040947"
    )
    authority = make_authority(communes=[bailleul, hazebrouck], signup_with_proof=False)
    account = make_account(authority, commune=bailleul)
    return authority, account


def pilat_world():
    pelussin = make_commune(
        insee="42168", name="Pélussin", postal_codes=["42410"], epci="244200895"
    )
    authority = make_authority(
        slug="pilat-rhodanien",
        code="00420",
        name="Communauté de Communes du Pilat Rhodanien",
        communes=[pelussin],
        signup_with_proof=True,
    )
    return authority, pelussin


def make_opening_request(authority, commune, user, **fields):
    """« Demande d'ouverture de mon compte » with its email confirmed: waiting for an agent."""
    from django.utils import timezone

    from levee.accounts.models import AccountOpeningRequest, OpeningStatus

    values = {
        "status": OpeningStatus.PENDING,
        "legal_form": "particulier",
        "civility": "M",
        "last_name": "Martin",
        "first_name": "Paul",
        "postal_code": commune.postal_codes.first().postal_code,
        "street": "rue du Pilat",
        "number": "12",
        "proof_content_type": "image/png",
        "cgu_accepted_at": timezone.now(),
        "email_confirmed_at": timezone.now(),
    }
    values.update(fields)
    opening = AccountOpeningRequest(authority=authority, user=user, commune=commune, **values)
    opening.proof.save("justificatif.png", proof_upload(), save=False)
    opening.save()
    return opening


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def proof_upload(
    name: str = "justificatif.png", content: bytes | None = None, content_type: str = "image/png"
):
    return SimpleUploadedFile(
        name, png_bytes() if content is None else content, content_type=content_type
    )


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def altcha_payload() -> str:
    """A solved ALTCHA challenge, as the widget would post it."""
    import base64
    import json

    from altcha.v1 import solve_challenge

    from levee.lib import captcha

    challenge = json.loads(captcha.challenge_json())
    solution = solve_challenge(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"]
    )
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def field(page, label: str):
    """The form control whose label is exactly `label` (the required-field star aside)."""
    import re

    return page.get_by_label(re.compile(r"^\s*" + re.escape(label) + r"(\s*\*)?\s*$"))


def log_in_by_cookie(page, live_server, user, **session):
    """The session a login leaves (with `session`'s values), set as the browser's cookie
    (no login page loaded)."""
    from django.conf import settings as django_settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    if session:
        stored = client.session
        stored.update(session)
        stored.save()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
