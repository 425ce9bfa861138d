import re
from bisect import bisect_left
from dataclasses import dataclass

from django.db.models import Count, Max
from django.http import Http404

from levee.lib.text import fold

from .models import Authority, AuthorityCommune, Commune, CommunePostalCode

MAX_QUERY = 80


def authority_active_by_slug(slug: str) -> Authority | None:
    """The active authority at /<slug>/, or None."""
    return Authority.objects.filter(slug=slug, is_active=True).first() if slug else None


def authority_get_by_slug(slug: str) -> Authority:
    """The active authority at /<slug>/, or 404."""
    authority = authority_active_by_slug(slug)
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
    exact: bool = False

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
        self.compact: list[tuple[str, int]] = []
        self.folded: dict[int, str] = {}
        self.postal: list[tuple[str, int]] = []
        self.codes_of: dict[int, list[str]] = {}
        self.scan: list[tuple[str, str, int]] = []

    def current(self):
        version = tuple(Commune.objects.aggregate(n=Count("id"), m=Max("id")).values())
        if version != self.version:
            self.names = sorted(Commune.objects.values_list("search_name", "id"))
            self.compact = sorted((name.replace(" ", ""), cid) for name, cid in self.names)
            self.folded = {cid: name for name, cid in self.names}
            self.scan = [(f" {name}", name.replace(" ", ""), cid) for name, cid in self.names]
            self.postal = sorted(CommunePostalCode.objects.values_list("postal_code", "commune_id"))
            self.codes_of = {}
            for code, cid in self.postal:
                self.codes_of.setdefault(cid, []).append(code)
            self.version = version
        return self

    @staticmethod
    def _prefixed(rows, text):
        i = bisect_left(rows, (text,))
        while i < len(rows) and rows[i][0].startswith(text):
            yield rows[i]
            i += 1


_index = _CommuneIndex()

# Abbreviations people type for the words commune names spell out.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

# How well a commune's name answers the typed name (lower is better).
_EXACT, _PREFIX, _WORD, _INSIDE = range(4)


def _typed_parts(text: str) -> tuple[str, str]:
    """(postal code or its beginning, folded name) of what a person types: « 42410 Pélussin »,
    « Pélussin 42410 », « Pélussin (42) », « 42 410 », « St-Étienne »… The digits make the
    code when there are 2 to 5 of them; the other words, abbreviations spelt out, the name."""
    words = fold(text[:MAX_QUERY]).split()
    digits = "".join(w for w in words if w.isdigit())
    if 2 <= len(digits) <= 5:
        words = [w for w in words if not w.isdigit()]
    else:
        digits = ""
    return digits, " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def _name_ranks(index: _CommuneIndex, name: str) -> dict[int, int]:
    """The communes whose folded name answers `name`, with how well: the same name (spaces,
    hyphens and apostrophes aside), a name starting with it, a word of the name starting
    with it (« etienne » finds Saint-Étienne), or the text anywhere in the name."""
    compact = name.replace(" ", "")
    ranks: dict[int, int] = {}
    for key, cid in index._prefixed(index.compact, compact):
        ranks[cid] = _EXACT if key == compact else _PREFIX
    if len(compact) >= 3:
        spaced = f" {name}"
        for words, joined, cid in index.scan:
            if compact not in joined or cid in ranks:
                continue
            ranks[cid] = _WORD if spaced in words else _INSIDE
    return ranks


def communes_matching(
    text: str, *, authority: Authority | None = None, limit: int = 20
) -> list[CommuneMatch]:
    """The (postal code, commune) pairs that answer what a person types in a commune field:
    a postal code or its beginning (« 42410 », « 424 »), a name (« pelussin », « st etienne »,
    « saint-étienne »), or both in any order (« 42410 Pélussin », the list's own labels, or
    « Pélussin (42) »); accents, case, hyphens, apostrophes and « st »/« ste » ignored. With
    `authority`, only the communes it serves. Best first: the same name before names starting
    with it, then words of a name, then the text inside a name; then by name and postal code
    (a code alone: by postal code, then name).
    `CommuneMatch.exact` says the pair is what was typed (the whole name, and the whole code
    if one was typed; or a whole postal code alone). Four queries whatever the result."""
    code, name = _typed_parts(text or "")
    if not code and not name:
        return []
    index = _index.current()
    if name:
        ranks = _name_ranks(index, name)
        pairs = [
            (ranks[cid], pc, cid)
            for cid in ranks
            for pc in index.codes_of.get(cid, ())
            if pc.startswith(code)
        ]
    else:
        pairs = [(_EXACT, pc, cid) for pc, cid in index._prefixed(index.postal, code)]
    if authority is not None:
        allowed = set(
            AuthorityCommune.objects.filter(authority=authority).values_list(
                "commune_id", flat=True
            )
        )
        pairs = [p for p in pairs if p[2] in allowed]
    # A code alone lists by code then name; a name, by how well it answers, then name, code.
    pairs.sort(key=lambda p: (p[0], "" if name else p[1], index.folded.get(p[2], ""), p[1], p[2]))
    exact = {(pc, cid) for rank, pc, cid in pairs if rank == _EXACT and (pc == code or not code)}
    if not name:
        exact = {(pc, cid) for _, pc, cid in pairs if pc == code}
    pairs = pairs[:limit]
    communes = Commune.objects.in_bulk({cid for _, _, cid in pairs})
    served = {
        ac.commune_id: ac.authority
        for ac in AuthorityCommune.objects.filter(
            commune_id__in=communes, authority__is_active=True
        ).select_related("authority")
    }
    return [
        CommuneMatch(
            insee=communes[cid].insee,
            name=communes[cid].name,
            postal_code=pc,
            department=communes[cid].department,
            authority_slug=served[cid].slug if cid in served else None,
            authority_name=served[cid].name if cid in served else None,
            exact=(pc, cid) in exact,
        )
        for _, pc, cid in pairs
    ]


def commune_search(
    query: str, *, limit: int = 10, authority: Authority | None = None
) -> list[CommuneMatch]:
    """The list the commune field proposes while a person types (`communes_matching`)."""
    return communes_matching(query, authority=authority, limit=limit)


def commune_pick(
    text: str, *, authority: Authority | None = None, limit: int = 20
) -> tuple[CommuneMatch | None, list[CommuneMatch]]:
    """(the commune a person meant, the matches to choose from): the one match, or the one
    exact match among several (« Pélussin » beside « Pélussinette »); (None, matches) when
    the person must choose, as with a postal code several communes share."""
    matches = communes_matching(text, authority=authority, limit=limit)
    if len(matches) == 1:
        return matches[0], matches
    exact = [m for m in matches if m.exact]
    if len(exact) == 1:
        return exact[0], matches
    return None, matches


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
