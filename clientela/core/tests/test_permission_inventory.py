"""Every URL and every API operation, for every role: records outside the user's scope never leak or change.

The inventories below name every route. A route that exists but is missing here fails
``test_every_route_is_in_the_inventory``, so a new endpoint cannot ship without being checked.
For each role, each route is called on records the role may not touch (a party of another team, a
party of a teammate the role may see but not change, their contact points and relationships); the
answer must be a refusal (403/404/405), the body must not contain the record's data, and nothing in
the database may change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from clientela.accounts.models import ApiToken
from clientela.accounts.services import api_token_create
from clientela.core.models import ObjectChange
from clientela.core.permissions import Action, can, user_scope
from clientela.interactions.models import Interaction
from clientela.interactions.services import interaction_log, may_log, source_get_or_create
from clientela.parties.models import ContactPoint, Party, Relationship
from clientela.parties.services import party_delete, relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

SECRET_NAME = "Zacarías"
SECRET_EMAIL = "zacarias.secreto@oculto.example"


@dataclass(frozen=True)
class Route:
    """What a route does to which record: the action checked and the kind of each path parameter."""

    action: str
    params: dict[str, str]
    methods: tuple[str, ...]


# Routes anyone may call (they hold no customer data) or that only serve the API root.
PUBLIC_ROUTES = {
    "accounts:login",
    "accounts:logout",
    "accounts:set_language",
    "set_language",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    "api_unknown",
    "web:home",
}

# Logging an interaction is decided by the role's "interaction/add" scope, not the party's grants.
LOG = "log"

# Web routes acting on one record: name -> Route. Parameter kinds: party, deleted_party, relationship.
WEB_ROUTES: dict[str, Route] = {
    "parties:detail": Route(Action.VIEW, {"pk": "party"}, ("GET",)),
    "parties:history": Route(Action.VIEW, {"pk": "party"}, ("GET",)),
    "imports:customer_sources": Route(Action.VIEW, {"pk": "party"}, ("GET",)),
    "parties:edit": Route(Action.CHANGE, {"pk": "party"}, ("GET", "POST")),
    "parties:validate_existing": Route(Action.CHANGE, {"pk": "party"}, ("POST",)),
    "parties:delete": Route(Action.DELETE, {"pk": "party"}, ("POST",)),
    "parties:restore": Route(Action.DELETE, {"pk": "deleted_party"}, ("POST",)),
    "parties:relationship_add": Route(Action.CHANGE, {"pk": "party"}, ("POST",)),
    "parties:relationship_remove": Route(Action.CHANGE, {"pk": "relationship"}, ("POST",)),
    "interactions:timeline": Route(Action.VIEW, {"pk": "party"}, ("GET",)),
    "interactions:quick_log": Route(LOG, {"pk": "party", "kind": "kind"}, ("GET", "POST")),
}
# Web routes listing or creating records (checked for leaks and for creations outside the scope).
LIST_ROUTES = {
    "parties:list",
    "parties:bin",
    "parties:organisation_options",
    "parties:create",
    "parties:validate",
    "identity:check",
    "web:search",
}

# API operations acting on one record: (METHOD, path template) -> Route.
API_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/parties/{party_id}"): Route(Action.VIEW, {"party_id": "party"}, ("GET",)),
    ("PATCH", "/api/v1/parties/{party_id}"): Route(Action.CHANGE, {"party_id": "party"}, ("PATCH",)),
    ("DELETE", "/api/v1/parties/{party_id}"): Route(Action.DELETE, {"party_id": "party"}, ("DELETE",)),
    ("POST", "/api/v1/parties/{party_id}/restore"): Route(
        Action.DELETE, {"party_id": "deleted_party"}, ("POST",)
    ),
    ("GET", "/api/v1/parties/{party_id}/history"): Route(Action.VIEW, {"party_id": "party"}, ("GET",)),
    ("GET", "/api/v1/parties/{party_id}/contact-points"): Route(Action.VIEW, {"party_id": "party"}, ("GET",)),
    ("POST", "/api/v1/parties/{party_id}/contact-points"): Route(
        Action.CHANGE, {"party_id": "party"}, ("POST",)
    ),
    ("GET", "/api/v1/contact-points/{contact_point_id}"): Route(
        Action.VIEW, {"contact_point_id": "contact_point"}, ("GET",)
    ),
    ("PATCH", "/api/v1/contact-points/{contact_point_id}"): Route(
        Action.CHANGE, {"contact_point_id": "contact_point"}, ("PATCH",)
    ),
    ("DELETE", "/api/v1/contact-points/{contact_point_id}"): Route(
        Action.CHANGE, {"contact_point_id": "contact_point"}, ("DELETE",)
    ),
    ("GET", "/api/v1/relationships/{relationship_id}"): Route(
        Action.VIEW, {"relationship_id": "relationship"}, ("GET",)
    ),
    ("PATCH", "/api/v1/relationships/{relationship_id}"): Route(
        Action.CHANGE, {"relationship_id": "relationship"}, ("PATCH",)
    ),
    ("DELETE", "/api/v1/relationships/{relationship_id}"): Route(
        Action.CHANGE, {"relationship_id": "relationship"}, ("DELETE",)
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Route(Action.CHANGE, {"token_id": "token"}, ("DELETE",)),
    ("GET", "/api/v1/interactions/{interaction_id}"): Route(
        Action.VIEW, {"interaction_id": "interaction"}, ("GET",)
    ),
}
# API operations listing, creating or about the caller only.
API_LIST_ROUTES = {
    ("GET", "/api/v1/parties"),
    ("POST", "/api/v1/parties"),
    ("POST", "/api/v1/parties/matches"),
    ("GET", "/api/v1/relationships"),
    ("POST", "/api/v1/relationships"),
    ("GET", "/api/v1/interactions"),
    ("POST", "/api/v1/interactions"),
    ("POST", "/api/v1/interactions/batch"),
    ("GET", "/api/v1/search"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
}


# Routes decided by the role as a whole, never by one record (clientela.imports.permissions): IMPORT routes
# only for roles whose party "add" and "change" scopes are both "all"; EXPORT routes for roles with any
# party "export" scope (the exported rows stay inside it: see the leak test); MERGE routes (the duplicates
# review) for roles with some party "change" and "delete" scope (each merge then checks both records).
# Parameter kind: job (an import), or a possible-duplicate pair (filled with an id that names none: the
# role check comes first, so a refused role gets 403 and an allowed one 404).
IMPORT, EXPORT, MERGE = "import", "export", "merge"
ROLE_ROUTES: dict[str, Route] = {
    "identity:queue": Route(MERGE, {}, ("GET",)),
    "identity:bulk_merge": Route(MERGE, {}, ("POST",)),
    "identity:pair": Route(MERGE, {"pk": "job"}, ("GET",)),
    "identity:merge": Route(MERGE, {"pk": "job"}, ("POST",)),
    "identity:distinct": Route(MERGE, {"pk": "job"}, ("POST",)),
    "identity:skip": Route(MERGE, {"pk": "job"}, ("POST",)),
    "identity:merge_undo": Route(MERGE, {"pk": "job"}, ("POST",)),
    "identity:run_start": Route(MERGE, {}, ("POST",)),
    "identity:run_status": Route(MERGE, {"pk": "job"}, ("GET",)),
    "imports:list": Route(IMPORT, {}, ("GET",)),
    "imports:new": Route(IMPORT, {}, ("GET", "POST")),
    "imports:detail": Route(IMPORT, {"pk": "job"}, ("GET",)),
    "imports:mapping": Route(IMPORT, {"pk": "job"}, ("GET", "POST")),
    "imports:progress": Route(IMPORT, {"pk": "job"}, ("GET",)),
    "imports:errors_csv": Route(IMPORT, {"pk": "job"}, ("GET",)),
    "imports:undo": Route(IMPORT, {"pk": "job"}, ("GET", "POST")),
    "imports:export_csv": Route(EXPORT, {}, ("GET",)),
    "imports:export_xlsx": Route(EXPORT, {}, ("GET",)),
}
API_ROLE_ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/v1/imports"): Route(IMPORT, {}, ("POST",)),
    ("GET", "/api/v1/imports"): Route(IMPORT, {}, ("GET",)),
    ("GET", "/api/v1/imports/{import_id}"): Route(IMPORT, {"import_id": "job"}, ("GET",)),
    ("GET", "/api/v1/imports/{import_id}/errors"): Route(IMPORT, {"import_id": "job"}, ("GET",)),
    ("POST", "/api/v1/imports/{import_id}/undo"): Route(IMPORT, {"import_id": "job"}, ("POST",)),
}


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            out.extend(_walk(p.url_patterns, ns, prefix + str(p.pattern)))
        elif isinstance(p, URLPattern):
            out.append((f"{namespace}{p.name}" if p.name else "", prefix + str(p.pattern)))
    return out


def web_routes() -> list[tuple[str, str]]:
    return [
        (name, pattern) for name, pattern in _walk(get_resolver().url_patterns) if not name.startswith("api:")
    ]


def api_operations() -> list[tuple[str, str, str]]:
    from clientela.api import api_operations as ops

    return list(ops())


def app_inventories() -> tuple[set[str], set[tuple[str, str]]]:
    """Routes whose permission checks live in their own app's ``tests/test_permissions.py``.

    Apps above parties (sales, quotes, tasks, integrations) check their routes against their own records
    there; that module lists them in ``WEB_ROUTE_NAMES`` and ``API_ROUTE_KEYS`` ((METHOD, path)) and must
    exercise each one for every role (each app's test asserts its list matches the routes it registers).
    """
    import importlib

    from django.apps import apps

    web: set[str] = set()
    api: set[tuple[str, str]] = set()
    for config in apps.get_app_configs():
        if not config.name.startswith("clientela."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.test_permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tests.test_permissions":
                raise
            continue
        web |= set(getattr(module, "WEB_ROUTE_NAMES", ()))
        api |= set(getattr(module, "API_ROUTE_KEYS", ()))
    return web, api


def test_every_route_is_in_the_inventory():
    app_web, app_api = app_inventories()
    missing = [
        f"{name or '<unnamed>'} ({pattern})"
        for name, pattern in web_routes()
        if name not in PUBLIC_ROUTES
        and name not in WEB_ROUTES
        and name not in LIST_ROUTES
        and name not in ROLE_ROUTES
        and name not in app_web
    ]
    assert not missing, f"routes missing from the permission inventory: {missing}"
    missing_api = [
        f"{method} {path}"
        for method, path, _op in api_operations()
        if (method, path) not in API_ROUTES
        and (method, path) not in API_LIST_ROUTES
        and (method, path) not in API_ROLE_ROUTES
        and (method, path) not in app_api
    ]
    assert not missing_api, f"API operations missing from the permission inventory: {missing_api}"
    stale = [name for name in [*WEB_ROUTES, *ROLE_ROUTES] if name not in {n for n, _ in web_routes()}]
    stale += [
        f"{m} {p}" for m, p in API_ROLE_ROUTES if (m, p) not in {(m2, p2) for m2, p2, _ in api_operations()}
    ]
    assert not stale, f"inventory names routes that no longer exist: {stale}"


# --- the records outside each role's scope ----------------------------------------------------------------


@dataclass
class Target:
    """A customer (with a contact point, a relationship, a ledger entry and a deleted twin) and the markers
    of its data."""

    party: Party
    contact_point: ContactPoint
    relationship: Relationship
    deleted_party: Party
    interaction: Interaction
    markers: tuple[str, ...]


def _target(owner, team, label: str) -> Target:
    name = f"{SECRET_NAME}{label}"
    email = f"{label.lower()}.{SECRET_EMAIL}"
    party = make_person(
        owner, given_names=name, team=team.pk, contact_points=[{"kind": "email", "value": email}]
    )
    org = make_organisation(owner, legal_name=f"Secretos {label} S.L.", team=team.pk)
    rel = relationship_add(actor=actor_for(owner), person=party, organisation=org, data={"role": "Gerente"})
    deleted = make_person(owner, given_names=f"Borrado{label}", team=team.pk)
    deleted = party_delete(actor=actor_for(owner), party=deleted)
    logged = interaction_log(
        actor=actor_for(owner),
        party=party,
        kind="note",
        occurred_at=timezone.now(),
        payload={"text": f"Nota de {name}"},
        source=source_get_or_create("erp"),
        external_id=f"N-{label}",
    )
    return Target(
        party,
        party.contact_points.get(),
        rel,
        deleted,
        logged.interaction,
        (name, email, f"Secretos {label}", f"Borrado{label}"),
    )


@pytest.fixture
def world(users, team_a, team_b):
    """foreign: another team's customer; teammate: a customer of the role's own team owned by someone else."""
    foreign = _target(users["sales_rep_b"], team_b, "Ajeno")
    teammate = _target(users["manager"], team_a, "Vecino")
    _token, _secret = api_token_create(user=users["sales_rep_b"], name="not yours")
    return {"foreign": foreign, "teammate": teammate, "token": _token}


def _snapshot() -> tuple:
    return (
        sorted(
            Party.all_objects.values_list("pk", "version", "deleted_at", "given_names", "owner_id", "team_id")
        ),
        sorted(ContactPoint.objects.values_list("pk", "version", "deleted_at", "value")),
        sorted(Relationship.objects.values_list("pk", "version", "role")),
        ObjectChange.objects.count(),
        sorted(ApiToken.objects.values_list("pk", "revoked_at")),
        Interaction.objects.count(),
    )


def _allowed(user, action: str, kind: str, target: Target, token: ApiToken) -> bool:
    if kind == "kind":
        return False  # a value, not a record: the other parameters decide
    if action == LOG:
        return may_log(user, target.party) if kind == "party" else False
    if kind == "token":
        return token.user_id == user.pk
    if kind == "deleted_party":
        return Party.all_objects.filter(pk=target.deleted_party.pk).restrict(user, action).exists()
    if kind == "interaction":
        return can(user, action, target.interaction)
    party = target.relationship.person if kind == "relationship" else target.party
    return can(user, action, party)


def _object(kind: str, target: Target, token: ApiToken) -> Any:
    return {
        "party": target.party,
        "deleted_party": target.deleted_party,
        "contact_point": target.contact_point,
        "relationship": target.relationship,
        "interaction": target.interaction,
        "token": token,
        "kind": _Value("note"),
    }[kind]


@dataclass(frozen=True)
class _Value:
    """A plain path value (such as an interaction kind) standing where a record's pk would."""

    pk: str


WEB_POST = {
    "kind": "person",
    "status": "customer",
    "given_names": "HACKED",
    "note-occurred_at": "2025-01-01T10:00",
    "note-text": "HACKED",
    "organisation": "",
    "role": "HACKED",
    "cp-TOTAL_FORMS": "0",
    "cp-INITIAL_FORMS": "0",
}
# Valid bodies, so a refusal can only come from the scope check and never from input validation.
API_BODIES = {
    "party": {"given_names": "HACKED"},
    "contact-points": {"kind": "email", "value": "hacked@x.es", "is_primary": True},
    "contact-point": {"value": "hacked@x.es"},
    "relationship": {"role": "HACKED"},
    "interaction": {
        "kind": "note",
        "occurred_at": "2025-01-01T10:00:00Z",
        "party": 1,
        "payload": {"text": "x"},
    },
}


def _api_body(path: str) -> dict:
    if path.startswith("/api/v1/interactions"):
        return API_BODIES["interaction"]
    if path.endswith("/contact-points"):
        return API_BODIES["contact-points"]
    if "/contact-points/" in path:
        return API_BODIES["contact-point"]
    if "/relationships/" in path:
        return API_BODIES["relationship"]
    return API_BODIES["party"]


def _call(client: Client, method: str, url: str, body: dict) -> Any:
    if method == "GET":
        return client.get(url)
    if method == "POST" and not url.startswith("/api/"):
        return client.post(url, body)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _fill(path: str, values: dict[str, int]) -> str:
    out = path
    for name, value in values.items():
        out = re.sub(rf"<(?:\w+:)?{name}>|\{{{name}\}}", str(value), out)
    assert "<" not in out and "{" not in out, f"unfilled parameter in {out}"
    resolve("/" + out.split("?")[0].lstrip("/"))  # a malformed URL would 404 and pass for a refusal
    return out


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_records_outside_the_scope_never_leak_or_change(role, users, world, client_for):
    user = users[role]
    client = client_for(user)
    patterns = dict(web_routes())
    checked = 0
    for target_name in ("foreign", "teammate"):
        target: Target = world[target_name]
        token: ApiToken = world["token"]
        cases = [(f"/{patterns[name]}", route, WEB_POST) for name, route in WEB_ROUTES.items()]
        cases += [(path, route, _api_body(path)) for (_m, path), route in API_ROUTES.items()]
        for path, route, body in cases:
            kinds = set(route.params.values()) - {"kind"}
            if any(_allowed(user, route.action, kind, target, token) for kind in kinds):
                continue  # inside this role's scope: not what this test is about
            url = _fill(path, {name: _object(kind, target, token).pk for name, kind in route.params.items()})
            visible = all(
                kind == "token" or _allowed(user, Action.VIEW, kind, target, token) for kind in kinds
            )
            for method in route.methods:
                before = _snapshot()
                response = _call(client, method, url, body)
                checked += 1
                assert response.status_code in (403, 404, 405), (
                    f"{role} {method} {url}: {response.status_code}"
                )
                assert _snapshot() == before, f"{role} {method} {url} changed data"
                if not visible:
                    text = response.content.decode(errors="replace")
                    leaked = [m for m in target.markers if m in text]
                    assert not leaked, f"{role} {method} {url} leaked {leaked}"
    # every role is outside the scope of at least the other user's token
    assert checked > 0


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_lists_search_and_creation_stay_inside_the_scope(role, users, world, client_for, team_b):
    user = users[role]
    client = client_for(user)
    for target in (world["foreign"], world["teammate"]):
        invisible = [
            m
            for m, obj in zip(
                target.markers,
                (target.party, target.party, target.relationship.organisation, target.deleted_party),
                strict=True,
            )
            if not (
                can(user, Action.VIEW, obj)
                if obj.deleted_at is None
                else Party.all_objects.filter(pk=obj.pk).restrict(user, Action.DELETE).exists()
            )
        ]
        pages = [
            "/customers/",
            f"/customers/?q={SECRET_NAME}",
            f"/search/?q={SECRET_NAME}",
            "/search/?q=secretos",
            "/customers/?q=secretos",
            "/customers/bin/",
            "/customers/organisations/?q=secretos",
            "/api/v1/parties?limit=200",
            f"/api/v1/parties?q={SECRET_NAME}",
            "/api/v1/relationships?limit=200",
            "/api/v1/interactions?limit=200",
            f"/api/v1/search?q={SECRET_NAME}",
            "/api/v1/search?q=secretos",
            f"/api/v1/search?q={target.contact_point.value}",
            "/imports/export/customers.csv",
        ]
        for url in pages:
            response = client.get(url)
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            text = raw.decode(errors="replace")
            leaked = [m for m in invisible if m in text]
            assert not leaked, f"{role} GET {url} leaked {leaked}"
    # creating a customer for another team's rep: only roles whose "add" scope is "all" may
    may_add_anywhere = user_scope(user, "party", Action.ADD) == "all"
    before = Party.all_objects.count()
    owner, team = users["sales_rep_b"].pk, team_b.pk
    client.post("/customers/new/", {**WEB_POST, "owner": owner, "team": team})
    client.generic(
        "POST",
        "/api/v1/parties",
        json.dumps({"kind": "person", "given_names": "HACKED", "owner": owner, "team": team}),
        content_type="application/json",
    )
    created = Party.all_objects.count() - before
    assert created == (2 if may_add_anywhere else 0), f"{role} created {created}"
    client.post("/customers/validate/", {**WEB_POST, "owner": owner, "team": team})
    assert Party.all_objects.count() - before == created  # validation never writes
    # logging on another scope's customer, alone or in a batch, or taking over its source record
    for target in (world["foreign"], world["teammate"]):
        entry = {**API_BODIES["interaction"], "party": target.party.pk}
        attempts = []
        if not may_log(user, target.party):
            attempts += [
                ("/api/v1/interactions", entry),
                ("/api/v1/interactions/batch", {"items": [entry], "partial": True}),
            ]
        own = Party.objects.restrict(user, Action.VIEW).exclude(pk=target.party.pk).first()
        if own is not None and not can(user, Action.VIEW, target.interaction):
            external = {"source": "erp", "external_id": target.interaction.external_id}
            attempts.append(("/api/v1/interactions", {**entry, **external, "party": own.pk}))
        for url, body in attempts:
            before_log = _snapshot()
            response = client.generic("POST", url, json.dumps(body), content_type="application/json")
            assert response.status_code in (207, 403, 404, 422), f"{role} POST {url}: {response.status_code}"
            assert _snapshot() == before_log, f"{role} POST {url} changed data"


def test_anonymous_gets_nothing(world):
    client = Client()
    target = world["foreign"]
    for name, route in WEB_ROUTES.items():
        url = "/" + _fill(
            dict(web_routes())[name],
            {k: _object(v, target, world["token"]).pk for k, v in route.params.items()},
        )
        for method in route.methods:
            response = _call(client, method, url, WEB_POST)
            assert response.status_code in (302, 403, 405), (
                f"anonymous {method} {url}: {response.status_code}"
            )
    for (method, path), route in API_ROUTES.items():
        url = _fill(path, {k: _object(v, target, world["token"]).pk for k, v in route.params.items()})
        response = _call(client, method, url, _api_body(path))
        assert response.status_code == 401, f"anonymous {method} {url}: {response.status_code}"
        assert not any(m in response.content.decode() for m in target.markers)
    for method, path in API_LIST_ROUTES:
        assert _call(client, method, path, _api_body(path)).status_code == 401


def _role_may(user, action: str) -> bool:
    """The rule, written out from the grants (not by calling the code under test)."""
    if action == IMPORT:
        return (
            user_scope(user, "party", Action.ADD) == "all"
            and user_scope(user, "party", Action.CHANGE) == "all"
        )
    if action == MERGE:
        return (
            user_scope(user, "party", Action.CHANGE) != "none"
            and user_scope(user, "party", Action.DELETE) != "none"
        )
    return user_scope(user, "party", Action.EXPORT) != "none"


def _import_snapshot() -> tuple:
    from clientela.imports.models import ImportJob

    return (*_snapshot(), sorted(ImportJob.objects.values_list("pk", "status", "mapping", "undone_at")))


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_import_and_export_routes_follow_the_role(role, users, world, client_for, settings, tmp_path):
    from clientela.imports.jobs import job_create, source_for
    from clientela.imports.models import Status

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    path = tmp_path / "clientes.csv"
    path.write_text("Nombre;Correo\nAna;ana@example.es\n")
    job = job_create(
        actor=actor_for(users["administrator"]), path=path, source=source_for("erp"), entity="parties"
    )
    job.status = Status.DONE
    job.save()
    user = users[role]
    client = client_for(user)
    patterns = dict(web_routes())
    cases = [("/" + _fill(patterns[name], dict.fromkeys(route.params, job.pk)), route, WEB_POST)
             for name, route in ROLE_ROUTES.items()]  # fmt: skip
    cases += [(_fill(path, dict.fromkeys(route.params, job.pk)), route, _api_body(path))
              for (_m, path), route in API_ROLE_ROUTES.items()]  # fmt: skip
    for url, route, body in cases:
        for method in route.methods:
            before = _import_snapshot()
            response = _call(client, method, url, body)
            if _role_may(user, route.action):
                assert response.status_code not in (401, 403) and response.status_code < 500, (
                    f"{role} {method} {url}: {response.status_code}"
                )
            else:
                assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"
                assert _import_snapshot() == before, f"{role} {method} {url} changed data"
                text = response.content.decode(errors="replace")
                assert "clientes.csv" not in text and SECRET_NAME not in text
    anonymous = Client()
    for url, route, body in cases:
        for method in route.methods:
            status = _call(anonymous, method, url, body).status_code
            assert status == (401 if url.startswith("/api/") else 302), f"anonymous {method} {url}: {status}"
