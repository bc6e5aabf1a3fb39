"""Fixtures of the integrations tests: a real HTTP receiver on 127.0.0.1, API clients, an ERP customer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# the API tests' clients (a real token per user): ``api_for(user)`` and ``admin_api``
from clientela.api.tests.conftest import admin_api, api_for  # noqa: F401
from clientela.interactions.services import source_get_or_create
from clientela.parties.models import SourceLink
from clientela.testing.factories import make_person


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers with the next planned reply (a status code, or ("sleep", seconds))."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    replies: list[Any] = field(default_factory=list)

    def plan(self, *replies: Any) -> None:
        self.replies.extend(replies)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            reply = state.replies.pop(0) if state.replies else 200
            if isinstance(reply, tuple) and reply[0] == "sleep":
                time.sleep(reply[1])
                reply = 200
            text = b'{"ok": true}' if reply < 300 else b"x" * 5000  # a long error page is cut to 1 KB
            try:
                self.send_response(reply)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.CLIENTELA_WEBHOOK_ALLOW_HTTP = True
    settings.CLIENTELA_WEBHOOK_TIMEOUT = 1
    settings.CLIENTELA_WEBHOOK_MAX_ATTEMPTS = 4
    settings.CLIENTELA_WEBHOOK_BACKOFF = (60, 300, 1800)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def erp_source(db):
    return source_get_or_create("sap")


@pytest.fixture
def customer(admin_user, team_a, erp_source):
    """A customer known to the ERP as "C-1"."""
    party = make_person(
        admin_user,
        given_names="Lucía",
        team=team_a.pk,
        contact_points=[{"kind": "email", "value": "lucia@example.es"}],
    )
    SourceLink.objects.create(source=erp_source, external_id="C-1", party=party)
    return party
