"""The project's accessibility audit (RGAA 4.1), read from `docs/accessibility/audit.toml`:
the facts every authority's « Déclaration d'accessibilité » states, and the state of
compliance every footer gives (« Accessibilité : partiellement conforme »), computed from
the results as RGAA says: « totalement conforme » when every criterion was assessed and
none fails, « partiellement conforme » when at least half of those that apply are met,
« non conforme » otherwise (or without an audit)."""

import datetime
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

AUDIT_FILE = Path(settings.BASE_DIR) / "docs" / "accessibility" / "audit.toml"

TOTAL = "totalement conforme"
PARTIAL = "partiellement conforme"
NONE = "non conforme"


@dataclass(frozen=True)
class AuditPage:
    name: str
    path: str  # « /{slug}/… » for the pages of an authority
    audience: str  # public, resident or agent

    def url_for(self, slug: str) -> str:
        return self.path.format(slug=slug)


@dataclass(frozen=True)
class Shortfall:
    content: str
    alternative: str
    criterion: str = ""


@dataclass(frozen=True)
class Audit:
    referential: str
    date: datetime.date
    criteria_total: int
    criteria: dict[str, str]  # « 11.1 » → C, NC or NA
    technologies: tuple[str, ...]
    environment: tuple[str, ...]
    tools: tuple[str, ...]
    pages: tuple[AuditPage, ...]
    non_conformities: tuple[Shortfall, ...]
    exemptions: tuple[Shortfall, ...]

    def count(self, result: str) -> int:
        return sum(1 for r in self.criteria.values() if r == result)

    @property
    def met(self) -> int:
        return self.count("C")

    @property
    def failed(self) -> int:
        return self.count("NC")

    @property
    def not_applicable(self) -> int:
        return self.count("NA")

    @property
    def assessed(self) -> int:
        return len(self.criteria)

    @property
    def rate(self) -> int:
        """The percentage of the criteria met among those that apply (rounded down)."""
        applicable = self.met + self.failed
        return 100 * self.met // applicable if applicable else 0

    @property
    def state(self) -> str:
        if not self.criteria:
            return NONE
        if self.failed == 0 and self.assessed >= self.criteria_total:
            return TOTAL
        return PARTIAL if self.rate >= 50 else NONE

    @property
    def failed_criteria(self) -> list[str]:
        return [c for c, r in self.criteria.items() if r == "NC"]


def audit_parse(text: str) -> Audit:
    data = tomllib.loads(text)
    criteria = {str(k): str(v).upper() for k, v in data.get("criteria", {}).items()}
    unknown = {v for v in criteria.values()} - {"C", "NC", "NA"}
    if unknown:
        raise ValueError(f"unknown results in the audit: {sorted(unknown)}")
    return Audit(
        referential=data["referential"],
        date=data["date"],
        criteria_total=data["criteria_total"],
        criteria=criteria,
        technologies=tuple(data.get("technologies", ())),
        environment=tuple(data.get("environment", ())),
        tools=tuple(data.get("tools", ())),
        pages=tuple(AuditPage(**p) for p in data.get("pages", ())),
        non_conformities=tuple(Shortfall(**n) for n in data.get("non_conformities", ())),
        exemptions=tuple(Shortfall(**e) for e in data.get("exemptions", ())),
    )


@functools.cache
def accessibility_audit() -> Audit:
    return audit_parse(AUDIT_FILE.read_text(encoding="utf-8"))
