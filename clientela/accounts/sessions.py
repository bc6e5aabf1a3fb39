"""Session engine: Django's database sessions, read with a query compiled once per process thread.

Every signed-in request reads its session row first; Django builds that query's SQL again each time,
which cost more than the database took to answer it (``clientela.core.prepared``). Storing, expiring
and deleting sessions are Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import router
from django.db.models import QuerySet
from django.utils import timezone

from clientela.core.prepared import prepared_rows


def _session_query(session_key: str, now: Any) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key, expire_date__gt=now)[:1]


class SessionStore(DatabaseSessionStore):
    """Database sessions whose hot read (the current session, unexpired) skips rebuilding its SQL."""

    def _get_session_from_db(self) -> Session | None:  # type: ignore[misc]
        key = self.session_key
        if not isinstance(key, str) or not key:
            return super()._get_session_from_db()  # type: ignore[misc]  # Django forgets a malformed key
        using = router.db_for_read(Session) or "default"
        found = prepared_rows(("session",), _session_query, [key, timezone.now()], using=using)
        if not found:
            self._session_key = None
            return None
        return found[0]
