"""Authentication: tokens (revocable, expiring), the web session with CSRF, /v1/me and token management."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from clientela.accounts.models import ApiToken
from clientela.accounts.services import api_token_create, api_token_revoke
from clientela.api.tests.conftest import ApiClient, field_errors
from clientela.parties.models import Party
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db

PARTIES = "/api/v1/parties"


def _assert_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"]


def test_no_credentials_is_401_problem(admin_user):
    party = make_person(admin_user)
    anonymous = ApiClient()
    _assert_401(anonymous.get(PARTIES))
    _assert_401(anonymous.get(f"{PARTIES}/{party.pk}"))
    _assert_401(anonymous.post(PARTIES, {"kind": "person", "given_names": "Eva"}))
    _assert_401(anonymous.get("/api/v1/me"))
    _assert_401(ApiClient("clt_not-a-real-token").get(PARTIES))
    _assert_401(ApiClient().get(PARTIES, headers={"Authorization": "Basic YWRtaW46cHc="}))
    assert Party.objects.count() == 1


def test_revoked_and_expired_tokens_are_rejected(admin_user):
    token, secret = api_token_create(user=admin_user, name="ERP")
    assert ApiClient(secret).get(PARTIES).status_code == 200
    api_token_revoke(token=token)
    _assert_401(ApiClient(secret).get(PARTIES))
    _expired, old_secret = api_token_create(
        user=admin_user, name="old", expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    _assert_401(ApiClient(old_secret).get(PARTIES))
    admin_user.is_active = False
    admin_user.save(update_fields=["is_active"])
    _live, live_secret = api_token_create(user=admin_user, name="live")
    _assert_401(ApiClient(live_secret).get(PARTIES))


def test_session_auth_reads_and_needs_csrf_for_changes(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    session = ApiClient(client=client)
    assert session.get(PARTIES).status_code == 200
    refused = session.post(PARTIES, {"kind": "person", "given_names": "Eva"})
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "CSRF" in refused.json()["detail"]
    assert Party.objects.count() == 0
    # With the CSRF cookie and the same value in X-CSRFToken, as the web UI's htmx/fetch calls send them.
    csrf = "Cl13nt3la" * 3 + "Csrf0"  # 32 alphanumerics: a valid unmasked CSRF secret
    client.cookies["csrftoken"] = csrf
    wrong = session.post(PARTIES, {"kind": "person", "given_names": "Eva"}, headers={"X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403
    accepted = session.post(PARTIES, {"kind": "person", "given_names": "Eva"}, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201, accepted.content
    assert Party.objects.get().created_by == admin_user


def test_anonymous_unsafe_request_is_401_not_a_csrf_error():
    client = Client(enforce_csrf_checks=True)
    _assert_401(ApiClient(client=client).post(PARTIES, {"kind": "person", "given_names": "Eva"}))


def test_me_describes_the_user_and_the_token(api_for, users, team_a):
    user = users["sales_rep"]
    response = api_for(user).get("/api/v1/me")
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "sales_rep"
    assert me["role"]["slug"] == "sales_rep"
    assert me["role"]["grants"]["party"]["change"] == "own"
    assert me["teams"] == [{"id": team_a.pk, "name": team_a.name}]
    assert me["token_id"] == ApiToken.objects.get(user=user).pk


def test_token_management_for_the_current_user(api_for, users):
    rep = users["sales_rep"]
    api = api_for(rep)
    created = api.post("/api/v1/tokens", {"name": "Sincronización ERP"})
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("clt_") and body["prefix"] == secret[:12]
    # The new token works, and the secret is never shown again.
    assert ApiClient(secret).get("/api/v1/me").json()["token_id"] == body["id"]
    listed = api.get("/api/v1/tokens").json()
    assert {t["name"] for t in listed} == {"tests", "Sincronización ERP"}
    assert secret not in api.get("/api/v1/tokens").content.decode()
    assert all("secret" not in t for t in listed)

    other = api_for(users["sales_rep_b"])
    assert other.delete(f"/api/v1/tokens/{body['id']}").status_code == 404
    assert ApiToken.objects.get(pk=body["id"]).revoked_at is None
    assert {t["name"] for t in other.get("/api/v1/tokens").json()} == {"tests"}

    assert api.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    _assert_401(ApiClient(secret).get("/api/v1/me"))
    assert api.get("/api/v1/tokens").status_code == 200  # the request's own token still works


def test_token_input_is_validated(admin_api):
    assert "name" in field_errors(admin_api.post("/api/v1/tokens", {"name": ""}))
    assert "name" in field_errors(admin_api.post("/api/v1/tokens", {"name": "x" * 101}))
    assert "expires_at" in field_errors(
        admin_api.post("/api/v1/tokens", {"name": "t", "expires_at": "2001-01-01T00:00:00Z"})
    )
    assert "expires_at" in field_errors(
        admin_api.post("/api/v1/tokens", {"name": "t", "expires_at": "2999-01-01T00:00:00"})
    )
    ok = admin_api.post("/api/v1/tokens", {"name": "t", "expires_at": "2999-01-01T00:00:00+01:00"})
    assert ok.status_code == 201
    assert ApiToken.objects.get(pk=ok.json()["id"]).expires_at == dt.datetime(2998, 12, 31, 23, tzinfo=dt.UTC)
