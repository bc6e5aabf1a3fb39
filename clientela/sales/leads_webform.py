"""Defences and helpers of the public lead web form: rate limits per client IP and overall, the honeypot,
the signed fill-time stamp, the safe ``next`` redirect, the submission kept as received, and the
embeddable snippet shown to admins.

Settings (all optional, see docs/leads.md):

- ``CLIENTELA_LEAD_FORM_RATE``: ``{"per_ip": 5, "ip_window": 600, "global": 60, "global_window": 60}``
  (submissions allowed per client IP in ``ip_window`` seconds, and from everyone in ``global_window``).
- ``CLIENTELA_LEAD_FORM_MIN_SECONDS``: a form sent back sooner than this after it was served is a bot (3).
- ``CLIENTELA_LEAD_FORM_REDIRECT_HOSTS``: hosts a ``next`` URL may point at after a submission ([]).
- ``CLIENTELA_LEAD_FORM_IP_HEADER``: the request header carrying the client address when a proxy sits in
  front (e.g. ``"X-Forwarded-For"``; its last address, the one our proxy added, is used); default: the
  connection's address.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger("clientela.sales.webform")

HONEYPOT = "website"
STAMP = "ts"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
PUBLIC_FIELDS = (
    "given_names",
    "family_names",
    "email",
    "phone",
    "company",
    "job_title",
    "country",
    "interest",
    "notes",
)
_SALT = "clientela.sales.leads.webform"
# what an IPv4 or IPv6 address may contain (the rest would only make odd cache keys)
_ADDRESS = re.compile(r"[^0-9A-Fa-f:.]")
_RATE_DEFAULTS = {"per_ip": 5, "ip_window": 600, "global": 60, "global_window": 60}
# Limits on what is kept of a submission, so a bot cannot store megabytes per lead.
_RAW_KEYS = 50
_RAW_VALUE = 2000


def rate_settings() -> dict[str, int]:
    configured = getattr(settings, "CLIENTELA_LEAD_FORM_RATE", None) or {}
    return {key: int(configured.get(key, default)) for key, default in _RATE_DEFAULTS.items()}


def client_ip(request: HttpRequest) -> str:
    header = getattr(settings, "CLIENTELA_LEAD_FORM_IP_HEADER", "")
    if header:
        forwarded = request.headers.get(header, "")
        # the last address is the one our own proxy appended; the ones before it are client-supplied
        last = _ADDRESS.sub("", forwarded.split(",")[-1])
        if last:
            return last[:64]
    return _ADDRESS.sub("", str(request.META.get("REMOTE_ADDR", "")))[:64] or "unknown"


def _hit(key: str, window: int) -> int:
    """Count one submission in the current fixed window of ``window`` seconds; the count so far."""
    bucket = f"{key}:{int(time.time() // window)}"
    cache.add(bucket, 0, timeout=window + 5)
    try:
        return int(cache.incr(bucket))
    except ValueError:  # the bucket expired between add and incr
        cache.set(bucket, 1, timeout=window + 5)
        return 1


@dataclass(frozen=True)
class RateLimited:
    """The submission went over a limit; ``retry_after`` seconds until the window ends."""

    retry_after: int


def rate_limit(request: HttpRequest) -> RateLimited | None:
    """Count this submission against its client IP and the global cap; None while both are respected.

    Every submission counts (valid, invalid or caught by the honeypot), so probing costs a bot its quota.
    """
    rate = rate_settings()
    now = time.time()
    ip_count = _hit(f"leadform:ip:{client_ip(request)}", rate["ip_window"])
    global_count = _hit("leadform:all", rate["global_window"])
    if ip_count > rate["per_ip"]:
        return RateLimited(retry_after=int(rate["ip_window"] - now % rate["ip_window"]) + 1)
    if global_count > rate["global"]:
        return RateLimited(retry_after=int(rate["global_window"] - now % rate["global_window"]) + 1)
    return None


def honeypot_filled(data: Mapping[str, Any]) -> bool:
    """Humans never see the ``website`` field, so anything in it was typed by a bot."""
    return bool(str(data.get(HONEYPOT, "")).strip())


def count_spam(request: HttpRequest, reason: str) -> None:
    """Log a silently dropped submission with a running count (per process cache), for operators."""
    key = f"leadform:spam:{reason}"
    cache.add(key, 0, timeout=None)
    try:
        total = cache.incr(key)
    except ValueError:
        total = 1
    logger.warning(
        "Lead web form: dropped a submission (%s) from %s; %s so far", reason, client_ip(request), total
    )


def new_stamp() -> str:
    """A signed time stamp the form carries, to tell a human's fill time from a bot's instant post."""
    return signing.TimestampSigner(salt=_SALT).sign(str(int(time.time())))


def too_fast(stamp: str) -> bool:
    """Whether a stamp is forged, more than a day old, or younger than the minimum fill time.

    A form posted without a stamp (the plain HTML snippet pasted on another site cannot have a fresh
    one) is not judged here: the honeypot and the rate limits still apply to it.
    """
    if not stamp:
        return False
    try:
        signed_at = int(signing.TimestampSigner(salt=_SALT).unsign(stamp, max_age=86_400))
    except (signing.BadSignature, ValueError):
        return True
    minimum = int(getattr(settings, "CLIENTELA_LEAD_FORM_MIN_SECONDS", 3))
    return time.time() - signed_at < minimum


def safe_next(url: str, request: HttpRequest) -> str | None:
    """``next`` when it points at one of the configured hosts (an open redirect otherwise)."""
    hosts = set(getattr(settings, "CLIENTELA_LEAD_FORM_REDIRECT_HOSTS", ()) or ())
    if not url or not hosts:
        return None
    if not url.startswith(("http://", "https://")):
        return None  # a relative URL would resolve against our host inside the visitor's frame
    if url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=request.is_secure()):
        return url
    return None


def raw_submission(request: HttpRequest) -> dict[str, Any]:
    """The posted fields as received (and UTM values of the query string), capped in size."""
    out: dict[str, Any] = {}
    for key in list(request.POST)[:_RAW_KEYS]:
        values = [v[:_RAW_VALUE] for v in request.POST.getlist(key)]
        out[key[:100]] = values[0] if len(values) == 1 else values
    for key in UTM_FIELDS:
        if key not in out and request.GET.get(key):
            out[key] = request.GET[key][:_RAW_VALUE]
    return out


def lead_data(cleaned: Mapping[str, Any], request: HttpRequest) -> dict[str, Any]:
    """The lead's fields from a valid form: what was typed, UTM values (posted, else in the query
    string) and the page the visitor came from."""
    data = {name: cleaned[name] for name in PUBLIC_FIELDS if cleaned.get(name)}
    for name in UTM_FIELDS:
        value = cleaned.get(name) or request.GET.get(name, "")
        if value:
            data[name] = value.strip()[:100]
    referrer = external_referrer(cleaned.get("referrer") or request.headers.get("Referer", ""), request)
    if referrer:
        data["referrer"] = referrer[:500]
    return data


def external_referrer(url: str, request: HttpRequest) -> str:
    """The referring page unless it is one of ours (our own form page in the iframe, or the leads page's
    preview), which says nothing about the visit."""
    url = (url or "").strip()
    if url and urlsplit(url).netloc == request.get_host():
        return ""
    return url


def embed_snippets(form_url: str, capture_url: str) -> dict[str, str]:
    """The HTML an admin pastes into a website: an iframe (whose script forwards the page's UTM query
    string and address, which browsers no longer send whole across sites), and a plain form posting
    straight to the capture endpoint."""
    src = escape(form_url)
    iframe = (
        f'<iframe id="clientela-lead-form" src="{src}" title="Contact form" width="100%" height="640" '
        'style="border:0" loading="lazy"></iframe>\n'
        "<script>(function (f) { var q = location.search.slice(1); "
        'q = (q ? q + "&" : "") + "referrer=" + encodeURIComponent(location.href.split("#")[0]); '
        'f.src += (f.src.indexOf("?") < 0 ? "?" : "&") + q; })(document.getElementById("clientela-lead-form"));'
        "</script>"
    )
    fields = "\n".join(
        f'  <label>{label} <input name="{name}"{extra}></label>'
        for name, label, extra in (
            ("given_names", "Name", ""),
            ("family_names", "Surname", ""),
            ("email", "Email", ' type="email" required'),
            ("phone", "Phone", ' type="tel"'),
            ("company", "Company", ""),
            ("interest", "I am interested in", ""),
        )
    )
    form = (
        f'<form method="post" action="{escape(capture_url)}">\n{fields}\n'
        '  <label>Message <textarea name="notes"></textarea></label>\n'
        '  <input type="hidden" name="utm_source" value="">\n'
        '  <input type="hidden" name="utm_campaign" value="">\n'
        f'  <div hidden aria-hidden="true"><input name="{HONEYPOT}" tabindex="-1" autocomplete="off"></div>\n'
        '  <input type="hidden" name="next" value="https://www.example.com/thanks">\n'
        '  <button type="submit">Send</button>\n</form>'
    )
    return {"iframe": iframe, "form": form}
