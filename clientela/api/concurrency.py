"""Optimistic concurrency over HTTP: ``ETag`` on every single-object response, ``If-Match`` on changes.

ETags are the models' ``etag`` (``W/"12-3"``: id and version). ``If-Match`` may carry that tag (with or
without ``W/``) or a bare version number (``3``); the version is handed to the service, which compares it
with the row it has locked, so a concurrent change between our read and the write is still caught.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from clientela.api.errors import STALE_TYPE, ProblemError


def _opaque(tag: str) -> str:
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip().strip('"')


def expected_version(request: HttpRequest, obj: Any) -> int | None:
    """The version the client says it has seen, or None when it sent no ``If-Match`` (or ``*``).

    A tag naming another record, or several tags none of which is current, is a 412 at once.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    ident, _sep, _version = _opaque(obj.etag).rpartition("-")
    candidates: set[int] = set()
    for item in header.split(","):
        item = item.strip()
        if item == "*":
            return None
        if item.isdigit():
            candidates.add(int(item))
            continue
        tag_ident, sep, tag_version = _opaque(item).rpartition("-")
        if sep and tag_ident == ident and tag_version.isdigit():
            candidates.add(int(tag_version))
    if len(candidates) == 1:
        return candidates.pop()
    if obj.version in candidates:
        return int(obj.version)
    raise ProblemError(
        412,
        _("The If-Match header does not match the current version of this record; read it again."),
        type_=STALE_TYPE,
    )


def check_version(request: HttpRequest, obj: Any) -> None:
    """For services that take no expected version: compare ``If-Match`` with the row read just now."""
    expected = expected_version(request, obj)
    if expected is not None and expected != obj.version:
        raise ProblemError(
            412,
            _("This record was changed by someone else since you opened it."),
            type_=STALE_TYPE,
        )


def with_etag(response: HttpResponse, obj: Any) -> None:
    """Put the object's ETag on the response."""
    response["ETag"] = obj.etag
