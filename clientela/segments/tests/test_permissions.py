"""Every segment route, for every role: a segment outside the role's "segment" scope is refused without
changing anything, and members, history, previews and exports never show a customer the role may not see.
The route lists are collected by the project-wide inventory (clientela/core/tests/test_permission_inventory.py).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from clientela.core.models import ObjectChange
from clientela.core.permissions import Action, Scope, can, user_scope
from clientela.core.tests.test_permission_inventory import api_operations, web_routes
from clientela.parties.models import Party
from clientela.segments import services
from clientela.segments.models import Segment, SegmentMembership, SegmentVersion
from clientela.segments.tests.helpers import person
from clientela.testing.factories import actor_for
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

# web routes acting on one segment (pk): the segment action the role needs (in the order they are called)
SEGMENT_WEB = {
    "segments:detail": (Action.VIEW, ("GET",)),
    "segments:members": (Action.VIEW, ("GET",)),
    "segments:history": (Action.VIEW, ("GET",)),
    "segments:export": (Action.EXPORT, ("GET",)),
    "segments:edit": (Action.CHANGE, ("GET", "POST")),
    "segments:evaluate": (Action.CHANGE, ("POST",)),
    "segments:delete": (Action.DELETE, ("POST",)),
}
# web routes that list, create or preview (checked for leaks and creations outside the scope)
LIST_WEB = {"segments:list", "segments:create", "segments:builder_row", "segments:builder_preview"}
# the customer page's panel: decided by the customer's visibility
PARTY_WEB = {"segments:party_segments"}

SEGMENT_API = {
    ("GET", "/api/v1/segments/{segment_id}"): Action.VIEW,
    ("GET", "/api/v1/segments/{segment_id}/members"): Action.VIEW,
    ("GET", "/api/v1/segments/{segment_id}/history"): Action.VIEW,
    ("GET", "/api/v1/segments/{segment_id}/versions"): Action.VIEW,
    ("PATCH", "/api/v1/segments/{segment_id}"): Action.CHANGE,
    ("DELETE", "/api/v1/segments/{segment_id}"): Action.DELETE,
}
LIST_API = {
    ("GET", "/api/v1/segments"),
    ("POST", "/api/v1/segments"),
    ("POST", "/api/v1/segments/preview"),
    ("GET", "/api/v1/segment-fields"),
}

WEB_ROUTE_NAMES: set[str] = set(SEGMENT_WEB) | LIST_WEB | PARTY_WEB
API_ROUTE_KEYS: set[tuple[str, str]] = set(SEGMENT_API) | LIST_API

SECRET = "Zacarías"
RULES = {"all": [{"field": "city", "op": "eq", "value": "Villasecreta"}]}
WEB_BODY = {
    "name": "HACKED",
    "match": "all",
    "cab-field": "city",
    "cab-op": "eq",
    "cab-value": "Villasecreta",
}


def test_inventory_matches_the_routes():
    names = {n for n, _p in web_routes() if n.startswith("segments:")}
    assert names == WEB_ROUTE_NAMES
    api = {(m, p) for m, p, _op in api_operations() if "segment" in p}
    assert api == API_ROUTE_KEYS


@pytest.fixture
def world(users, team_b):
    """A segment of another team's rep whose only member is a customer of that team."""
    rep_b = users["sales_rep_b"]
    secret = person(rep_b, name=SECRET, city="Villasecreta", team=team_b.pk)
    segment = services.segment_create(
        actor=actor_for(rep_b), data={"name": "Segmento B", "definition": RULES}
    )
    services.segment_evaluate(segment=segment)
    assert SegmentMembership.objects.filter(segment=segment, party=secret).exists()
    return {"segment": segment, "secret": secret}


def _snapshot():
    return (
        sorted(Segment.objects.values_list("pk", "name", "is_active", "current_version_id", "member_count")),
        SegmentVersion.objects.count(),
        ObjectChange.objects.count(),
    )


def _text(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def _call(client: Client, method: str, url: str, body: dict):
    if method == "GET":
        return client.get(url)
    if not url.startswith("/api/"):
        return client.post(url, body)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_segment_routes_follow_the_scope_and_never_leak(role, users, world, client_for):
    user = users[role]
    client = client_for(user)
    segment, secret = world["segment"], world["secret"]
    sees_secret = can(user, Action.VIEW, secret)
    patterns = dict(web_routes())
    cases = [
        ("/" + patterns[n].replace("<int:pk>", str(segment.pk)), a, ms, WEB_BODY)
        for n, (a, ms) in SEGMENT_WEB.items()
    ]
    cases[-1:-1] = [
        (p.replace("{segment_id}", str(segment.pk)), a, (m,), {"name": "HACKED"})
        for (m, p), a in SEGMENT_API.items()
    ]
    cases.sort(key=lambda case: case[1] == Action.DELETE)  # deleting goes last
    for url, action, methods, body in cases:
        allowed = Segment.objects.filter(pk=segment.pk, is_active=True).restrict(user, action).exists()
        if action == Action.EXPORT:
            allowed = allowed and user_scope(user, "party", Action.EXPORT) != Scope.NONE
        for method in methods:
            before = _snapshot()
            response = _call(client, method, url, body)
            if allowed:
                assert response.status_code < 400 or response.status_code == 422, (
                    role,
                    method,
                    url,
                    response.status_code,
                )
            else:
                assert response.status_code in (403, 404), (role, method, url, response.status_code)
                assert _snapshot() == before, f"{role} {method} {url} changed data"
            if not sees_secret:
                assert SECRET not in _text(response), f"{role} {method} {url} leaked the member"


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_lists_previews_and_creation_stay_inside_the_scope(role, users, world, client_for):
    user = users[role]
    client = client_for(user)
    secret = world["secret"]
    sees_secret = can(user, Action.VIEW, secret)
    pages = [
        ("GET", "/segments/", {}),
        ("GET", f"/segments/customer/{secret.pk}/", {}),
        ("POST", "/segments/builder/preview/", WEB_BODY),
        ("POST", "/api/v1/segments/preview", {"definition": RULES}),
        ("GET", "/api/v1/segments", {}),
        ("GET", f"/customers/?segment={world['segment'].pk}", {}),
        ("GET", f"/api/v1/parties?segment={world['segment'].pk}", {}),
    ]
    for method, url, body in pages:
        response = _call(client, method, url, body)
        assert response.status_code < 500
        if not sees_secret:
            assert SECRET not in _text(response), f"{role} {method} {url} leaked the member"
    may_add = user_scope(user, "segment", Action.ADD) != Scope.NONE
    before = Segment.objects.count()
    client.post("/segments/new/", {**WEB_BODY, "name": "Nuevo"})
    client.generic(
        "POST",
        "/api/v1/segments",
        json.dumps({"name": "Nuevo", "definition": RULES}),
        content_type="application/json",
    )
    assert Segment.objects.count() - before == (2 if may_add else 0), role
    # nobody may file a new segment under another team's rep unless their add scope is "all"
    before = Segment.objects.count()
    response = client.generic(
        "POST",
        "/api/v1/segments",
        json.dumps({"name": "Ajeno", "definition": RULES, "owner": users["sales_rep_b"].pk}),
        content_type="application/json",
    )
    expected = 1 if user_scope(user, "segment", Action.ADD) == Scope.ALL else 0
    assert Segment.objects.count() - before == expected, (role, response.status_code)


def test_anonymous_gets_nothing(world):
    client = Client()
    segment = world["segment"]
    patterns = dict(web_routes())
    for name in WEB_ROUTE_NAMES:
        url = "/" + patterns[name].replace("<int:pk>", str(segment.pk))
        response = (
            client.get(url)
            if name not in ("segments:delete", "segments:evaluate", "segments:builder_preview")
            else client.post(url)
        )
        assert response.status_code == 302, (name, response.status_code)
    for method, path in API_ROUTE_KEYS:
        response = _call(client, method, path.replace("{segment_id}", str(segment.pk)), {})
        assert response.status_code == 401, (method, path)
    assert Party.objects.filter(pk=world["secret"].pk).exists()
