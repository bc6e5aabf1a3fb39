"""Turning what a user typed into search terms: words, an email fragment, phone digits, an id."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

from clientela.core.text import fold

_WORD = re.compile(r"[a-z0-9ñ]+")
_EMAILISH = re.compile(r"^[a-z0-9._%+\-]*@?[a-z0-9.\-]*$")
_LOCAL_PART = re.compile(r"^[a-z0-9]+([._\-][a-z0-9]+)+$")


@dataclass
class Query:
    """The interpretations of one search string; any of them may find a record."""

    raw: str
    words: list[str] = field(default_factory=list)
    email: str = ""
    phone_digits: list[str] = field(default_factory=list)
    ident: str = ""

    @property
    def empty(self) -> bool:
        return not (self.words or self.email or self.phone_digits or self.ident)


def phone_variants(digits: str, region: str) -> list[str]:
    """Digit strings a typed phone may appear as in the index: E.164 digits and national significant number."""
    out: list[str] = []
    if digits.startswith("00"):
        digits = digits[2:]
    for candidate in ("+" + digits, digits):
        try:
            number = phonenumbers.parse(candidate, region if not candidate.startswith("+") else None)
        except phonenumbers.NumberParseException:
            continue
        national = phonenumbers.national_significant_number(number)
        full = f"{number.country_code}{national}"
        if phonenumbers.is_possible_number(number):
            out.extend([full, national])
    out.append(digits)
    seen: list[str] = []
    for d in out:
        if d and d not in seen:
            seen.append(d)
    return seen


_IDENT_SEPARATORS = re.compile(r"[\s.\-/_#:]")


def ident_key(value: str) -> str:
    """An identifier as the index stores it and a typed id is compared: folded, without separators,
    so "C-0042", "c 0042" and "C.0042" are the same key."""
    return _IDENT_SEPARATORS.sub("", fold(value))


def parse_query(text: str, region: str = "ES") -> Query:
    folded = fold(text)[:200]
    q = Query(raw=text)
    if not folded:
        return q
    compact = folded.replace(" ", "")
    if "@" in folded and _EMAILISH.match(compact):
        q.email = compact
    digits = re.sub(r"[\s().\-/+]", "", folded)
    if digits.isdigit() and len(digits) >= 5:
        q.phone_digits = phone_variants(digits, region)
    ident = ident_key(folded)
    if len(ident) >= 4 and any(c.isdigit() for c in ident) and ident.isalnum():
        q.ident = ident
    elif " " not in folded and len(compact) >= 4 and _LOCAL_PART.match(compact):
        # "jm.garcia" or "ana_lopez" look like the start of an email address as much as like a name
        q.email = compact
        q.words = _WORD.findall(folded)[:8]
    if not q.email and not q.phone_digits:
        # a phone number's digit groups are not name words
        q.words = _WORD.findall(folded)[:8]
    return q
