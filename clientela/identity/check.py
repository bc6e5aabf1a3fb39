"""The real-time check: "this may be the same customer as ..." for a record not saved yet (or being edited).

Used by the customer form (a panel updated as the user types), the API (``matches`` in responses,
``409`` on request) and imports (the dry-run report). Steps, each bounded whatever the database size:

1. the new record's blocking keys (the batch rules), hashed, looked up in ``MatchKey`` (one query);
2. members of small blocks are candidates; of oversize blocks ("jose garcia" in a big city), only those
   sharing at least two keys with the record, as batch sub-blocking would;
3. the candidates the user may see are read as matcher records (three queries) and scored with the
   parameters of the latest resolution run over enough customers, else with the shipped ones.

``matches_batch`` does the same for many records at once (an import chunk) with the same few queries.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Q

from clientela.core.permissions import Action
from clientela.identity.keys import party_keys
from clientela.identity.matching import Matcher, PartyRecord, normalize_record
from clientela.identity.matching.columns import Columns
from clientela.identity.matching.default import default_matcher
from clientela.identity.matching.explain import explain_row
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


_KEY_QUERY = 900  # key hashes per IN list: within every backend's parameter limit


def _candidates(keys_of: list[dict[int, str]], max_block_size: int, cap: int) -> list[list[int]]:
    """Per record (given by its hashed keys), the existing customers worth scoring."""
    wanted = sorted({k for keys in keys_of for k in keys})
    blocks: dict[int, list[int]] = defaultdict(list)
    for i in range(0, len(wanted), _KEY_QUERY):
        rows = MatchKey.objects.filter(key__in=wanted[i : i + _KEY_QUERY]).values_list("key", "party_id")
        for key, party_id in rows:
            blocks[key].append(party_id)
    out = []
    for keys in keys_of:
        shared: Counter[int] = Counter()
        small: set[int] = set()
        for key in keys:
            members = blocks.get(key, ())
            shared.update(members)
            if len(members) < max_block_size:
                small.update(members)
        found = small | {p for p, n in shared.items() if n >= 2}
        out.append(sorted(found, key=lambda p: (-shared[p], p))[:cap])
    return out


def matches_batch(
    records: Sequence[PartyRecord],
    *,
    user: Any = None,
    exclude: Mapping[str, set[int]] | None = None,
    below: int | None = None,
    limit: int = DEFAULT_LIMIT,
    threshold: float | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> list[list[LikelyMatch]]:
    """Likely existing matches of each record, best first (one list per record, in order).

    Many records share the work: one key lookup, one read of all candidates, one vectorised scoring, so
    an import chunk of 2,000 rows costs a few queries, not 2,000 checks. ``user`` limits candidates to
    what they may see (None: every customer, for background jobs); ``exclude`` maps a record id to
    customers to leave out for it; ``below`` keeps only customers with a smaller id (those that existed
    before an import started); ``max_candidates`` bounds the customers scored per record, those sharing
    the most keys first (an import trades a little recall for speed with a lower bound).
    """
    from clientela.identity.resolution import party_records, resolution_thresholds

    if threshold is None:
        threshold = resolution_thresholds()[1]
    matcher = current_matcher()
    parties = [normalize_record(r) for r in records]
    per_record = _candidates([party_keys(p) for p in parties], matcher.max_block_size, max_candidates)
    exclude = exclude or {}
    for n, record in enumerate(records):
        skip = exclude.get(record.id)
        per_record[n] = [
            c for c in per_record[n] if (not skip or c not in skip) and (below is None or c < below)
        ]
    wanted = sorted({c for ids in per_record for c in ids})
    out: list[list[LikelyMatch]] = [[] for _ in records]
    if not wanted:
        return out
    visible = Party.objects.restrict(user, Action.VIEW) if user is not None else Party.objects
    names: dict[int, str] = {}
    for i in range(0, len(wanted), _KEY_QUERY):
        names.update(visible.filter(pk__in=wanted[i : i + _KEY_QUERY]).values_list("pk", "display_name"))
    existing = list(party_records(names))
    position = {int(r.id): len(parties) + n for n, r in enumerate(existing)}
    all_parties = [*parties, *(normalize_record(r) for r in existing)]
    left: list[int] = []
    right: list[int] = []
    for n, ids in enumerate(per_record):
        for c in ids:
            at = position.get(c)
            if at is not None and all_parties[at].kind == parties[n].kind:
                left.append(n)
                right.append(at)
    if not left:
        return out
    scores = matcher.score_columns(
        Columns(all_parties), np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    )
    best: dict[int, list[int]] = defaultdict(list)
    for row in np.flatnonzero(scores.probability >= threshold).tolist():
        best[left[row]].append(row)
    for n, rows in best.items():
        rows.sort(key=lambda r: (-scores.total[r], right[r]))
        for row in rows[:limit]:
            pk = int(existing[right[row] - len(parties)].id)
            out[n].append(
                LikelyMatch(
                    pk,
                    names[pk],
                    float(scores.probability[row]),
                    float(scores.total[row]),
                    explain_row(matcher.fitted, matcher.comparisons, scores, row),
                )
            )
    return out


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
    skip: set[int] = set()
    if exclude is not None:
        distinct = NotDuplicate.objects.filter(Q(party_low=exclude) | Q(party_high=exclude)).values_list(
            "party_low", "party_high"
        )
        skip = {exclude, *(p for pair in distinct for p in pair)}
    found = matches_batch([record], user=user, exclude={record.id: skip}, limit=limit, threshold=threshold)
    return found[0]


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
