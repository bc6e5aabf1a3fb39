"""``Idempotency-Key``: a retried write gets the first answer again instead of writing twice.

The first request with a key runs normally; its answer (status, JSON body, ``Location``) is stored with the
key, the user and a hash of the request (method, path, canonical JSON body) in the same transaction as the
writes. A retry with the same key and the same request replays that answer with ``Idempotent-Replayed: true``
and writes nothing; the same key with a different request is a 422. Two concurrent requests with one key
cannot both write: the second one's insert of the key fails, its writes are rolled back and it replays the
first one's answer. Only successful answers are stored; keys expire after ``TTL``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header

from clientela.api.errors import VALIDATION_TYPE, ProblemError
from clientela.api.models import IdempotencyRecord

TTL = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
STORED_HEADERS = ("Location",)


def idempotency_key_header() -> Any:
    """The optional ``Idempotency-Key`` request header (1-200 characters)."""
    return Header(
        None,
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description=(
            "Any unique string (a UUID): a retry with the same key and body replays the first answer "
            "(header Idempotent-Replayed: true) without writing again; keys are kept 24 hours."
        ),
    )


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the path and the JSON body with sorted keys (formatting does not matter)."""
    try:
        body: Any = json.loads(request.body or b"null")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        canonical = request.body.decode("utf-8", errors="replace")
    text = f"{request.method}\n{request.path}\n{canonical}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _live(user: Any, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, key=key, created_at__gte=timezone.now() - TTL).first()


def _mismatch() -> ProblemError:
    message = _("Idempotency-Key reused with a different request.")
    return ProblemError(422, message, type_=VALIDATION_TYPE, errors=[{"field": HEADER, "message": message}])


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        raise _mismatch()
    response = HttpResponse(
        record.response_body,
        status=record.response_status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in (record.response_headers or {}).items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


class _KeyTaken(Exception):
    """A concurrent request stored the same key first."""


def idempotent(request: HttpRequest, key: str | None, run: Callable[[], HttpResponse]) -> HttpResponse:
    """Answer with ``run()`` (which must write inside the current transaction), or replay the stored answer."""
    if key is None:
        return run()
    user: Any = request.user  # authenticated by the API's auth before this runs
    fingerprint = request_fingerprint(request)
    record = _live(user, key)
    if record is not None:
        return _replay(record, fingerprint)
    try:
        with transaction.atomic():
            response = run()
            if 200 <= response.status_code < 300:
                # An expired record with this key makes room for the new one.
                IdempotencyRecord.objects.filter(
                    user=user, key=key, created_at__lt=timezone.now() - TTL
                ).delete()
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            user=user,
                            key=key,
                            request_hash=fingerprint,
                            method=request.method or "",
                            path=request.path[:300],
                            response_status=response.status_code,
                            response_body=response.content.decode("utf-8"),
                            response_headers={
                                h: response[h] for h in STORED_HEADERS if response.has_header(h)
                            },
                        )
                except IntegrityError as exc:
                    raise _KeyTaken() from exc  # rolls back this request's writes
    except _KeyTaken:
        record = _live(user, key)
        if record is None:  # pragma: no cover - the winner's record vanished (purged) in between
            raise
        return _replay(record, fingerprint)
    return response


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the records older than ``TTL``; returns how many were removed."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
