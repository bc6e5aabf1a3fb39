"""`clientela demo --interactions N`: a heavy-tailed, coherent ledger whose rows are what the services store."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.forms.models import model_to_dict
from django.utils import timezone

from clientela.accounts.models import User
from clientela.core.bulk import TableWriter
from clientela.core.models import SourceSystem
from clientela.demo import interaction_texts as texts
from clientela.demo import interactions as demo_interactions
from clientela.demo.generator import DemoContext, run_steps
from clientela.demo.interactions import (
    COLUMNS,
    DEFERRED_INDEXES,
    EPOCH,
    InteractionsStep,
    allocate,
    datetime_adapter,
)
from clientela.demo.parties import PartiesStep
from clientela.demo.staff import StaffStep
from clientela.demo.stats import stats_refresh
from clientela.interactions.choices import Channel, Direction, Kind
from clientela.interactions.models import Interaction, PartyStats
from clientela.interactions.payloads import dump_payload, parse_payload
from clientela.interactions.selectors import customer_upcoming, timeline_queryset
from clientela.interactions.services import filed_under, interaction_log, source_get_or_create
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.models import Party
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person


def run_demo(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **{k: str(v) for k, v in options.items()})
    return out.getvalue()


@pytest.fixture
def ledger(db) -> str:
    return run_demo(people=40, orgs=15, interactions=3000, seed=5)


def per_party() -> Counter[int]:
    return Counter(Interaction.objects.values_list("party_id", flat=True))


def stats_snapshot() -> dict[int, dict]:
    return {
        s.party_id: {k: v for k, v in model_to_dict(s).items() if k != "updated_at"}
        for s in PartyStats.objects.all()
    }


# --- what a run makes ------------------------------------------------------------------------------------


def test_small_run_makes_every_kind_and_says_so(ledger):
    assert Interaction.objects.count() == 3000
    # credit notes come only from the ERP loop (PUT /api/v1/erp/credit-notes); the demo ledger has none yet
    assert set(Interaction.objects.values_list("kind", flat=True)) == set(Kind.values) - {"credit_note"}
    assert "3,000 interactions in " in ledger
    assert "interactions: 3,000/3,000 (100%)" in ledger


def test_heavy_tail_over_parties(ledger):
    counts = per_party()
    values = sorted(counts.values())
    assert max(values) >= 10 * statistics.median(values)
    assert Party.objects.count() > len(counts)  # some customers have no interactions at all
    assert Party.objects.filter(kind="organisation", interactions__isnull=False).exists()


def test_payloads_are_what_the_services_store(ledger):
    roles = dict(User.objects.values_list("pk", "role__slug"))
    now = timezone.now()
    for row in Interaction.objects.select_related("source"):
        parsed, errors = parse_payload(row.kind, row.payload)
        assert not errors, (row.kind, errors, row.payload)
        assert dump_payload(parsed) == row.payload
        assert row.summary == parsed.summary()[:300]
        amount, currency = parsed.money()
        assert row.amount == (amount.quantize(Decimal("0.01")) if amount is not None else None)
        assert row.currency == currency
        assert row.status == str(getattr(parsed, "status", "") or "")
        assert row.channel in Channel.values and row.direction in Direction.values
        assert timezone.is_aware(row.occurred_at)
        assert row.occurred_at <= now or row.kind == Kind.MEETING
        assert row.occurred_at > now - dt.timedelta(days=5 * 365 + 3)
        assert row.is_current and row.supersedes_id is None
        if row.source.slug == SourceSystem.MANUAL_SLUG:
            assert row.external_id == "" and row.kind in (Kind.NOTE, Kind.MEETING, Kind.OTHER)
        else:
            assert row.external_id.startswith(
                ("MAIL-", "CALL-", "TCK-", "ORD-", "INV-", "PAY-", "BAL-", "RET-", "SOC-")
            )
        if row.kind in (Kind.PURCHASE, Kind.INVOICE, Kind.PAYMENT, Kind.BALANCE, Kind.RETURN):
            assert row.user_id is None  # ledger entries from the back office, as the services file them
        if row.user_id is not None:
            wanted = (
                {"support_agent"}
                if row.kind in (Kind.COMPLAINT, Kind.SUGGESTION)
                else {"sales_rep", "manager"}
            )
            if row.kind == Kind.SOCIAL:
                wanted = {"marketing"}
            assert roles[row.user_id] in wanted, (row.kind, roles[row.user_id])
            assert row.created_by_id in (None, row.user_id)
    pairs = Counter(Interaction.objects.exclude(external_id="").values_list("source_id", "external_id"))
    assert set(pairs.values()) == {1}
    slugs = set(Interaction.objects.values_list("source__slug", flat=True))
    assert slugs == {"erp", "shop", "helpdesk", "mail", "phone", "social", SourceSystem.MANUAL_SLUG}


def test_money_comes_in_the_customers_currency(ledger):
    main = {"ES": "EUR", "MX": "MXN", "US": "USD", "AR": "USD", "CO": "COP"}
    purchases = Interaction.objects.filter(kind=Kind.PURCHASE).select_related("party")
    share = Counter(p.currency == main[p.party.country] for p in purchases)
    assert share[True] > 0.9 * sum(share.values())
    assert {"EUR", "USD", "MXN"} <= {p.currency for p in purchases}


def test_orders_invoices_payments_and_returns_refer_to_each_other(ledger):
    rows = list(Interaction.objects.filter(kind__in=["purchase", "invoice", "payment", "return"]))
    orders = {(r.party_id, r.payload["document_number"]): r for r in rows if r.kind == "purchase"}
    invoices = {(r.party_id, r.payload["document_number"]): r for r in rows if r.kind == "invoice"}
    assert orders and invoices
    for inv in invoices.values():
        order = orders[(inv.party_id, inv.payload["order_reference"])]
        assert (order.amount, order.currency, order.organisation_id) == (
            inv.amount,
            inv.currency,
            inv.organisation_id,
        )
        assert order.occurred_at <= inv.occurred_at
    for pay in (r for r in rows if r.kind == "payment"):
        inv = invoices[(pay.party_id, pay.payload["invoice_reference"])]
        assert (pay.amount, pay.currency) == (inv.amount, inv.currency)
        assert inv.occurred_at <= pay.occurred_at and inv.status != "cancelled"
    returns = [r for r in rows if r.kind == "return"]
    assert returns
    for ret in returns:
        order = orders[(ret.party_id, ret.payload["reference"])]
        assert order.occurred_at < ret.occurred_at
        ordered = {line["product"]: int(line["quantity"]) for line in order.payload["lines"]}
        for line in ret.payload["lines"]:
            assert 0 < int(line["quantity"]) <= ordered[line["product"]]
            assert line["order_line_ref"].startswith(order.payload["document_number"] + "/")
        assert ret.amount == sum(Decimal(line["total"]) for line in ret.payload["lines"])


def test_balance_statements_agree_with_the_invoices_and_payments_before_them(ledger):
    balances = list(Interaction.objects.filter(kind=Kind.BALANCE))
    assert balances
    for bal in balances:
        before = Interaction.objects.filter(
            party_id=bal.party_id, currency=bal.currency, occurred_at__lte=bal.occurred_at
        )
        invoiced = sum(r.amount for r in before.filter(kind="invoice").exclude(status="cancelled"))
        paid = sum(r.amount for r in before.filter(kind="payment"))
        assert bal.amount == invoiced - paid
        assert bal.payload["as_of"] == bal.occurred_at.date().isoformat()


def test_texts_follow_the_customers_language(ledger):
    subjects = {lang: {c[0] for c in texts.COMPLAINTS[lang]} for lang in ("es", "en")}
    topics = {lang: {s[0] for s in texts.SUGGESTIONS[lang]} for lang in ("es", "en")}
    seen = set()
    for row in Interaction.objects.filter(kind__in=["complaint", "suggestion"]).select_related("party"):
        lang = "en" if row.party.language == "en" else "es"
        assert row.summary in (subjects if row.kind == "complaint" else topics)[lang]
        seen.add(lang)
    assert seen == {"es", "en"}


def test_rows_are_filed_under_organisations_as_the_services_file_them(ledger):
    assert (
        not Interaction.objects.filter(party__kind="organisation").exclude(organisation=F("party")).exists()
    )
    people = Party.objects.filter(kind="person", interactions__isnull=False).distinct()
    employed = 0
    for person in people:
        employer = filed_under(person, None)
        employed += employer is not None
        filed = set(person.interactions.values_list("organisation_id", flat=True))
        assert filed == {employer.pk if employer else None}
    assert employed
    row = Interaction.objects.filter(party__kind="person").exclude(organisation=None).first()
    assert timeline_queryset(row.organisation).filter(pk=row.pk).exists()


def test_some_meetings_are_upcoming(ledger):
    future = Interaction.objects.filter(occurred_at__gt=timezone.now())
    assert future.exists()
    assert set(future.values_list("kind", flat=True)) == {Kind.MEETING}
    meeting = future.first()
    assert meeting.payload["conclusion"] == ""
    assert meeting.pk in [entry.id for entry in customer_upcoming(party=meeting.party)]


def test_key_figures_are_those_of_the_reference_refresh(ledger):
    fast = stats_snapshot()
    assert len(fast) >= len(per_party())
    counts = per_party()
    filed = Counter(
        Interaction.objects.exclude(organisation=None)
        .exclude(party_id=F("organisation_id"))
        .values_list("organisation_id", flat=True)
    )
    for party_id, figures in fast.items():
        assert figures["interaction_count"] == counts[party_id] + filed[party_id]
    PartyStats.objects.all().delete()
    party_stats_refresh(list(fast))
    assert stats_snapshot() == fast
    assert any(f["other_currencies"] for f in fast.values())
    assert any(f["balance_as_of"] for f in fast.values())
    assert any(f["open_complaints"] for f in fast.values())


# --- determinism, options, re-runs --------------------------------------------------------------------


def ledger_snapshot(ctx: DemoContext) -> list[tuple]:
    """The run's rows without ids or run-specific values, in a stable order."""
    position = {pk: i for i, pk in enumerate(ctx.party_ids)}
    rows = Interaction.objects.filter(party_id__in=list(ctx.party_ids)).select_related("source")
    return sorted(
        (
            position[r.party_id],
            r.occurred_at,
            r.kind,
            r.channel,
            r.direction,
            position.get(r.organisation_id),
            r.user_id,
            r.source.slug,
            r.external_id.split("-")[0],
            r.summary,
            repr(r.payload),
            r.amount,
            r.currency,
            r.status,
        )
        for r in rows
    )


def demo_run(seed: int, now: dt.datetime) -> DemoContext:
    ctx = DemoContext(seed=seed, now=now)
    return run_steps(ctx, [StaffStep(8), PartiesStep(people=25, orgs=8), InteractionsStep(700)])


def test_same_seed_same_ledger_whatever_the_chunking(db, monkeypatch):
    now = timezone.now().replace(microsecond=0)
    first = ledger_snapshot(demo_run(7, now))
    monkeypatch.setattr(demo_interactions, "ROWS_PER_TRANSACTION", 37)
    monkeypatch.setattr(demo_interactions, "PARTIES_PER_READ", 5)
    second = ledger_snapshot(demo_run(7, now))
    assert len(first) == 700 and second == first
    assert ledger_snapshot(demo_run(8, now)) != first
    # External ids carry the run, so runs never collide on (source, external id).
    assert Interaction.objects.exclude(external_id="").values("external_id").distinct().count() == (
        Interaction.objects.exclude(external_id="").count()
    )


@pytest.mark.parametrize("value", ["-1", "lots", "1.5", "999999999999"])
def test_bad_interactions_option_is_a_one_line_error(db, value):
    with pytest.raises(CommandError) as exc:
        call_command("demo", stdout=StringIO(), interactions=value)
    assert "\n" not in str(exc.value) and "--interactions" in str(exc.value)
    assert not Party.objects.exists() and not Interaction.objects.exists()


def test_negative_interactions_says_what_is_wrong(db):
    with pytest.raises(CommandError, match="--interactions cannot be negative"):
        call_command("demo", stdout=StringIO(), interactions="-1")


def test_without_new_customers_interactions_go_to_the_existing_ones(db):
    out = run_demo(people=0, orgs=0, users=0, interactions=50)
    assert "No customers to add interactions to." in out
    assert not Interaction.objects.exists()
    run_demo(people=10, orgs=3, seed=2)
    assert not Interaction.objects.exists()  # --interactions defaults to 0
    run_demo(people=0, orgs=0, interactions=400, seed=2)
    assert Interaction.objects.count() == 400
    assert set(per_party()) <= set(Party.objects.values_list("pk", flat=True))
    assert PartyStats.objects.filter(interaction_count__gt=0).exists()


# --- large-load machinery ------------------------------------------------------------------------------


def index_definitions() -> dict[str, tuple]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Interaction._meta.db_table)
    return {name: (tuple(c["columns"]), tuple(c.get("orders") or ())) for name, c in found.items()}


def test_large_loads_rebuild_the_time_indexes_as_they_were(db, monkeypatch):
    before = index_definitions()
    assert set(DEFERRED_INDEXES) <= set(before)
    monkeypatch.setattr(demo_interactions, "DEFER_INDEXES_FROM", 1)
    out = run_demo(people=8, orgs=2, interactions=200)
    assert "Rebuilding 3 indexes" in out
    assert index_definitions() == before


def test_indexes_are_rebuilt_when_the_load_fails_and_repaired_on_the_next_run(db, monkeypatch):
    before = index_definitions()
    monkeypatch.setattr(demo_interactions, "DEFER_INDEXES_FROM", 1)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(InteractionsStep, "_generate", broken)
    with pytest.raises(RuntimeError):
        run_demo(people=3, orgs=1, interactions=20)
    assert index_definitions() == before
    demo_interactions.indexes_drop()  # as if a run had been killed half-way
    monkeypatch.undo()
    run_demo(people=3, orgs=1, interactions=20)
    assert index_definitions() == before


def test_datetime_adapter_matches_the_backends(db):
    writer = TableWriter(Interaction, COLUMNS, prepared=("occurred_at", "payload"))
    adapt = datetime_adapter(writer)
    for ts in (0, 1_700_000_000, 1_735_689_599, 1_798_761_600):
        assert adapt(ts) == writer.prepare_datetime(EPOCH + dt.timedelta(seconds=ts))


def test_allocate_is_exact_capped_and_keeps_zeros():
    weights = [0.0, 1.0, 2.0, 500.0, 0.0, 3.0, 1.5]
    counts = allocate(weights, 1000, cap=400)
    assert sum(counts) == 1000
    assert counts[0] == counts[4] == 0
    assert max(counts) <= 401
    assert counts[3] == max(counts)
    assert sum(allocate([1.0, 1.0], 10, cap=2)) == 10  # the cap gives way when the total cannot fit
    assert list(allocate([0.0, 0.0], 5)) == [0, 0]


# --- the fast figures path against the reference ------------------------------------------------------------


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.mark.django_db
def test_fast_figures_equal_the_reference_on_edge_cases(admin_user):
    a = actor_for(admin_user)
    person, other = make_person(admin_user), make_person(admin_user, given_names="Otra")
    org = make_organisation(admin_user)
    relationship_add(actor=a, person=person, organisation=org)
    erp = source_get_or_create("erp")

    def log(party, kind, days, payload, **extra):
        interaction_log(
            actor=a,
            party=party,
            kind=kind,
            occurred_at=ago(days),
            payload=payload,
            refresh_stats=False,
            **extra,
        )

    log(
        person,
        "purchase",
        40,
        {"document_number": "P1", "total": "100.10", "currency": "EUR"},
        organisation=org,
    )
    log(person, "purchase", 30, {"document_number": "P2", "total": "20", "currency": "USD"})
    log(person, "invoice", 29, {"document_number": "F1", "total": "100.10", "currency": "EUR"})
    log(
        person,
        "invoice",
        28,
        {"document_number": "F2", "total": "5", "currency": "EUR", "status": "cancelled"},
    )
    log(person, "payment", 20, {"amount": "50", "currency": "EUR", "invoice_reference": "F1"})
    log(person, "balance", 15, {"amount": "70.00", "currency": "EUR"}, source=erp, external_id="B1")
    log(person, "balance", 15.5, {"amount": "1.00", "currency": "EUR"})
    log(person, "invoice", 10, {"document_number": "F3", "total": "30", "currency": "EUR"})
    log(person, "payment", 9, {"amount": "7", "currency": "USD"})
    log(person, "return", 8, {"lines": [{"product": "X"}], "refund_amount": "3", "currency": "EUR"})
    log(person, "complaint", 7, {"subject": "Roto", "status": "in_progress"}, organisation=org)
    log(person, "complaint", 6, {"subject": "Otro", "status": "resolved"})
    same = ago(3)
    for kind, payload in (("email", {"subject": "A"}), ("call", {"summary": "B"})):
        interaction_log(
            actor=a, party=person, kind=kind, occurred_at=same, payload=payload, refresh_stats=False
        )
    log(person, "note", 1, {"text": "no es un contacto"})
    log(person, "meeting", -5, {"objective": "futura"}, organisation=org)
    log(org, "invoice", 12, {"document_number": "F9", "total": "9.99", "currency": "MXN"})
    log(org, "email", 2, {"subject": "Directo"})
    log(
        other, "invoice", 5, {"document_number": "F0", "total": "1", "currency": "EUR", "status": "cancelled"}
    )
    ids = sorted([person.pk, other.pk, org.pk])

    party_stats_refresh(ids)
    reference = stats_snapshot()
    PartyStats.objects.all().delete()
    stats_refresh(ids)
    assert stats_snapshot() == reference
    # With figures already there (the main currency sticks) both agree again.
    PartyStats.objects.filter(party_id=person.pk).update(currency="USD")
    party_stats_refresh(ids)
    reference = stats_snapshot()
    PartyStats.objects.filter(party_id=person.pk).update(currency="USD")
    stats_refresh(ids)
    assert stats_snapshot() == reference
    assert reference[person.pk]["currency"] == "USD"
    assert reference[org.pk]["open_complaints"] == 1
