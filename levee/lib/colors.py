"""Colour contrast (WCAG 2.1 relative luminance) for the authorities' branding."""

import re

from django.core.exceptions import ValidationError

HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_hex_color(value: str) -> None:
    if not HEX_RE.match(value or ""):
        raise ValidationError("Indiquez une couleur au format #RRVVBB, par exemple #1d4e89.")


def _luminance(hex_color: str) -> float:
    if not HEX_RE.match(hex_color):
        raise ValueError(hex_color)
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(color_a: str, color_b: str) -> float:
    la, lb = sorted((_luminance(color_a), _luminance(color_b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
