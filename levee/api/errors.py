"""Every error of the API is JSON `{"code": "<stable code>", "message": "<en français>"}`:
a client tests `code`, which never changes, and may show `message` to a person. A
validation error (422) also names the parameter (`field`) and lists each one (`errors`)."""

from django.http import JsonResponse
from ninja import Schema


class Error(Schema):
    code: str
    message: str


class FieldError(Schema):
    field: str
    message: str


class ValidationErrorOut(Error):
    field: str
    errors: list[FieldError]


class ApiError(Exception):
    """Raised by an endpoint to answer an error of its own."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.extra = extra or {}


def invalid_parameter(field: str, message: str) -> ApiError:
    """A 422 of an endpoint's own check, shaped as the validation errors are."""
    return ApiError(
        422,
        "invalid_parameter",
        f"Paramètre « {field} » invalide : {message}",
        extra={"field": field, "errors": [{"field": field, "message": message}]},
    )


class Throttled(ApiError):
    def __init__(self, retry_after: int):
        super().__init__(
            429,
            "too_many_requests",
            f"Trop de requêtes : réessayez dans {retry_after} seconde"
            + ("s." if retry_after > 1 else "."),
            headers={"Retry-After": str(retry_after)},
        )


def error_response(status: int, code: str, message: str, *, headers=None, **extra) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "message": message, **extra},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# The pydantic error types a client can cause, in French. Anything else says « invalide ».
_MESSAGES = {
    "missing": "Ce paramètre est obligatoire.",
    "int_parsing": "Indiquez un nombre entier.",
    "int_type": "Indiquez un nombre entier.",
    "int_from_float": "Indiquez un nombre entier.",
    "date_parsing": "Indiquez une date au format AAAA-MM-JJ (par exemple 2026-01-31).",
    "date_from_datetime_parsing": (
        "Indiquez une date au format AAAA-MM-JJ (par exemple 2026-01-31)."
    ),
    "date_from_datetime_inexact": "Indiquez une date sans heure, au format AAAA-MM-JJ.",
    "date_type": "Indiquez une date au format AAAA-MM-JJ (par exemple 2026-01-31).",
    "string_too_long": "Cette valeur est trop longue.",
}


def field_message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "enum" or kind == "literal_error":
        # pydantic lists them in English: « 'a', 'b' or 'c' ».
        expected = str(ctx.get("expected", "")).replace("' or '", "' ou '")
        return f"Valeur inconnue. Valeurs possibles : {expected}."
    if kind == "extra_forbidden":
        return "Champ inconnu."
    if kind in ("greater_than_equal", "greater_than"):
        return f"La valeur doit être au moins {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"La valeur doit être au plus {ctx.get('le', ctx.get('lt'))}."
    if kind == "value_error":
        # Our own validators raise ValueError with their sentence in French.
        return str(ctx.get("error", "")).strip() or "Valeur invalide."
    return "Valeur invalide."


# The names pydantic gives the members of a union (a cell is `str | int | float`): the last
# part of an error's loc, not a field of ours.
_UNION_MEMBERS = {"str": "un texte", "int": "un nombre", "float": "un nombre"}


def _location(error: dict) -> tuple[list[str], str | None]:
    """The error's field path, and the union member it names, if any."""
    # loc is ("query", "flux"), ("path", "account_id"), ("body", "payload", "name")…
    location = [str(part) for part in error.get("loc", ())[1:] if part != "payload"]
    if len(location) > 1 and location[-1] in _UNION_MEMBERS:
        return location[:-1], location[-1]
    return location, None


def field_name(error: dict) -> str:
    return ".".join(_location(error)[0]) or "requête"


def _fields(errors: list[dict]) -> list[dict]:
    """One entry per field: a value refused by every member of a union is one error saying
    what it may be (« un texte ou un nombre »), not one per member."""
    fields, members = {}, {}
    for error in errors:
        name, member = field_name(error), _location(error)[1]
        if member is not None:
            kinds = members.setdefault(name, [])
            if _UNION_MEMBERS[member] not in kinds:
                kinds.append(_UNION_MEMBERS[member])
        fields.setdefault(name, field_message(error))
    for name, kinds in members.items():
        if len(kinds) > 1:
            fields[name] = f"Indiquez {' ou '.join(kinds)}."
    return [{"field": name, "message": message} for name, message in fields.items()]


def validation_response(errors: list[dict]) -> JsonResponse:
    fields = _fields(errors)
    first = fields[0] if fields else {"field": "requête", "message": "Requête invalide."}
    return error_response(
        422,
        "invalid_parameter",
        f"Paramètre « {first['field']} » invalide : {first['message']}",
        field=first["field"],
        errors=fields,
    )
