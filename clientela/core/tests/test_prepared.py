"""prepared_rows: a queryset compiled once per shape gives what Django gives, for every later value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from clientela.core.prepared import _cache, forget_prepared, prepared_rows
from clientela.interactions.models import Interaction
from clientela.interactions.services import interaction_log
from clientela.parties.models import Party
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    forget_prepared()
    yield
    forget_prepared()


@pytest.fixture
def compiles(monkeypatch):
    """How many times Django compiled a query's SQL."""
    calls = {"n": 0}
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


def _ledger(admin_user):
    ana = make_person(admin_user, given_names="Ana")
    luis = make_person(admin_user, given_names="Luis")
    org = make_organisation(admin_user)
    base = timezone.now() - dt.timedelta(days=10)
    for i, party in enumerate([ana, ana, ana, luis]):
        interaction_log(
            actor=actor_for(admin_user),
            party=party,
            kind="purchase",
            occurred_at=base + dt.timedelta(hours=i),
            payload={"document_number": f"F-{i}", "total": f"{i}0.50", "currency": "EUR"},
        )
    return ana, luis, org


def _entries(pk, since):
    return (
        Interaction.objects.filter(party_id=pk, occurred_at__gte=since, is_current=True)
        .order_by("-occurred_at", "-id")
        .values_list("id", "occurred_at", "payload", "amount", "source__name")[:10]
    )


def test_values_rows_equal_djangos_for_each_new_value_and_compile_once(admin_user, compiles):
    ana, luis, _org = _ledger(admin_user)
    since = timezone.now() - dt.timedelta(days=30)
    expected = {pk: list(_entries(pk, since)) for pk in (ana.pk, luis.pk)}
    assert len(expected[ana.pk]) == 3 and len(expected[luis.pk]) == 1
    compiles["n"] = 0
    for pk in (ana.pk, luis.pk, ana.pk):
        assert prepared_rows("entries", _entries, [pk, since]) == expected[pk]
    assert compiles["n"] == 1
    row = expected[ana.pk][0]
    assert isinstance(row[1], dt.datetime) and row[1].tzinfo is not None  # converters applied
    assert isinstance(row[2], dict) and isinstance(row[3], Decimal)
    # a later date cuts rows: the date is a parameter, not part of the compiled SQL
    later = expected[ana.pk][1][1]
    assert [r[0] for r in prepared_rows("entries", _entries, [ana.pk, later])] == [
        r[0] for r in expected[ana.pk][:2]
    ]


def _party(pk):
    return (
        Party.objects.select_related("owner", "created_by", "stats")
        .annotate(n_contacts=Count("contact_points"))
        .filter(pk=pk)[:1]
    )


def test_model_instances_equal_djangos_with_joined_relations_and_annotations(admin_user):
    ana, luis, org = _ledger(admin_user)
    for party in (ana, org, luis):
        (mine,) = prepared_rows("party", _party, [party.pk])
        (theirs,) = list(_party(party.pk))
        assert type(mine) is Party and mine.pk == party.pk
        fields = [f.attname for f in Party._meta.concrete_fields]
        assert [getattr(mine, f) for f in fields] == [getattr(theirs, f) for f in fields]
        assert mine.n_contacts == theirs.n_contacts
        assert mine.owner == theirs.owner == admin_user  # joined, no query needed
        counts = [getattr(getattr(p, "stats", None), "interaction_count", None) for p in (mine, theirs)]
        assert counts[0] == counts[1] == (None if party == org else 3 if party == ana else 1)
        assert mine._state.adding is False and mine._state.db == "default"


def test_no_row_and_unknown_ids(admin_user):
    _ledger(admin_user)
    assert prepared_rows("party", _party, [10**9]) == []


def test_values_the_sql_does_not_carry_as_parameters_fall_back_to_django(admin_user, compiles):
    ana, luis, _org = _ledger(admin_user)

    def by_name(text):  # icontains wraps the text in wildcards: it is no longer the value given
        return Party.objects.filter(given_names__icontains=text).order_by("pk").values_list("pk")

    assert prepared_rows("by_name", by_name, ["an"]) == [(ana.pk,)]
    assert prepared_rows("by_name", by_name, ["ui"]) == [(luis.pk,)]
    # None and booleans shape the SQL (IS NULL, a constant): never compiled as values
    assert prepared_rows("owner", lambda v: Party.objects.filter(team_id=v).values_list("pk"), [None]) != []


def test_a_shape_that_matches_nothing(admin_user):
    _ledger(admin_user)
    assert prepared_rows("none", lambda pk: Party.objects.filter(pk=pk).none(), [1]) == []


def test_other_keys_compile_their_own_sql(admin_user):
    ana, _luis, _org = _ledger(admin_user)

    def people(pk):
        return Party.objects.filter(pk=pk, kind="person").values_list("pk")

    def organisations(pk):
        return Party.objects.filter(pk=pk, kind="organisation").values_list("pk")

    assert prepared_rows("people", people, [ana.pk]) == [(ana.pk,)]
    assert prepared_rows("organisations", organisations, [ana.pk]) == []


def test_a_lookup_that_refuses_the_placeholder_falls_back(admin_user):
    ana, _luis, _org = _ledger(admin_user)

    def strict(pk):
        if pk < 0:  # a build that validates its value
            raise ValueError("ids are positive")
        return Party.objects.filter(pk=pk).values_list("pk")

    assert prepared_rows("strict", strict, [ana.pk]) == [(ana.pk,)]
    with pytest.raises(ValueError):
        prepared_rows("strict", strict, [-1])  # the caller's own error still reaches the caller


# --- PostgreSQL: prepared on the server ---------------------------------------------------------------

on_postgresql = pytest.mark.skipif(
    "__import__('django.db').db.connection.vendor != 'postgresql'", reason="server-side preparation"
)


def _server_statements() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def _names(pk):
    return Party.objects.filter(pk=pk).values_list("display_name")


@on_postgresql
def test_postgresql_prepares_a_shape_on_the_server_and_gives_the_same_rows(admin_user):
    people = [make_person(admin_user, given_names=f"Srv{i}") for i in range(3)]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = _server_statements()
    expected = [list(_names(person.pk)) for person in people]
    with CaptureQueriesContext(connection) as ctx:
        got = [prepared_rows(("srv",), _names, [person.pk]) for person in people]
    assert got == expected
    added = _server_statements() - before
    assert len(added) == 1 and "display_name" in next(iter(added))
    # logged with its values, as Django logs its own statements
    logged = [q["sql"] for q in ctx.captured_queries if "display_name" in (q["sql"] or "")]
    assert len(logged) == 3 and all(f'"id" = {p.pk}' in sql for p, sql in zip(people, logged, strict=True))
    # the first execution's savepoint is not counted: a page's first request counts what the next ones do
    assert len(ctx.captured_queries) == 3


@on_postgresql
def test_postgresql_keeps_planning_a_read_asked_not_to_prepare(admin_user):
    person = make_person(admin_user)
    before = _server_statements()
    assert prepared_rows(("srv-no",), _names, [person.pk], server_prepare=False) == list(_names(person.pk))
    assert _server_statements() == before


@on_postgresql
def test_postgresql_a_statement_the_server_cannot_type_falls_back_without_spoiling_the_transaction(
    admin_user, settings
):
    person = make_person(admin_user, given_names="Tipo")

    def untyped(pk):  # "$2 IS NOT NULL": the server cannot infer the parameter's type
        return Party.objects.filter(pk=pk).extra(where=["%s IS NOT NULL"], params=["x"]).values_list("id")

    assert prepared_rows(("untyped",), untyped, [person.pk]) == [(person.pk,)]
    assert prepared_rows(("untyped",), untyped, [person.pk]) == [(person.pk,)]
    assert Party.objects.filter(pk=person.pk).exists()  # the transaction still works
    (entry,) = [e for k, e in _cache().items() if k[0] == ("untyped",)]
    assert entry.server_ok is False

    settings.CLIENTELA_PG_PREPARED_READS = False
    before = _server_statements()
    prepared_rows(("srv-off",), _names, [person.pk])
    assert _server_statements() == before


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_in_autocommit_mode_the_first_execution_needs_no_transaction(builtin_roles, admin_user):
    # (builtin_roles: an earlier transactional test's flush empties the roles' data migration)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = make_person(admin_user, given_names="Auto")

    def untyped(pk):
        return Party.objects.filter(pk=pk).extra(where=["%s IS NOT NULL"], params=["x"]).values_list("id")

    with CaptureQueriesContext(connection) as ctx:
        assert prepared_rows(("auto",), _names, [person.pk]) == list(_names(person.pk))
        assert prepared_rows(("auto-untyped",), untyped, [person.pk]) == [(person.pk,)]
    statements = [q["sql"] for q in ctx.captured_queries]
    assert not any(sql in ("BEGIN", "COMMIT") or sql.startswith("SAVEPOINT") for sql in statements)
    assert Party.objects.filter(pk=person.pk).exists()
