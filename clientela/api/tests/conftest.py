"""Helpers for API tests: clients authenticated with a real API token, JSON requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientela.accounts.services import api_token_create


class ApiClient:
    """A Django test client sending JSON with an ``Authorization: Bearer`` token (or none)."""

    def __init__(self, secret: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers: dict[str, str] = {"Authorization": f"Bearer {secret}"} if secret else {}

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **kw: Any
    ):
        all_headers = {**self.headers, **(headers or {})}
        call = getattr(self.client, method.lower())
        if body is None:
            return call(path, headers=all_headers, **kw)
        return call(path, data=json.dumps(body), content_type="application/json", headers=all_headers, **kw)

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def patch(self, path: str, body: Any, **kw: Any):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api_for(db):
    """``api_for(user)``: an ApiClient authenticated with a fresh token of ``user``."""

    def make(user) -> ApiClient:
        _token, secret = api_token_create(user=user, name="tests")
        return ApiClient(secret)

    return make


@pytest.fixture
def admin_api(api_for, admin_user) -> ApiClient:
    return api_for(admin_user)


def field_errors(response) -> dict[str | None, list[str]]:
    """{field path: [messages]} from a 422 problem."""
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    out: dict[str | None, list[str]] = {}
    for item in response.json()["errors"]:
        out.setdefault(item["field"], []).append(item["message"])
    return out
