"""The API's documentation page (/api/v1/docs), rendered on the server from the OpenAPI
document itself, in French and English: nothing loaded from elsewhere (ninja's own page
loads Swagger UI from a CDN, which the content security policy and the rule « nothing
from the internet » forbid), readable without JavaScript, and accessible."""

import re

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .api import api

METHODS = ("get", "post", "put", "patch", "delete")


def _inline(text: str):
    """The little Markdown the descriptions use (**bold**, `code`) made HTML; everything
    else escaped."""
    html = escape(text.strip())
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
    return mark_safe(html)  # noqa: S308 (escaped above)


def _paragraphs(text: str) -> list:
    return [_inline(paragraph) for paragraph in text.split("\n\n") if paragraph.strip()]


def _schema_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"liste de {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " ou ".join(_schema_name(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return schema.get("format") or schema.get("type") or "objet"


def _operations(document: dict) -> list[dict]:
    operations = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [
                {
                    "name": p["name"],
                    "where": {"path": "chemin / path", "query": "requête / query"}.get(
                        p["in"], p["in"]
                    ),
                    "required": p.get("required", False),
                    "type": _schema_name(p.get("schema", {})),
                    "description": _inline(
                        p.get("description", "") or p.get("schema", {}).get("description", "")
                    ),
                }
                for p in operation.get("parameters", [])
            ]
            responses = [
                {"status": status, "description": response.get("description", "")}
                for status, response in operation.get("responses", {}).items()
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": "/api/v1" + path if not path.startswith("/api/") else path,
                    "anchor": operation.get("operationId", ""),
                    "summary": operation.get("summary", ""),
                    "description": _paragraphs(operation.get("description", "")),
                    "tags": operation.get("tags", []),
                    "parameters": parameters,
                    "responses": responses,
                }
            )
    return operations


def docs(request):
    """« Documentation de l'API »."""
    document = api.get_openapi_schema()
    operations = _operations(document)
    groups: dict[str, list] = {}
    for operation in operations:
        groups.setdefault((operation["tags"] or ["API"])[0], []).append(operation)
    return render(
        request,
        "api/docs.html",
        {
            "title": document["info"]["title"],
            "introduction": _paragraphs(document["info"].get("description", "")),
            "groups": list(groups.items()),
        },
    )


def not_found(request, rest=""):
    """Any other path under /api/v1/: the API's 404, in JSON."""
    return JsonResponse(
        {"code": "not_found", "message": "Adresse inconnue de l'API."},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
