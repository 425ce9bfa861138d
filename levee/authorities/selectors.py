import re
from bisect import bisect_left
from dataclasses import dataclass

from django.db.models import Count, Max
from django.http import Http404

from levee.lib.text import fold

from .models import Authority, AuthorityCommune, Commune, CommunePostalCode

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


class _CommuneIndex:
    """The 35,000 folded commune names and postal codes, sorted in memory once per
    process (and again when the reference data changes): a prefix is a bisection and a
    substring a scan of short strings, both well under a millisecond, where SQL LIKE
    cannot use an index."""

    def __init__(self):
        self.version = None
        self.names: list[tuple[str, int]] = []
        self.postal: list[tuple[str, int]] = []

    def current(self):
        version = tuple(Commune.objects.aggregate(n=Count("id"), m=Max("id")).values())
        if version != self.version:
            self.names = sorted(Commune.objects.values_list("search_name", "id"))
            self.postal = sorted(CommunePostalCode.objects.values_list("postal_code", "commune_id"))
            self.version = version
        return self

    @staticmethod
    def _prefixed(rows, text):
        i = bisect_left(rows, (text,))
        while i < len(rows) and rows[i][0].startswith(text):
            yield rows[i]
            i += 1


_index = _CommuneIndex()


def communes_with_postal_codes(authority: Authority):
    """The communes `authority` serves, by name, with their postal codes (two queries)."""
    return authority.communes.prefetch_related("postal_codes").order_by("name")


def commune_search(
    query: str, *, limit: int = 10, authority: Authority | None = None
) -> list[CommuneMatch]:
    """(postal code, commune) pairs matching what a person types: a postal code prefix
    (`424`, `42410`) or a name, accents, case and punctuation ignored (`pelussin`, `st etienne`).
    Names that start with the text come first. Four queries whatever the result."""
    text = fold((query or "")[:MAX_QUERY])
    if not text:
        return []
    text = " ".join("saint" if w == "st" else "sainte" if w == "ste" else w for w in text.split())
    index = _index.current()
    allowed = None
    if authority is not None:
        allowed = set(
            AuthorityCommune.objects.filter(authority=authority).values_list(
                "commune_id", flat=True
            )
        )
    if text.replace(" ", "").isdigit():
        code = text.replace(" ", "")
        wanted = [
            (pc, cid)
            for pc, cid in index._prefixed(index.postal, code)
            if allowed is None or cid in allowed
        ]
        wanted = wanted[:limit]
        order = {pair: i for i, pair in enumerate(wanted)}
        ids = {cid for _, cid in wanted}
    else:
        ordered = [cid for _, cid in index._prefixed(index.names, text)]
        if len(ordered) < limit * 2:
            seen = set(ordered)
            ordered += [cid for name, cid in index.names if text in name and cid not in seen]
        if allowed is not None:
            ordered = [cid for cid in ordered if cid in allowed]
        ids = set(ordered[:limit])
        rank = {cid: i for i, cid in enumerate(ordered)}
        order = None
    rows = list(CommunePostalCode.objects.filter(commune_id__in=ids).select_related("commune"))
    if order is not None:
        rows = sorted(
            (r for r in rows if (r.postal_code, r.commune_id) in order),
            key=lambda r: order[(r.postal_code, r.commune_id)],
        )
    else:
        rows.sort(key=lambda r: (rank[r.commune_id], r.postal_code))
    rows = rows[:limit]
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


CHOICE_KEY_RE = re.compile(r"^(\d[0-9AB]\d{3})-(\d{5})$")


def commune_choice_from_key(key: str) -> CommuneMatch | None:
    """The pair behind a list choice `<insee>-<postal code>` (CommuneMatch.key), or None."""
    match = CHOICE_KEY_RE.match((key or "").strip())
    return commune_choice(match.group(1), match.group(2)) if match else None
