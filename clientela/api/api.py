"""The NinjaAPI object: ``/api/v1/...`` routers, ``/api/docs`` and ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from ninja import NinjaAPI

from clientela.api.auth import AUTH
from clientela.api.errors import PROBLEM_CONTENT_TYPE, register_exception_handlers
from clientela.api.routers import (
    accounts,
    activities,
    analytics,
    contact_points,
    forecast,
    imports,
    integrations,
    interactions,
    leads,
    orders,
    parties,
    products,
    relationships,
    sales,
    search,
    segments,
)

IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": 'The ETag you read (W/"12-3") or its version (3); a stale one is a 412.',
    "schema": {"type": "string"},
}


class ClientelaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document states what Ninja cannot infer: problem+json error bodies and the
    If-Match header of operations that answer 412."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for methods in schema["paths"].values():
            for operation in methods.values():
                responses = operation.get("responses", {})
                for status, response in responses.items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
                if "412" in {str(s) for s in responses}:
                    operation.setdefault("parameters", []).append(IF_MATCH_PARAMETER)
        return schema


api = ClientelaAPI(
    title="Clientela API",
    version="1",
    description=(
        "Customers (people and organisations), their contact points and relationships; the interaction "
        "ledger (calls, emails, meetings, purchases, invoices...: one entry or batches of up to 1000, "
        "idempotent by source record and by `Idempotency-Key`); and the global customer search. "
        "Authenticate with `Authorization: Bearer <token>` or the web session (send X-CSRFToken on "
        "changes). Errors are application/problem+json (RFC 9457). See docs/api.md."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=AUTH,
)
register_exception_handlers(api)

api.add_router("/v1/parties", parties.router)
api.add_router("/v1/parties", contact_points.party_contacts_router)
api.add_router("/v1/contact-points", contact_points.router)
api.add_router("/v1/relationships", relationships.router)
api.add_router("/v1/interactions", interactions.router)
api.add_router("/v1/search", search.router)
api.add_router("/v1/me", accounts.me_router)
api.add_router("/v1/tokens", accounts.tokens_router)
api.add_router("/v1/imports", imports.router)
# each of these routers names its own resources (/v1/leads, /v1/opportunities, /v1/quotes, /v1/erp/...)
api.add_router("/v1", sales.router)
api.add_router("/v1", leads.router)
api.add_router("/v1", forecast.router)
api.add_router("/v1", products.router)
api.add_router("/v1", orders.router)
api.add_router("/v1", activities.router)
api.add_router("/v1", integrations.router)
api.add_router("/v1", analytics.router)
api.add_router("/v1", segments.router)


def api_operations() -> list[tuple[str, str, str]]:
    """Every operation as (METHOD, path template, operation_id), e.g.
    ("GET", "/api/v1/parties/{party_id}", "parties_get"): the path as the OpenAPI document writes it."""
    root = reverse("api:api-root").rstrip("/")
    out: list[tuple[str, str, str]] = []
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            full = "/".join(p.strip("/") for p in (root, bound.prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                op_id = operation.operation_id or api.get_openapi_operation_id(operation)
                for method in operation.methods:
                    out.append((method.upper(), "/" + full, op_id))
    return out
