"""The real-time check: "this may be the same customer as ..." for a record not saved yet (or being edited).

Used by the customer form (a panel updated as the user types), the API (``matches`` in responses,
``409`` on request) and imports (the dry-run report). Steps, each bounded whatever the database size:

1. the new record's blocking keys (the batch rules), hashed, looked up in ``MatchKey`` (one query);
2. members of small blocks are candidates; of oversize blocks ("jose garcia" in a big city), only those
   sharing at least two keys with the record, as batch sub-blocking would;
3. the candidates the user may see are read as matcher records (three queries) and scored with the
   parameters of the latest resolution run over enough customers, else with the shipped ones.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from clientela.core.permissions import Action
from clientela.identity.keys import party_keys
from clientela.identity.matching import Matcher, MatchIndex, PartyRecord, normalize_record
from clientela.identity.matching.default import default_matcher
from clientela.identity.models import MatchKey, NotDuplicate, ResolutionRun, RunStatus
from clientela.parties.choices import ContactKind
from clientela.parties.models import Party
from clientela.parties.normalize import normalize_email, normalize_phone, normalize_social, normalize_tax_id

# A run's own fit is trusted from this many customers up; below it EM sees too few duplicates.
MIN_FIT_RECORDS = 1000
# Customers read and scored at most per check (the ones sharing most keys first).
MAX_CANDIDATES = 300
DEFAULT_LIMIT = 5

_matcher_cache: dict[str, tuple[int | None, Matcher]] = {}


@dataclass(frozen=True, slots=True)
class LikelyMatch:
    """An existing customer the record may be: its id and name, the match probability and why."""

    party_id: int
    display_name: str
    probability: float
    weight: float
    explanation: list[dict[str, Any]]


def current_matcher() -> Matcher:
    """The parameters of the latest finished run over enough customers, else the shipped ones."""
    run = (
        ResolutionRun.objects.filter(
            status=RunStatus.DONE, parties__gte=MIN_FIT_RECORDS, parameters__has_key="fields"
        )
        .order_by("-finished_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    cached = _matcher_cache.get("current")
    if cached is not None and cached[0] == run:
        return cached[1]
    matcher = default_matcher()
    if run is not None:
        parameters = ResolutionRun.objects.values_list("parameters", flat=True).get(pk=run)
        # saved by an older version of the engine: the shipped parameters still work
        with contextlib.suppress(ValueError, KeyError, TypeError):
            matcher = Matcher.from_json(parameters)
    _matcher_cache["current"] = (run, matcher)
    return matcher


def record_from_data(
    data: Mapping[str, Any], contacts: Iterable[Mapping[str, Any]] = (), *, record_id: str = "new"
) -> PartyRecord:
    """A matcher record from what a form or API call sends (party fields and contact point items).

    Values that do not parse (a half-typed email or phone) are left out: the check runs while the user
    types, and the form's own validation reports them.
    """
    region = str(data.get("country") or settings.CLIENTELA_DEFAULT_REGION)
    emails: list[str] = []
    phones: list[str] = []
    mobiles: list[str] = []
    handles: list[str] = []
    address: tuple[str, str, str] | None = None
    for item in contacts:
        if item.get("delete"):
            continue
        kind = str(item.get("kind") or "")
        value = str(item.get("value") or "").strip()
        try:
            if kind == ContactKind.EMAIL and value:
                emails.append(normalize_email(value)[1])
            elif kind in (ContactKind.MOBILE, ContactKind.LANDLINE) and value:
                phone = normalize_phone(value, str(item.get("country") or region))
                phones.append(phone.e164)
                if phone.is_mobile or (phone.is_mobile is None and kind == ContactKind.MOBILE):
                    mobiles.append(phone.e164)
            elif kind == ContactKind.SOCIAL and value:
                handles.append(normalize_social(str(item.get("social_network") or ""), value)[1])
            elif kind == ContactKind.ADDRESS and address is None:
                street, postal_code, city = (
                    str(item.get(f) or "") for f in ("street", "postal_code", "city")
                )
                if street or postal_code or city:
                    address = (street, postal_code, city)
        except ValueError:
            continue
    tax_id = str(data.get("tax_id") or "")
    if tax_id:
        try:
            tax_id = normalize_tax_id(tax_id, region)
        except ValueError:
            tax_id = ""
    birth = data.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = datetime.date.fromisoformat(birth) if birth else None
        except ValueError:
            birth = None
    street, postal_code, city = address or ("", "", "")
    kind = str(data.get("kind") or "person")
    return PartyRecord(
        id=record_id,
        kind="organisation" if kind == "organisation" else "person",
        given_name=str(data.get("given_names") or ""),
        family_name=" ".join(
            str(data.get(f) or "") for f in ("family_name_1", "family_name_2") if data.get(f)
        ),
        organisation_name=str(data.get("legal_name") or data.get("trade_name") or ""),
        emails=tuple(emails),
        phones=tuple(phones),
        mobiles=tuple(mobiles),
        tax_id=tax_id,
        birth_date=birth if isinstance(birth, datetime.date) else None,
        street=street,
        postal_code=postal_code,
        city=city,
        handles=tuple(handles),
    )


def _candidates(record: PartyRecord, max_block_size: int) -> list[int]:
    keys = list(party_keys(normalize_record(record)))
    if not keys:
        return []
    blocks: dict[int, list[int]] = defaultdict(list)
    for key, party_id in MatchKey.objects.filter(key__in=keys).values_list("key", "party_id"):
        blocks[key].append(party_id)
    shared: Counter[int] = Counter()
    small: set[int] = set()
    for members in blocks.values():
        shared.update(members)
        if len(members) < max_block_size:
            small.update(members)
    found = small | {p for p, n in shared.items() if n >= 2}
    return sorted(found, key=lambda p: (-shared[p], p))[:MAX_CANDIDATES]


def likely_matches(
    *,
    user: Any,
    record: PartyRecord,
    exclude: int | None = None,
    limit: int = DEFAULT_LIMIT,
    threshold: float | None = None,
) -> list[LikelyMatch]:
    """Existing customers ``user`` may see that ``record`` is likely to be, best first.

    ``exclude`` is the customer being edited: it is left out, and so is every customer someone decided
    is not the same as it. ``threshold`` defaults to the review threshold of batch resolution.
    """
    from clientela.identity.resolution import party_records, resolution_thresholds

    if threshold is None:
        threshold = resolution_thresholds()[1]
    matcher = current_matcher()
    ids = _candidates(record, matcher.max_block_size)
    if exclude is not None:
        distinct = NotDuplicate.objects.filter(Q(party_low=exclude) | Q(party_high=exclude)).values_list(
            "party_low", "party_high"
        )
        skip = {exclude, *(p for pair in distinct for p in pair)}
        ids = [i for i in ids if i not in skip]
    if not ids:
        return []
    names = dict(
        Party.objects.restrict(user, Action.VIEW).filter(pk__in=ids).values_list("pk", "display_name")
    )
    if not names:
        return []
    index = MatchIndex(matcher, party_records(names))
    out = []
    for match in index.matches(record, limit=limit, threshold=threshold):
        pk = int(match.record_id)
        out.append(LikelyMatch(pk, names[pk], match.probability, match.weight, match.explanation))
    return out


def matches_for_data(
    *,
    user: Any,
    data: Mapping[str, Any],
    contacts: Sequence[Mapping[str, Any]] = (),
    exclude: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[LikelyMatch]:
    """``likely_matches`` of a record given as form or API data."""
    return likely_matches(user=user, record=record_from_data(data, contacts), exclude=exclude, limit=limit)
