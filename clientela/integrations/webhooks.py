"""The wire side of webhooks: settings, target URL rules, signing, one HTTP POST, and the retry schedule.

Nothing here touches the database; ``services`` records what these functions report.

Settings (all optional):
    CLIENTELA_WEBHOOK_TIMEOUT        seconds to wait for a receiver (default 5)
    CLIENTELA_WEBHOOK_BACKOFF        seconds before each retry (default 60, 300, 1800, 7200, 43200)
    CLIENTELA_WEBHOOK_MAX_ATTEMPTS   attempts before giving up, the first one included (default 6)
    CLIENTELA_WEBHOOK_ALLOW_HTTP     allow plain http:// to localhost and private addresses (default False)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from clientela.integrations.models import EXCERPT_BYTES

DEFAULT_BACKOFF = (60, 300, 1800, 7200, 43200)
USER_AGENT = "Clientela-Webhooks/1"
# Answers worth trying again: the receiver is busy or asked us to slow down (4xx otherwise means our
# request is wrong for it, and sending it again would fail again).
RETRY_CODES = frozenset({408, 429})


def timeout() -> float:
    return float(getattr(settings, "CLIENTELA_WEBHOOK_TIMEOUT", 5))


def backoff() -> tuple[int, ...]:
    return tuple(int(s) for s in getattr(settings, "CLIENTELA_WEBHOOK_BACKOFF", DEFAULT_BACKOFF)) or (60,)


def max_attempts() -> int:
    return max(1, int(getattr(settings, "CLIENTELA_WEBHOOK_MAX_ATTEMPTS", len(DEFAULT_BACKOFF) + 1)))


def retry_delay(attempts_made: int) -> int:
    """Seconds to wait after the ``attempts_made``-th failed attempt (the schedule's last step repeats)."""
    steps = backoff()
    return steps[min(attempts_made, len(steps)) - 1]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _private_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None. https always; http only to this machine or a private
    network, and only where CLIENTELA_WEBHOOK_ALLOW_HTTP is on (development, an internal ERP)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return _("Enter a valid URL.")
    if not host or parts.scheme not in ("http", "https"):
        return _("Enter a URL starting with https://.")
    if parts.username or parts.password:
        return _("Do not put a user name or password in the URL; receivers check the signature.")
    if parts.scheme == "http":
        if not getattr(settings, "CLIENTELA_WEBHOOK_ALLOW_HTTP", False):
            return _("Use https://; plain http:// is switched off on this server.")
        if not _private_host(host):
            return _("Plain http:// is only allowed to localhost or a private network address; use https://.")
    return None


def encode(payload: Mapping[str, Any]) -> bytes:
    """The body exactly as sent and signed (compact JSON, UTF-8)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the subscription's secret."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What one POST gave: a status code and the first KB of the answer, or an error; and how long."""

    code: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300

    @property
    def retryable(self) -> bool:
        if self.code is None:
            return True  # timeout, refused connection, DNS failure: the receiver may come back
        return self.code >= 500 or self.code in RETRY_CODES


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # a redirect would turn the signed POST into a GET or send it somewhere not configured: report it
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def post(url: str, body: bytes, *, secret: str, event_type: str, delivery_id: int, event_id: str) -> Outcome:
    """POST ``body`` to ``url`` with the signature headers; never raises."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Clientela-Event": event_type,
        "X-Clientela-Event-Id": event_id,
        "X-Clientela-Delivery": str(delivery_id),
        "X-Clientela-Timestamp": str(timestamp),
        "X-Clientela-Signature": sign(secret, timestamp, body),
    }
    if urlsplit(url).scheme not in ("http", "https"):
        return Outcome(code=None, body="", error=_("Enter a URL starting with https://."), duration_ms=0)
    # the scheme is checked just above (and when the subscription was saved): no file:// or custom schemes
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    started = time.monotonic()
    code: int | None = None
    text = error = ""
    try:
        with opener.open(request, timeout=timeout()) as response:
            code = response.status
            text = _excerpt(response.read(EXCERPT_BYTES))
    except urllib.error.HTTPError as exc:
        code = exc.code
        try:
            text = _excerpt(exc.read(EXCERPT_BYTES))
        except OSError:
            text = ""
    except TimeoutError:
        error = _("No answer within %(seconds)s seconds.") % {"seconds": f"{timeout():g}"}
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            error = _("No answer within %(seconds)s seconds.") % {"seconds": f"{timeout():g}"}
        else:
            error = _("Could not connect: %(reason)s") % {"reason": reason}
    except (OSError, ValueError) as exc:
        error = _("Could not connect: %(reason)s") % {"reason": exc}
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(code=code, body=text, error=error[:500], duration_ms=duration)
