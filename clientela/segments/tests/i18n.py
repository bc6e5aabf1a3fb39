"""Spanish for tests, from the project's compiled catalog (``make test`` compiles it first)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import translation


@contextmanager
def spanish() -> Iterator[None]:
    with translation.override("es"):
        # a missing translation must fail the Spanish tests, never skip them
        assert translation.gettext("Customers %(conditions)s") != "Customers %(conditions)s"
        yield
