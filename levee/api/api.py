"""The one NinjaAPI of Levée, mounted at /api/v1/ (levee/api/urls.py), and its routers.

A new part of the API is a Router in its own module of levee/api/, added below with one
line, e.g. the authorities' part:

    api.add_router("/authority/", authority_router)

Its endpoints then share what this module sets: errors as JSON `{"code", "message"}` in
French (401, 403, 404, 405, 422 with the field, 429 with Retry-After), the OpenAPI document
at /api/v1/openapi.json and the documentation page at /api/v1/docs (levee/api/views.py,
read from that document). A router takes its own `auth=` (residents: `TokenAuth`).
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from .authority import router as authority_router
from .errors import ApiError, error_response, validation_response
from .residents import router as residents_router

DESCRIPTION = """\
**FR** — L'API de Levée : un usager lit ses propres données (comptes, bacs, levées, \
apports, statistiques, factures, demandes, prochaines collectes) avec un jeton d'accès \
personnel créé dans « Mon profil » (`Authorization: Bearer <jeton>`). Les erreurs sont \
en JSON : `{"code": "…", "message": "…"}`, `code` stable, `message` en français. \
Les listes sont paginées par curseur (`curseur`, `limite`) ; les dates se filtrent par \
`depuis` et `jusqu_au` (AAAA-MM-JJ, inclus, heure de Paris) ; les flux ont des codes \
stables, les mêmes dans chaque collectivité.

Une **collectivité** envoie et lit ses données sous `/api/v1/authority/` avec une clé d'API \
créée par un « Administrateur » dans le back office (« Intégrations », « Clés d'API »), chacune avec ses \
droits : envoyer des levées, des apports, des abonnés et leurs bacs par lots de 10 000 au \
plus (un résultat par élément, avec les motifs de l'import CSV), exporter les factures et \
les règlements depuis un jour, lister les demandes des usagers.

**EN** — Levée's API: a resident reads his own data (accounts, bins, lifts, drop-offs, \
statistics, invoices, requests, next collections) with a personal access token created in \
« Mon profil » (`Authorization: Bearer <token>`). Errors are JSON: `{"code": "…", \
"message": "…"}`, `code` stable, `message` in French. Lists are cursor-paginated \
(`curseur`, `limite`); dates are filtered by `depuis` and `jusqu_au` (YYYY-MM-DD, \
inclusive, Paris time); flux have stable codes, the same in every authority.

An **authority** pushes and reads its data under `/api/v1/authority/` with an API key \
created by an « Administrateur » in the back office (« Intégrations », « Clés d'API »), each with its \
scopes: push lifts, drop-offs, subscribers and their bins in batches of up to 10,000 (a \
result per item, with the CSV import's reasons), export invoices and payments since a day, \
list the residents' requests.
"""

api = NinjaAPI(
    title="API Levée",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    # The documentation page is ours (levee/api/views.py): ninja's loads Swagger UI from
    # a CDN, which the content security policy forbids.
    docs_url=None,
)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return validation_response(exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(
        401,
        "unauthorized",
        "Jeton d'accès absent, inconnu, expiré ou révoqué : envoyez l'en-tête "
        "« Authorization: Bearer <jeton> » avec un jeton créé dans « Mon profil ».",
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(AuthorizationError)
def _forbidden(request, exc):
    return error_response(403, "forbidden", "Ce jeton ne permet pas cette opération.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(404, "not_found", "Ressource introuvable.")


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers, **exc.extra)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    # ninja's only HttpError a client causes: a body its JSON parser cannot read (bad
    # syntax, bytes that are not UTF-8, a form sent instead of JSON).
    if str(exc).startswith("Cannot parse request body"):
        return error_response(
            400,
            "invalid_json",
            "Le corps de la requête n'est pas du JSON valide : envoyez un objet JSON encodé "
            "en UTF-8, avec l'en-tête « Content-Type: application/json ».",
        )
    return error_response(exc.status_code, "error", "La requête n'a pas pu aboutir.")


api.add_router("/", residents_router)
api.add_router("/", authority_router)
