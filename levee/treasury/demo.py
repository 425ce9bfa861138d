"""The demo's « Comptabilité publique »: the CCFI sends its rôles to its public accountant as
PES ORMC files; the Pilat Rhodanien collects through its régie, as today.

The CCFI's SIRET is its own (200 040 947 00190); its poste comptable, collectivity and
budget codes are placeholders of the right shape, not the DGFiP's real ones."""

from levee.billing.models import LineKind

from .models import CollectionMode, PublicAccountingSettings

CCFI_SLUG = "flandre-interieure"
PILAT_SLUG = "pilat-rhodanien"

# Nature 588: the DGFiP's proposed value for the lines of an ORMC title.
CCFI_LINE_CODES = {
    LineKind.FIXED: {"nature": "588", "product": "REOF"},
    LineKind.INCLUDED: {"nature": "588", "product": "REOI"},
    LineKind.EXTRA: {"nature": "588", "product": "REOS"},
    LineKind.WEIGHT: {"nature": "588", "product": "REOP"},
    LineKind.OTHER: {"nature": "588", "product": "REOA"},
}

DEMO_SETTINGS = {
    CCFI_SLUG: {
        "collection_mode": CollectionMode.PES,
        "siret": "20004094700190",
        "poste_code": "059030",
        "collectivity_code": "240",
        "budget_code": "02",
        "budget_label": "CCFI BUDGET ANNEXE DECHETS",
        "line_codes": {str(kind): codes for kind, codes in CCFI_LINE_CODES.items()},
        "role_object": "REDEVANCE INCITATIVE DECHETS MENAGERS",
        "pieces_per_file": 5000,
        "attach_pdfs": True,
    },
    PILAT_SLUG: {"collection_mode": CollectionMode.REGIE},
}


def demo_treasury_load(*, authority) -> PublicAccountingSettings | None:
    """The demo authority's settings, when they are missing."""
    fields = DEMO_SETTINGS.get(authority.slug)
    if fields is None:
        return None
    settings, _ = PublicAccountingSettings.objects.get_or_create(
        authority=authority, defaults=fields
    )
    return settings
