"""Reversing routes on the hottest pages, remembered per process: the routes never change while it runs.

``reverse`` walks the resolver for every call (about 25 µs); the customer page and its timeline link
dozens of records. A route taking only integer ids is reversed once with placeholder ids and split
around them, so joining the pieces with real ids gives the same address as ``reverse`` for any ids.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse

_SENTINEL = 918_273_645


@lru_cache(maxsize=4096)
def _reverse(name: str, args: tuple[Any, ...], prefix: str, urlconf: str | None) -> str:
    return reverse(name, args=args, urlconf=urlconf)


@lru_cache(maxsize=512)
def _int_pattern(name: str, count: int, prefix: str, urlconf: str | None) -> list[str]:
    url = reverse(name, args=[_SENTINEL + i for i in range(count)], urlconf=urlconf)
    pieces = []
    rest = url
    for i in range(count):
        head, _sep, rest = rest.partition(str(_SENTINEL + i))
        pieces.append(head)
    pieces.append(rest)
    return pieces


def fast_reverse(name: str, *args: Any) -> str:
    """``reverse(name, args=args)``, remembered: once per route for integer ids, once per route and
    arguments otherwise."""
    if args and all(type(a) is int for a in args):
        pieces = _int_pattern(name, len(args), get_script_prefix(), get_urlconf())
        out = pieces[0]
        for value, piece in zip(args, pieces[1:], strict=True):
            out += str(value) + piece
        return out
    return _reverse(name, tuple(str(a) for a in args), get_script_prefix(), get_urlconf())
