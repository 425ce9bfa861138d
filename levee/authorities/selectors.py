from dataclasses import dataclass

from django.http import Http404

from levee.lib.text import fold

from .models import Authority, AuthorityCommune, CommunePostalCode

MAX_QUERY = 80


def authority_get_by_slug(slug: str) -> Authority:
    """The active authority at /<slug>/, or 404."""
    authority = Authority.objects.filter(slug=slug, is_active=True).first()
    if authority is None:
        raise Http404
    return authority


@dataclass(frozen=True)
class CommuneMatch:
    insee: str
    name: str
    postal_code: str
    department: str
    authority_slug: str | None
    authority_name: str | None

    @property
    def label(self) -> str:
        return f"{self.postal_code} {self.name}"

    @property
    def key(self) -> str:
        return f"{self.insee}-{self.postal_code}"


def commune_search(
    query: str, *, limit: int = 10, authority: Authority | None = None
) -> list[CommuneMatch]:
    """(postal code, commune) pairs matching what a person types: a postal code prefix
    (`424`, `42410`) or a name, accents, case and punctuation ignored (`pelussin`, `st etienne`).
    Names that start with the text come first. Two queries whatever the result."""
    text = fold((query or "")[:MAX_QUERY])
    if not text:
        return []
    text = " ".join("saint" if w == "st" else "sainte" if w == "ste" else w for w in text.split())
    pairs = CommunePostalCode.objects.select_related("commune")
    if authority is not None:
        pairs = pairs.filter(commune__authoritycommune__authority=authority)
    if text.replace(" ", "").isdigit():
        rows = list(
            pairs.filter(postal_code__startswith=text.replace(" ", "")).order_by(
                "postal_code", "commune__name"
            )[:limit]
        )
    else:
        rows = list(
            pairs.filter(commune__search_name__startswith=text).order_by(
                "commune__search_name", "postal_code"
            )[:limit]
        )
        if len(rows) < limit:
            rows += list(
                pairs.filter(commune__search_name__contains=text)
                .exclude(commune__search_name__startswith=text)
                .order_by("commune__search_name", "postal_code")[: limit - len(rows)]
            )
    served = {
        ac.commune_id: ac.authority
        for ac in AuthorityCommune.objects.filter(
            commune_id__in={r.commune_id for r in rows}, authority__is_active=True
        ).select_related("authority")
    }
    return [
        CommuneMatch(
            insee=r.commune.insee,
            name=r.commune.name,
            postal_code=r.postal_code,
            department=r.commune.department,
            authority_slug=served[r.commune_id].slug if r.commune_id in served else None,
            authority_name=served[r.commune_id].name if r.commune_id in served else None,
        )
        for r in rows
    ]


def commune_choice(insee: str, postal_code: str) -> CommuneMatch | None:
    """The pair picked in the list (« Valider ma commune »), or None if it does not exist."""
    row = (
        CommunePostalCode.objects.select_related("commune")
        .filter(commune__insee=insee, postal_code=postal_code)
        .first()
    )
    if row is None:
        return None
    served = (
        AuthorityCommune.objects.filter(commune=row.commune, authority__is_active=True)
        .select_related("authority")
        .first()
    )
    return CommuneMatch(
        insee=row.commune.insee,
        name=row.commune.name,
        postal_code=row.postal_code,
        department=row.commune.department,
        authority_slug=served.authority.slug if served else None,
        authority_name=served.authority.name if served else None,
    )
