"""Which rows point at a customer, and how a merge re-points them (and an undo puts them back).

Discovery, not a list
---------------------
Every concrete ``ForeignKey`` / ``OneToOneField`` to ``parties.Party`` in any installed app (hidden ones
with ``related_name="+"`` and auto-created many-to-many tables such as a party's tags included) is a
*reference*. A merge re-points each with one ``UPDATE ... SET fk = survivor WHERE fk = merged`` after
recording the moved ids with one ``INSERT ... SELECT`` into ``MergeMove``; the undo re-points exactly those
ids back. So a future app (tickets, opportunities, orders) that adds ``customer = ForeignKey(Party, ...)``
is merged and unmerged correctly with no code here: nullable or not, ``CASCADE`` or ``SET_NULL``.

Unique constraints
------------------
A re-pointed row may collide with a row the survivor already has:

* *Unconditional* unique sets that contain the reference (``unique_together``, a ``UniqueConstraint``
  without ``condition``, a ``OneToOneField``): handled generically. The merged party's row that duplicates
  one of the survivor's is deleted (its full state is kept in ``MergeChange``, so undo re-inserts it with
  its id). Example: the same tag on both parties.
* Anything the generic rule cannot decide needs a hook, and ``manage.py check`` fails until it has one:
  a *conditional* ``UniqueConstraint`` over the reference (one primary contact point per kind), an
  expression-based one, a unique set with two party references, a non-integer primary key, or the
  reference being the primary key itself.

Registration API (call from your ``AppConfig.ready()``)
-------------------------------------------------------
``register_hook(label, hook)``
    ``hook(ctx)`` runs before the generic re-pointing of that model. It resolves clashes only through
    ``ctx.delete_rows`` and ``ctx.update_rows`` (which record what the undo needs); it never re-points
    rows itself. Register one when re-pointing would break a constraint or an invariant the database does
    not state (two "main" employments of one person, a relationship of a party with itself), or when a
    duplicate must be *kept* but changed (a duplicate e-mail stays, no longer primary).
``register_derived(label, refresh)``
    Rows computed from other data (``PartyStats``): not re-pointed; ``refresh`` (a dotted path to a
    callable taking party ids) recomputes them for both parties after the merge and after the undo.
``register_ignored(label, reason)``
    Rows that must keep pointing at the party they were written for (merge records, decisions).

The built-in registrations at the bottom are made by label (``apps.get_model`` at use time), so this
module does not import apps above it (``imports``) or beside it (``interactions``); ideally each of those
apps would register its own from its ``ready()``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from clientela.core.changes import to_json

if TYPE_CHECKING:
    from clientela.identity.models import Merge
    from clientela.parties.models import Party

PARTY_LABEL = "parties.Party"

Hook = Callable[["MergeContext"], None]

_hooks: dict[str, list[Hook]] = defaultdict(list)
_derived: dict[str, str] = {}
_ignored: dict[str, str] = {}


def register_hook(label: str, hook: Hook) -> None:
    """Run ``hook(ctx)`` before the rows of model ``label`` ("app_label.ModelName") are re-pointed."""
    if hook not in _hooks[label]:
        _hooks[label].append(hook)


def register_derived(label: str, refresh: str) -> None:
    """Model ``label`` holds figures computed per party: refresh them (dotted path) instead of moving rows."""
    _derived[label] = refresh


def register_ignored(label: str, reason: str) -> None:
    """Rows of model ``label`` keep pointing at the party they name; ``reason`` documents why."""
    _ignored[label] = reason


@dataclass(frozen=True)
class Reference:
    """One foreign key to Party: ``model.field``."""

    model: type[models.Model]
    field: models.ForeignKey

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def key(self) -> str:
        return f"{self.label}.{self.field.name}"

    def unique_sets(self) -> list[tuple[str, ...]]:
        """Unconditional unique field sets containing this reference, as the *other* field names."""
        meta = self.model._meta
        sets: list[tuple[str, ...]] = [tuple(s) for s in meta.unique_together]
        sets += [
            tuple(c.fields)
            for c in meta.constraints
            if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
        ]
        if self.field.unique:
            sets.append((self.field.name,))
        names = {self.field.name, self.field.attname}
        return [tuple(n for n in s if n not in names) for s in sets if names & set(s)]


def _party_model() -> type[Party]:
    return apps.get_model(PARTY_LABEL)


def discover() -> list[Reference]:
    """Every concrete foreign key to Party in the installed apps (registered or not)."""
    party = _party_model()
    refs = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        for f in model._meta.local_fields:
            if isinstance(f, models.ForeignKey) and f.remote_field.model is party:
                refs.append(Reference(model, f))
    return refs


def references() -> list[Reference]:
    """The references a merge re-points (discovered minus derived and ignored models); raises if unsafe."""
    problems = reference_problems()
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
    return [r for r in discover() if r.label not in _derived and r.label not in _ignored]


def derived_refreshers() -> list[Callable[[Iterable[int]], Any]]:
    """The refresh callables of registered derived models that are installed."""
    installed = {r.label for r in discover()}
    return [import_string(path) for label, path in sorted(_derived.items()) if label in installed]


def reference_problems() -> list[str]:
    """References that the generic re-pointing cannot handle and that have no hook."""
    problems = []
    by_model: dict[str, list[Reference]] = defaultdict(list)
    for ref in discover():
        by_model[ref.label].append(ref)
    for label, refs in by_model.items():
        if label in _derived or label in _ignored or _hooks.get(label):
            continue
        meta = refs[0].model._meta
        names = {n for r in refs for n in (r.field.name, r.field.attname)}
        if not isinstance(meta.pk, models.IntegerField):
            problems.append(f"{label}: its primary key is not an integer (or is the party itself)")
        for c in meta.constraints:
            if isinstance(c, models.UniqueConstraint) and (
                (c.condition is not None and names & set(c.fields)) or (c.expressions and not c.fields)
            ):
                problems.append(f"{label}: unique constraint {c.name} needs a merge hook")
        for ref in refs:
            for others in ref.unique_sets():
                if names & set(others):
                    problems.append(f"{label}: a unique set with two customer references needs a merge hook")
    return problems


def check_references(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every reference to Party can be merged safely."""
    return [
        checks.Error(
            problem,
            hint="Register a merge hook, or declare the model derived or ignored, in clientela.identity.references.",
            id="identity.E001",
        )
        for problem in reference_problems()
    ]


# --- Rows ---------------------------------------------------------------------------------------------------


def row_state(obj: models.Model) -> dict[str, Any]:
    """Every column of ``obj`` as JSON-safe data (what a deletion must keep to re-insert the row)."""
    return {f.attname: to_json(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _version_bump(model: type[models.Model]) -> dict[str, Any]:
    """Columns that every change of a row must move along: its version (ETags) and its update time."""
    extra: dict[str, Any] = {}
    names = {f.name: f for f in model._meta.concrete_fields}
    if isinstance(names.get("version"), models.IntegerField):
        extra["version"] = F("version") + 1
    updated = names.get("updated_at")
    if isinstance(updated, models.DateTimeField) and updated.auto_now:
        extra["updated_at"] = timezone.now()
    return extra


@dataclass
class MergeContext:
    """What a hook sees: the two parties, the field decisions, and the recorded ways to resolve clashes."""

    merge: Merge
    survivor: Party
    merged: Party
    from_merged: frozenset[str]  # party fields whose surviving value came from the merged party
    survivorship_fields: tuple[str, ...]
    changes: list[Any] = field(default_factory=list)  # unsaved MergeChange rows

    def delete_rows(self, queryset: models.QuerySet) -> int:
        """Delete these rows, keeping each one's full state so the undo re-inserts it."""
        from clientela.identity.models import MergeChange

        model = queryset.model
        label = model._meta.label
        dependants = [
            rel
            for rel in model._meta._get_fields(forward=False, reverse=True, include_hidden=True)
            if getattr(rel, "on_delete", None) not in (None, models.DO_NOTHING)
        ]
        if dependants:
            # deleting would cascade to (or null out) rows the undo does not know about: resolve the clash
            # with update_rows, or delete those rows first through this method
            raise ImproperlyConfigured(f"A merge cannot delete {label} rows: other rows depend on them")
        rows = list(queryset)
        if not rows:
            return 0
        self.changes += [
            MergeChange(
                merge=self.merge,
                model=label,
                object_id=row.pk,
                action=MergeChange.Action.DELETE,
                data=row_state(row),
            )
            for row in rows
        ]
        _total, per_model = model._base_manager.filter(pk__in=[r.pk for r in rows]).delete()
        cascaded = {k for k, n in per_model.items() if n and k.lower() != label.lower()}
        if cascaded:
            # the undo could not bring those back: such a model needs a hook that does not delete
            raise ImproperlyConfigured(f"Deleting {label} rows in a merge cascaded to {sorted(cascaded)}")
        return len(rows)

    def update_rows(self, queryset: models.QuerySet, **values: Any) -> int:
        """Set ``values`` on these rows (bumping version/updated_at), keeping the values they replace."""
        from clientela.identity.models import MergeChange

        model = queryset.model
        rows = list(queryset.values("pk", *values))
        if not rows:
            return 0
        after = {k: to_json(v) for k, v in values.items()}
        self.changes += [
            MergeChange(
                merge=self.merge,
                model=model._meta.label,
                object_id=row["pk"],
                action=MergeChange.Action.UPDATE,
                data={"before": {k: to_json(row[k]) for k in values}, "after": after},
            )
            for row in rows
        ]
        model._base_manager.filter(pk__in=[r["pk"] for r in rows]).update(**values, **_version_bump(model))
        return len(rows)


def _dedupe(ctx: MergeContext, ref: Reference) -> None:
    """Delete the merged party's rows that would duplicate the survivor's under an unconditional unique set."""
    manager = ref.model._base_manager
    name = ref.field.attname
    for others in ref.unique_sets():
        mine = manager.filter(**{name: ctx.merged.pk})
        theirs = manager.filter(**{name: ctx.survivor.pk})
        if others:
            clash = mine.filter(Exists(theirs.filter(**{o: OuterRef(o) for o in others})))
        elif theirs.exists():
            clash = mine
        else:
            continue
        ctx.delete_rows(clash)


def _insert_moves(merge_id: int, ref: Reference, from_id: int) -> int:
    """Record the ids of ``ref``'s rows pointing at ``from_id`` in one INSERT ... SELECT."""
    from clientela.identity.models import MergeMove

    qn = connection.ops.quote_name
    mm = MergeMove._meta
    columns = {f.name: f.column for f in mm.concrete_fields}
    cols = ", ".join(qn(columns[n]) for n in ("merge", "model", "field", "object_id"))
    meta = ref.model._meta
    # Table and column names come from model metadata, never from input; the values are parameters.
    sql = (
        f"INSERT INTO {qn(mm.db_table)} ({cols}) "  # noqa: S608
        f"SELECT %s, %s, %s, {qn(meta.pk.column)} FROM {qn(meta.db_table)} WHERE {qn(ref.field.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [merge_id, ref.label, ref.field.name, from_id])
        return max(cursor.rowcount, 0)


def repoint(ctx: MergeContext) -> dict[str, int]:
    """Run hooks, resolve unique clashes and re-point every reference; returns moved counts by reference."""
    refs = references()
    for label in dict.fromkeys(r.label for r in refs):
        for hook in _hooks.get(label, ()):
            hook(ctx)
    for ref in refs:
        _dedupe(ctx, ref)
    counts: dict[str, int] = {}
    for ref in refs:
        moved = _insert_moves(ctx.merge.pk, ref, ctx.merged.pk)
        if moved:
            ref.model._base_manager.filter(**{ref.field.attname: ctx.merged.pk}).update(
                **{ref.field.attname: ctx.survivor.pk}
            )
            counts[ref.key] = moved
    return counts


def repoint_back(merge: Merge) -> None:
    """Send every row the merge moved, and that still points at the survivor, back to the merged party."""
    from clientela.identity.models import MergeMove

    for key in merge.moved_counts:
        label, name = key.rsplit(".", 1)
        model = apps.get_model(label)
        attname = model._meta.get_field(name).attname
        ids = MergeMove.objects.filter(merge=merge, model=label, field=name).values("object_id")
        model._base_manager.filter(Q(pk__in=ids), **{attname: merge.survivor_pk}).update(
            **{attname: merge.merged_pk}
        )


def restore_changes(merge: Merge) -> None:
    """Re-insert the rows the merge deleted and put back the columns it changed (unless changed since)."""
    deleted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    updated: dict[str, list[Any]] = defaultdict(list)
    for change in merge.changes.order_by("id"):
        if change.action == "delete":
            deleted[change.model].append(change.data)
        else:
            updated[change.model].append(change)
    for label, changes in updated.items():
        model = apps.get_model(label)
        fields = sorted({k for c in changes for k in c.data["after"]})
        current = {
            r["pk"]: r
            for r in model._base_manager.filter(pk__in=[c.object_id for c in changes]).values("pk", *fields)
        }
        for change in changes:
            row = current.get(change.object_id)
            if row is None:
                continue
            # a column edited after the merge keeps its newer value
            back = {
                k: model._meta.get_field(k).to_python(v)
                for k, v in change.data["before"].items()
                if to_json(row[k]) == change.data["after"][k]
            }
            if back:
                model._base_manager.filter(pk=change.object_id).update(**back, **_version_bump(model))
    for label, states in deleted.items():
        model = apps.get_model(label)
        objs = []
        for state in states:
            obj = model(**{f.attname: f.to_python(state[f.attname]) for f in model._meta.concrete_fields})
            objs.append(obj)
        model._base_manager.bulk_create(objs)
        # bulk_create stamps auto_now/auto_now_add columns with the current time: put the originals back
        stamped = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
        ]
        for state in states if stamped else ():
            model._base_manager.filter(pk=state[model._meta.pk.attname]).update(
                **{f.attname: f.to_python(state[f.attname]) for f in stamped}
            )


# --- Built-in hooks -------------------------------------------------------------------------------------------


def _contact_points(ctx: MergeContext) -> None:
    """One primary per kind: the merged party's primary yields to the survivor's; a value the survivor
    already has (same kind and normalised value) is kept but not primary."""
    model = apps.get_model("parties.ContactPoint")
    live = model._base_manager.filter(deleted_at__isnull=True)
    theirs = list(live.filter(party_id=ctx.survivor.pk).values_list("kind", "normalized", "is_primary"))
    primary_kinds = {kind for kind, _n, primary in theirs if primary}
    values = {(kind, norm) for kind, norm, _p in theirs if norm}
    demote = [
        pk
        for pk, kind, norm in live.filter(party_id=ctx.merged.pk, is_primary=True).values_list(
            "pk", "kind", "normalized"
        )
        if kind in primary_kinds or (kind, norm) in values
    ]
    if demote:
        ctx.update_rows(model._base_manager.filter(pk__in=demote), is_primary=False)


def _relationships(ctx: MergeContext) -> None:
    """A link between the two merged parties would become a party's link to itself: delete it (the undo
    brings it back). A person keeps one main organisation: the survivor's."""
    model = apps.get_model("parties.Relationship")
    rows = model._base_manager
    a, b = ctx.merged.pk, ctx.survivor.pk
    ctx.delete_rows(rows.filter(Q(person_id=a, organisation_id=b) | Q(person_id=b, organisation_id=a)))
    # the same link on both sides, role and dates included, would show twice and says nothing more
    # (compared in Python: NULL dates must count as equal, which SQL "=" does not do)
    cols = ("person_id", "organisation_id", "role", "start_date", "end_date")
    theirs = set(rows.filter(Q(person_id=b) | Q(organisation_id=b)).values_list(*cols))
    twins = [
        pk
        for pk, *row in rows.filter(Q(person_id=a) | Q(organisation_id=a)).values_list("pk", *cols)
        if (b if row[0] == a else row[0], b if row[1] == a else row[1], *row[2:]) in theirs
    ]
    if twins:
        ctx.delete_rows(rows.filter(pk__in=twins))
    if rows.filter(person_id=b, is_primary=True).exists():
        ctx.update_rows(rows.filter(person_id=a, is_primary=True), is_primary=False)


def _provenance(ctx: MergeContext) -> None:
    """A field's provenance follows its surviving value: the merged party's row for the fields it supplied,
    the survivor's for the others; the row of the value that lost is deleted (and restored by the undo)."""
    model = apps.get_model("imports.FieldProvenance")
    rows = model._base_manager
    taken = sorted(ctx.from_merged)
    kept = [f for f in ctx.survivorship_fields if f not in ctx.from_merged]
    ctx.delete_rows(
        rows.filter(Q(party_id=ctx.survivor.pk, field__in=taken) | Q(party_id=ctx.merged.pk, field__in=kept))
    )


register_hook("parties.ContactPoint", _contact_points)
register_hook("parties.Relationship", _relationships)
register_hook("imports.FieldProvenance", _provenance)
register_derived("interactions.PartyStats", "clientela.interactions.stats.party_stats_refresh")
register_ignored("identity.Merge", "a merge names the parties it joined, for undo and redirects")
register_ignored("identity.NotDuplicate", "a decision is about the two parties as they were judged")
register_ignored("identity.MatchCandidate", "a possible duplicate names the two parties as they were scored")
register_derived("identity.MatchKey", "clientela.identity.keys.match_keys_refresh")
