"""The input record of the matching engine: a party as the matcher sees it, free of the ORM."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Literal

PartyKind = Literal["person", "organisation"]


@dataclass(frozen=True, slots=True)
class PartyRecord:
    """One party (customer) to compare with others.

    Values are given raw (as typed by users or imported); the engine folds and cleans them. Phones are
    expected already normalised to E.164 by the caller; `mobiles` is the subset of `phones` known to be
    mobile numbers (a shared landline is weaker evidence than a shared mobile). `external_ids` holds
    `(source, id)` pairs: two records carrying the same id from the same source are the same party.
    """

    id: str
    kind: PartyKind = "person"
    given_name: str = ""
    family_name: str = ""
    organisation_name: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    mobiles: tuple[str, ...] = ()
    tax_id: str = ""
    birth_date: datetime.date | None = None
    street: str = ""
    postal_code: str = ""
    city: str = ""
    handles: tuple[str, ...] = ()
    external_ids: tuple[tuple[str, str], ...] = field(default_factory=tuple)
