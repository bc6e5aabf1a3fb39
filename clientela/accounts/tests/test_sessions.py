"""Sessions and the signed-in user are read with compiled-once queries: expiry, sign-out and
deactivation must still take effect on the very next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _signed_in(client_for, user):
    client = client_for(user)
    assert client.get("/customers/").status_code == 200
    assert client.get("/customers/").status_code == 200  # the second read runs the compiled query
    return client


def test_an_expired_session_signs_out(users, client_for):
    client = _signed_in(client_for, users["sales_rep"])
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/customers/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_deleted_session_signs_out_and_other_sessions_stay(users, client_for):
    mine = _signed_in(client_for, users["sales_rep"])
    theirs = _signed_in(client_for, users["manager"])
    Session.objects.filter(session_key=mine.session.session_key).delete()
    assert mine.get("/customers/").status_code == 302
    assert theirs.get("/customers/").status_code == 200


def test_a_deactivated_user_is_signed_out(users, client_for):
    client = _signed_in(client_for, users["sales_rep"])
    users["sales_rep"].is_active = False
    users["sales_rep"].save(update_fields=["is_active"])
    assert client.get("/customers/").status_code == 302


def test_each_session_gets_its_own_user(users, client_for):
    rep = _signed_in(client_for, users["sales_rep"])
    manager = _signed_in(client_for, users["manager"])
    assert ">sales_rep<" in rep.get("/customers/").content.decode().replace(" ", "")
    assert ">manager<" in manager.get("/customers/").content.decode().replace(" ", "")


def test_a_malformed_session_cookie_is_an_anonymous_visitor(client):
    client.cookies["sessionid"] = "not a session key; DROP TABLE"
    assert client.get("/customers/").status_code == 302
