"""Party rows of an import: from canonical values to a validated draft, then to a created, updated or
matched customer.

Drafts are validated with the same rules as the forms and the API (``clean_party``,
``clean_contact_point``). A row whose source id is already linked updates that customer, but only the
fields this source set before or that are empty: another source's values, and what people typed in
Clientela, are never overwritten. A row that matches an existing customer by tax id, email or phone is
linked to it (``SourceLink``) and only fills its gaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from clientela.core.actor import Actor, Source
from clientela.core.bulk import new_instance
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.models import ChangeAction, ObjectChange, SourceSystem
from clientela.core.text import fold
from clientela.imports.models import Effect, FieldProvenance, ImportJob
from clientela.imports.names import split_full_name, tidy_case
from clientela.imports.users import UserDirectory
from clientela.imports.values import infer_party_kind, parse_date
from clientela.parties.choices import PHONE_KINDS, ContactKind, PartyKind
from clientela.parties.models import ContactPoint, Party, SourceLink
from clientela.parties.normalize import normalize_phone
from clientela.parties.validation import Errors, clean_contact_point, clean_party

# party fields an import may set, and the canonical column each comes from (for error messages)
PARTY_FIELD_COLUMN = {
    "kind": "kind",
    "given_names": "given_name",
    "family_name_1": "family_name",
    "family_name_2": "family_name",
    "legal_name": "organisation_name",
    "display_name": "full_name",
    "tax_id": "tax_id",
    "country": "country",
    "birth_date": "birth_date",
    "language": "language",
    "notes": "notes",
    "owner": "owner",
}
SETTABLE = ("given_names", "family_name_1", "family_name_2", "legal_name", "tax_id", "country",
            "birth_date", "language", "notes")  # fmt: skip
CONTACT_LOGGED = ("kind", "label", "is_primary", "value", "normalized", "street", "postal_code", "city",
                  "region", "country", "social_network", "source")  # fmt: skip


PROVENANCE_KEY = "_provenance"  # in an update effect: field -> [source id, time, job id] before the import


class RowInvalid(Exception):
    """A row that cannot be imported: ``problems`` are (canonical field or "", message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(m for _f, m in problems))
        self.problems = problems


@dataclass
class PartyDraft:
    """A validated party row, ready to be matched and written."""

    external_id: str
    party: Party
    contacts: list[tuple[str, ContactPoint]] = field(default_factory=list)  # (canonical field, point)
    tags: list[str] = field(default_factory=list)


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn ids and postal codes into floats
    return " ".join(str(value).split())


def _family_split(family: str) -> tuple[str, str]:
    """Spanish double surname: the last word is the second surname; particles stay with the first."""
    words = family.split()
    if len(words) < 2:
        return family, ""
    if words[-2].lower() in {"de", "del", "la", "las", "los", "y", "da", "van", "von"}:
        return family, ""
    return " ".join(words[:-1]), words[-1]


def _owner(values: Mapping[str, object], problems: list[tuple[str, str]], users: UserDirectory) -> int | None:
    name = _text(values, "owner")
    if not name:
        return None
    user = users.find(name)
    if user is None:
        problems.append(("owner", users.unknown(name)))
        return None
    return int(user.pk)


def _contacts(
    values: Mapping[str, object], source: SourceSystem, region: str
) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for name in ("email", "email_2"):
        if _text(values, name):
            out.append((name, {"kind": ContactKind.EMAIL, "value": _text(values, name)}))
    for name, kind in (("phone", None), ("mobile", ContactKind.MOBILE), ("fax", ContactKind.FAX)):
        raw = _text(values, name)
        if not raw:
            continue
        if kind != ContactKind.FAX:
            # the column's name says little: what the number is decides mobile or landline
            try:
                mobile = normalize_phone(raw, region).is_mobile
            except ValueError:
                mobile = kind == ContactKind.MOBILE
            kind = ContactKind.LANDLINE if mobile is False else ContactKind.MOBILE
        out.append((name, {"kind": kind, "value": raw}))
    if _text(values, "website"):
        out.append(("website", {"kind": ContactKind.WEBSITE, "value": _text(values, "website")}))
    if _text(values, "social_handle"):
        out.append(
            (
                "social_handle",
                {
                    "kind": ContactKind.SOCIAL,
                    "value": _text(values, "social_handle"),
                    "social_network": _text(values, "social_network").lower(),
                },
            )
        )
    address = {k: _text(values, k) for k in ("street", "postal_code", "city", "region")}
    if any(address.values()):
        out.append(
            ("street", {"kind": ContactKind.ADDRESS, **address, "country": _text(values, "country").upper()})
        )
    for _name, data in out:
        data["source"] = source.slug[:64]
        data["label"] = "work"
    return out


def prepare_party(
    values: Mapping[str, object],
    *,
    source: SourceSystem,
    default_country: str,
    date_format: str | None,
    users: UserDirectory | None = None,
) -> PartyDraft:
    """Validate one row's canonical values into a draft; RowInvalid lists every problem."""
    problems: list[tuple[str, str]] = []
    country = (_text(values, "country") or default_country).upper()
    try:
        kind = infer_party_kind(values, country=country)
    except ValueError as exc:
        problems.append(("kind", str(exc)))
        kind = PartyKind.PERSON
    party = new_instance(Party, kind=kind, country=country)
    full = _text(values, "full_name")
    if kind == PartyKind.PERSON:
        given, family = _text(values, "given_name"), _text(values, "family_name")
        # a customer master often keeps people's names in its company-name column too
        full = full or _text(values, "organisation_name")
        if full and not (given or family):
            given, family = split_full_name(full)
        party.given_names = tidy_case(given)[:150]
        party.family_name_1, party.family_name_2 = (tidy_case(p) for p in _family_split(family))
    else:
        name = _text(values, "organisation_name") or full
        party.legal_name = tidy_case(name, organisation=True)[:255]
    party.tax_id = _text(values, "tax_id")
    try:
        party.birth_date = parse_date(values.get("birth_date"), date_format=date_format)
    except ValueError as exc:
        problems.append(("birth_date", str(exc)))
    party.language = _text(values, "language")[:8]
    party.notes = str(values.get("notes") or "")
    party.owner_id = _owner(values, problems, users or UserDirectory())
    errors = Errors()
    clean_party(party, errors, model_checks=False)  # the quick checks: this runs for every row
    for path, messages in errors.by_path.items():
        problems.extend((PARTY_FIELD_COLUMN.get(path, ""), m) for m in messages)
    region = (country or settings.CLIENTELA_DEFAULT_REGION).upper()
    draft = PartyDraft(external_id=_text(values, "external_id")[:200], party=party)
    for column, data in _contacts(values, source, region):
        cp = new_instance(ContactPoint, **data)
        cp_errors = Errors()
        clean_contact_point(cp, party, cp_errors, "", model_checks=False)
        if cp_errors.by_path:
            for path, messages in cp_errors.by_path.items():
                # an address's parts and a social network have columns of their own
                where = (
                    path
                    if path in ("street", "postal_code", "city", "region", "country", "social_network")
                    else column
                )
                problems.extend((where, m) for m in messages)
        else:
            draft.contacts.append((column, cp))
    tags = _text(values, "tags")
    draft.tags = [t.strip()[:50] for t in tags.replace(";", ",").split(",") if t.strip()]
    if problems:
        raise RowInvalid(problems)
    party.name_folded = fold(party.display_name)
    return draft


def find_existing(draft: PartyDraft, source: SourceSystem) -> tuple[Party | None, str]:
    """The customer this row is: ("linked") through the source's id, else ("matched") by an exact
    tax id, email or phone; (None, "") when it is new."""
    if draft.external_id:
        link = SourceLink.objects.filter(source=source, external_id=draft.external_id).select_related("party")
        found = link.first()
        if found is not None and found.party.deleted_at is None:
            return found.party, "linked"
    if draft.party.tax_id:
        party = Party.objects.filter(tax_id=draft.party.tax_id).order_by("pk").first()
        if party is not None:
            return party, "matched"
    for _column, cp in draft.contacts:
        if cp.kind == ContactKind.EMAIL or cp.kind in PHONE_KINDS:
            match = (
                ContactPoint.objects.filter(
                    kind__in=[ContactKind.EMAIL] if cp.kind == ContactKind.EMAIL else list(PHONE_KINDS),
                    normalized=cp.normalized,
                    deleted_at__isnull=True,
                    party__deleted_at__isnull=True,
                )
                .order_by("party_id")
                .values_list("party_id", flat=True)
                .first()
            )
            if match is not None:
                return Party.objects.get(pk=match), "matched"
    return None, ""


def _effect(job: ImportJob, obj: Any, action: str, before: dict[str, Any] | None = None) -> Effect:
    return Effect(job=job, model=obj._meta.label_lower, object_id=obj.pk, action=action, before=before)


def write_party(draft: PartyDraft, *, job: ImportJob, actor: Actor, effects: list[Effect]) -> tuple[int, str]:
    """Create, update or link the customer; returns (party id, "created"|"updated"|"matched"|"unchanged")."""
    source = job.source
    existing, how = find_existing(draft, source)
    now = dt.datetime.now(dt.UTC)
    if existing is None:
        party = draft.party
        party.created_by = actor.user
        party.save()
        if draft.tags:
            from clientela.parties.services import _set_tags

            _set_tags(party, draft.tags)
        record_snapshot(
            actor=actor, obj=party, aggregate=party, action=ChangeAction.CREATE,
            snapshot=field_values(party, ("kind", *SETTABLE, "display_name")),
        )  # fmt: skip
        effects.append(_effect(job, party, Effect.Action.CREATE))
        FieldProvenance.objects.bulk_create(
            [
                FieldProvenance(party=party, field=f, source=source, job=job)
                for f in SETTABLE
                if getattr(party, f)
            ]
        )
        _add_contacts(party, draft, job=job, actor=actor, effects=effects)
        _link(party, draft, job=job, actor=actor, effects=effects)
        return party.pk, "created"
    changed = _fill(existing, draft, job=job, actor=actor, effects=effects, own=how == "linked")
    changed |= _add_contacts(existing, draft, job=job, actor=actor, effects=effects)
    linked = _link(existing, draft, job=job, actor=actor, effects=effects)
    if changed:
        Party.all_objects.filter(pk=existing.pk).update(updated_at=now)
    if how == "matched" or linked:
        return existing.pk, "matched"
    return existing.pk, "updated" if changed else "unchanged"


def _fill(
    party: Party, draft: PartyDraft, *, job: ImportJob, actor: Actor, effects: list[Effect], own: bool
) -> bool:
    """Set the fields this source owns (or that are empty); never another source's or a person's values."""
    provenance = {
        f: (src, at)
        for f, src, at in FieldProvenance.objects.filter(party=party).values_list("field", "source_id", "at")
    }
    owners = {f: src for f, (src, _at) in provenance.items()}
    # a value someone changed by hand (or through the API) after this source set it is theirs now
    since = min((at for _src, at in provenance.values()), default=None)
    edited = set(
        ObjectChange.objects.filter(aggregate_type="parties.party", aggregate_id=party.pk, time__gt=since,
                                    field__in=SETTABLE).exclude(source=Source.IMPORT).values_list("field", "time")
    ) if since is not None and own else set()  # fmt: skip
    edited_fields = {f for f, at in edited if at > provenance.get(f, (None, at))[1]}
    before: dict[str, Any] = {}
    for name in SETTABLE:
        new = getattr(draft.party, name)
        old = getattr(party, name)
        if new in ("", None) or new == old:
            continue
        if name in ("given_names", "family_name_1", "family_name_2", "legal_name") and (
            party.kind != draft.party.kind
        ):
            continue
        if old in ("", None) or (own and owners.get(name) == job.source_id and name not in edited_fields):
            before[name] = old
            setattr(party, name, new)
    if not before:
        return False
    party.display_name = party.derived_display_name()
    party.name_folded = fold(party.display_name)
    fields = [*before, "display_name", "name_folded", "version", "updated_at"]
    party.version += 1
    party.save(update_fields=fields)
    # who set these fields before, so undo gives them back their values and their provenance
    owned = {f: [src, at.isoformat(), None] for f, (src, at) in provenance.items() if f in before}
    for f, job_id in FieldProvenance.objects.filter(party=party, field__in=list(owned)).values_list(
        "field", "job_id"
    ):
        owned[f][2] = job_id
    effects.append(
        _effect(
            job,
            party,
            Effect.Action.UPDATE,
            {**{k: _json(v) for k, v in before.items()}, PROVENANCE_KEY: owned},
        )
    )
    record_update(actor=actor, obj=party, aggregate=party, before=before,
                  after={k: getattr(party, k) for k in before})  # fmt: skip
    for name in before:
        FieldProvenance.objects.update_or_create(
            party=party, field=name, defaults={"source": job.source, "job": job}
        )
    return True


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _add_contacts(
    party: Party, draft: PartyDraft, *, job: ImportJob, actor: Actor, effects: list[Effect]
) -> bool:
    """Add the row's contact points the customer does not have yet (first of a kind becomes primary)."""
    live = list(
        ContactPoint.objects.filter(party=party, deleted_at__isnull=True).values_list("kind", "normalized")
    )
    have = {(k, n) for k, n in live}
    kinds = {k for k, _n in live}
    added = False
    for _column, cp in draft.contacts:
        if (cp.kind, cp.normalized) in have:
            continue
        cp.pk = None
        cp.party = party
        cp.is_primary = cp.kind not in kinds
        cp.save()
        have.add((cp.kind, cp.normalized))
        kinds.add(cp.kind)
        effects.append(_effect(job, cp, Effect.Action.CREATE))
        record_snapshot(actor=actor, obj=cp, aggregate=party, action=ChangeAction.CREATE,
                        snapshot=field_values(cp, CONTACT_LOGGED))  # fmt: skip
        added = True
    return added


def _link(party: Party, draft: PartyDraft, *, job: ImportJob, actor: Actor, effects: list[Effect]) -> bool:
    if not draft.external_id:
        return False
    link, created = SourceLink.objects.get_or_create(
        source=job.source, external_id=draft.external_id, defaults={"party": party, "created_by": actor.user}
    )
    if created:
        effects.append(_effect(job, link, Effect.Action.CREATE))
    return created
