"""The interactions step of the demo generator: ``--interactions N`` ledger rows spread over the customers.

How many rows each customer gets follows a heavy tail: every customer draws a Pareto weight (hundreds of
times the median for the largest accounts, zero for a share of leads that were never contacted),
organisations and current customers weigh more, and the total is split so that it is exactly N with no
customer above ``MAX_PER_PARTY``. Each customer's rows are then built as one coherent timeline over up
to five years, in its language: e-mail threads, calls, meetings (some scheduled in the future), notes,
social messages, complaints and suggestions, and for customers orders followed by their invoice and the
payment quoting that invoice, returns of earlier orders and, for companies, balance statements that agree
with the invoices and payments before them. Customers buy as a BG/NBD process with Gamma-Gamma order values
(``clientela.demo.purchases``): when, how much and until when each customer buys is drawn per customer,
and returns and complaints follow from the products of those orders. Rows are filed under an organisation as
``clientela.interactions.services.filed_under`` files them (an organisation's own under itself, a
person's under their current employer), which is how the organisation's page shows its people's activity.

Rows are built as plain tuples already in the form the services store (the tests validate samples through
the real payload models), written in transactions of ``ROWS_PER_TRANSACTION`` rows with the bulk writer,
and the customers' key figures are refreshed set-wise at the end (``clientela.demo.stats``). Memory stays
flat: one transaction of rows plus a few numbers per customer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.core.bulk import TableWriter
from clientela.core.models import SourceKind
from clientela.demo import interaction_texts as texts
from clientela.demo.builders import weighted
from clientela.demo.data import COUNTRIES
from clientela.demo.generator import DemoContext, DemoStep, count_option
from clientela.demo.pools import LocalePool, build_pool, slug
from clientela.demo.purchases import (
    DEFAULT_ISSUES,
    FOLLOW_UP_SLOT,
    PRODUCT_ISSUES,
    Buyer,
    Histories,
    History,
    affordable,
    issue_rates,
    order_value,
    quantity_for,
)
from clientela.demo.staff import STAFF_EMAIL_DOMAIN
from clientela.interactions.choices import Channel, Direction, Kind
from clientela.interactions.models import Interaction
from clientela.interactions.services import manual_source, source_get_or_create
from clientela.parties.choices import PartyKind
from clientela.parties.models import ContactPoint, Party, Relationship

MAX_INTERACTIONS = 100_000_000
ROWS_PER_TRANSACTION = 20_000
PARTIES_PER_READ = 2_000
MAX_PER_PARTY = 20_000
PARETO_ALPHA = 1.16  # the "80/20" shape: a fifth of the customers hold most of the activity
DAY = 86_400
HISTORY = 5 * 365 * DAY
FUTURE_MEETING_SHARE = 0.06
MAX_FUTURE_MEETINGS = 3
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Lifecycle status -> (share of customers with no interactions at all, weight multiplier).
STATUS_WEIGHT = {"lead": (0.35, 0.3), "prospect": (0.15, 0.6), "customer": (0.03, 1.3), "former": (0.05, 0.8)}
ORGANISATION_WEIGHT = 2.0
BUYING_STATUSES = frozenset({"customer", "former"})

# Source systems: slug -> (name, kind). Notes, meetings and "other" entries are typed in Clientela.
SOURCES = {
    "erp": ("ERP", SourceKind.FINANCE),
    "shop": ("Tienda online", SourceKind.SALES),
    "helpdesk": ("Helpdesk", SourceKind.SUPPORT),
    "mail": ("Correo", SourceKind.OTHER),
    "phone": ("Centralita", SourceKind.OTHER),
    "social": ("Redes sociales", SourceKind.SOCIAL),
}
MANUAL = "manual"

COLUMNS = (
    "kind",
    "occurred_at",
    "channel",
    "direction",
    "party",
    "organisation",
    "user",
    "source",
    "external_id",
    "summary",
    "payload",
    "amount",
    "currency",
    "status",
    "created_by",
)

# Events: one or more rows. "thread" is an e-mail and its reply, "order" an order, its invoice and payment.
EVENT_ROWS = {"thread": 2, "order": 3}
_MIX_PERSON = {
    "email": 16,
    "thread": 6,
    "call": 15,
    "note": 10,
    "meeting": 3,
    "social": 6,
    "complaint": 3,
    "suggestion": 2,
    "order": 10,
    "return": 2,
    "other": 2,
}
_MIX_ORGANISATION = {
    "email": 12,
    "thread": 6,
    "call": 12,
    "note": 12,
    "meeting": 7,
    "social": 2,
    "complaint": 3,
    "suggestion": 1,
    "order": 12,
    "return": 1,
    "other": 1,
    "balance": 2,
}
_NOT_BUYING = {"order", "return", "balance"}
MIXES = {
    (is_org, buying): weighted(
        [
            (e, w)
            for e, w in (_MIX_ORGANISATION if is_org else _MIX_PERSON).items()
            if buying or e not in _NOT_BUYING
        ]
    )
    for is_org in (False, True)
    for buying in (False, True)
}
# Buying customers' orders and returns come from their buying process (``purchases``), not from the mix.
CONTACT_MIXES = {
    is_org: tuple(e for e in MIXES[(is_org, True)] if e not in {"order", "return"})
    for is_org in (False, True)
}
SINGLE_ROW_EVENTS = ("email", "call", "note")
PRODUCT_COMPLAINTS = {lang: tuple(t for t in found if t[2]) for lang, found in texts.COMPLAINTS.items()}
# Share of the orders of a person with an employer placed for the employer (the rest are personal).
ORDERS_FOR_EMPLOYER = 0.7
EMPLOYER_ORDER_SCALE = 6.0  # a person buying for the company spends this many times its own basket
CALL_OUTCOMES = weighted([("answered", 70), ("no_answer", 15), ("voicemail", 10), ("busy", 5)])
SEVERITIES = weighted([("low", 30), ("medium", 45), ("high", 20), ("critical", 5)])
RECENT_COMPLAINT = weighted([("open", 45), ("in_progress", 35), ("resolved", 20)])
OLD_COMPLAINT = weighted([("resolved", 65), ("closed", 30), ("open", 5)])
COMPLAINT_CHANNELS = weighted([(Channel.EMAIL, 4), (Channel.PHONE, 3), (Channel.WEB, 2), (Channel.CHAT, 1)])
B2B_PAYMENT = weighted([("transfer", 65), ("direct_debit", 35)])
SHOP_PAYMENT = weighted([("card", 90), ("other", 10)])
STORE_PAYMENT = weighted([("card", 80), ("cash", 20)])


# --- heavy-tailed allocation ----------------------------------------------------------------------------


def allocate(weights: Sequence[float], total: int, cap: int = MAX_PER_PARTY, offset: float = 0.5) -> array:
    """Split ``total`` into whole counts proportional to ``weights``, none above ``cap``; they add up to total.

    Weights beyond what the cap allows are capped and the rest re-scaled until none is left over; counts
    are then rounded systematically (the running sum is rounded, so every count is within one of its
    share and the sum is exact). The cap grows when ``total`` could not fit under it.
    """
    size = len(weights)
    counts = array("q", bytes(8 * size))
    positive = sum(1 for w in weights if w > 0)
    if not positive or total <= 0:
        return counts
    cap = max(cap, -(-total // positive))
    capped = bytearray(size)
    n_capped = 0
    scale = 0.0
    while True:
        free = sum(w for w, c in zip(weights, capped, strict=True) if not c and w > 0)
        if free <= 0:
            break
        scale = (total - cap * n_capped) / free
        if scale <= 0:
            break
        limit = cap / scale
        new = [i for i, w in enumerate(weights) if not capped[i] and w > limit]
        if not new:
            break
        for i in new:
            capped[i] = 1
        n_capped += len(new)
    running = 0.0
    previous = 0
    for i, w in enumerate(weights):
        running += cap if capped[i] else w * scale
        current = int(running + offset)
        counts[i] = current - previous
        previous = current
    drift = total - previous  # float rounding of the running sum: a unit or two at most
    if drift:
        largest = max(range(size), key=counts.__getitem__)
        counts[largest] += drift
    return counts


# --- what the builder needs to know about customers and staff --------------------------------------------


@dataclass(slots=True)
class Customer:
    """The fields of a party its interactions are made from."""

    id: int
    kind: str
    status: str
    country: str
    language: str
    name: str
    first: str
    owner: int | None
    email: str = ""
    phone: str = ""
    network: str = ""
    handle: str = ""
    org: int | None = None
    org_name: str = ""


@dataclass(frozen=True, slots=True)
class Agent:
    """A staff member as the interactions show them."""

    id: int
    first: str
    name: str
    email: str


@dataclass(slots=True)
class Order:
    ts: int
    doc: str
    lines: list[tuple[str, int, int]]  # (product name, quantity, unit price in cents)
    currency: str
    org: int | None
    b2b: bool
    channel: str
    products: tuple[int, ...] = ()  # index in ``texts.PRODUCTS`` of each line


@dataclass(slots=True)
class Timeline:
    """What a customer's timeline remembers while it is built (earlier orders, future meetings)."""

    customer: Customer
    agent: Agent | None
    currency: str
    start: int
    end: int
    filed: int | None  # the organisation every row is filed under (``services.filed_under``)
    orders: list[Order] = field(default_factory=list)
    future: int = 0
    buyer: Buyer | None = None
    placed: list[Order] = field(default_factory=list)  # every order of the buying process, in time order


class Words(dict[str, Any]):
    """The template fields of one text, each computed only when the template asks for it."""

    __slots__ = ("builder", "tl", "ts")

    def __init__(self, builder: LedgerBuilder, tl: Timeline, ts: int) -> None:
        super().__init__()
        self.builder = builder
        self.tl = tl
        self.ts = ts

    def __missing__(self, key: str) -> Any:
        b, tl, rng = self.builder, self.tl, self.builder.rng
        c = tl.customer
        if key == "first":
            value: Any = c.first
        elif key == "agent":
            value = tl.agent.first if tl.agent else texts.SIGNATURE[c.language]
        elif key == "company":
            value = c.org_name or c.name
        elif key == "contact":
            value = rng.choice(b.first_names)
        elif key == "product":
            value = rng.choice(b.product_names[c.language])
        elif key == "doc":
            value = tl.orders[-1].doc if tl.orders else b.doc_number(c.language, "order", self.ts)
        elif key == "n":
            value = rng.randint(2, 12)
        elif key == "year":
            value = b.year(self.ts + 60 * DAY)
        elif key == "score":
            value = rng.randint(5, 10)
        elif key == "date":
            value = b.date_text(self.ts + rng.randint(-25, 20) * DAY, c.language)
        else:
            raise KeyError(key)
        self[key] = value
        return value


def money(cents: int) -> str:
    """Cents as the payload models dump a Decimal with two places: 1234 -> "12.34"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def datetime_adapter(writer: TableWriter) -> Callable[[int], Any]:
    """Unix seconds -> the value ``writer`` stores for a datetime column.

    On SQLite that is Django's text form of the naive UTC time, made here without the per-value
    time-zone lookups (a test compares it with the backend's own adapter); elsewhere the backend's adapter.
    """
    if writer.vendor == "sqlite" and connections[writer.using].timezone_name == "UTC":
        naive = EPOCH.replace(tzinfo=None)
        delta = dt.timedelta
        return lambda ts: str(naive + delta(seconds=ts))
    prepare = writer.prepare_datetime
    return lambda ts: prepare(EPOCH + dt.timedelta(seconds=ts))


def iso_date(ts: int) -> str:
    return (EPOCH + dt.timedelta(seconds=ts)).strftime("%Y-%m-%d")


def iso_datetime(ts: int) -> str:
    """A whole-second UTC time as pydantic dumps it: 2025-01-31T10:00:00Z."""
    return (EPOCH + dt.timedelta(seconds=ts)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the builder --------------------------------------------------------------------------------------------

# A row while its timeline is built: [ts, kind, channel, direction, organisation, user, source, external id
# prefix, summary, payload, amount, currency, status, created_by]; the external id is numbered on writing.
Row = list[Any]


class LedgerBuilder:
    """Builds the whole timeline of one customer at a time, drawing from ``rng`` only."""

    def __init__(
        self,
        rng: Any,
        now: dt.datetime,
        sources: Mapping[str, int],
        agents: Mapping[int, Agent],
        sales: Sequence[Agent],
        support: Sequence[Agent],
        marketing: Sequence[Agent],
        pools: Mapping[str, LocalePool],
    ) -> None:
        self.rng = rng
        self.now = int(now.timestamp())
        self.sources = sources
        self.agents = agents
        self.sales = tuple(sales)
        self.support = tuple(support)
        self.marketing = tuple(marketing)
        self.pools = pools
        self.first_names = tuple(n.text for p in pools.values() for n in (*p.male[:40], *p.female[:40])) or (
            "Ana",
        )
        self.product_names = {
            "es": tuple(p[1] for p in texts.PRODUCTS),
            "en": tuple(p[2] for p in texts.PRODUCTS),
        }
        self.products_all = tuple(range(len(texts.PRODUCTS)))
        self.products_consumer = tuple(i for i, p in enumerate(texts.PRODUCTS) if p[4])
        self.docs = 0
        self.orgs_used: set[int] = set()
        self._price_lists: dict[tuple[str, int, bool], list[tuple[int, int]]] = {}
        first_year = (EPOCH + dt.timedelta(seconds=self.now - HISTORY)).year - 1
        self._year_starts = [
            int(dt.datetime(y, 1, 1, tzinfo=dt.UTC).timestamp()) for y in range(first_year, first_year + 9)
        ]
        self._first_year = first_year
        self.handlers: dict[str, Callable[[Timeline, int, list[Row]], None]] = {
            "email": self._email,
            "thread": self._thread,
            "call": self._call,
            "note": self._note,
            "meeting": self._meeting,
            "social": self._social,
            "complaint": self._complaint,
            "suggestion": self._suggestion,
            "order": self._order,
            "return": self._return,
            "other": self._other,
            "balance": self._balance,
        }

    # --- small helpers -------------------------------------------------------------------------------

    def year(self, ts: int) -> int:
        return self._first_year + bisect_right(self._year_starts, ts) - 1

    def date_text(self, ts: int, language: str) -> str:
        day = EPOCH + dt.timedelta(seconds=ts)
        return day.strftime("%d/%m/%Y") if language == "es" else day.strftime("%b %d, %Y")

    def doc_number(self, language: str, kind: str, ts: int) -> str:
        self.docs += 1
        return f"{texts.DOC_PREFIX[language][kind]}-{self.year(ts)}-{self.docs:08d}"

    def office_time(self, ts: int, country: str) -> int:
        """``ts`` moved to office hours (08:00-19:00 local) on a weekday of the same week."""
        day = ts // DAY
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        if weekday >= 5:
            day -= weekday - 4
        local = 8 * 3600 + int(self.rng.random() * 11 * 3600)
        return day * DAY + local - texts.UTC_OFFSET.get(country, 1) * 3600

    def _prices(self, currency: str, discount: int, b2b: bool) -> list[tuple[int, int]]:
        """(product index, unit price in cents) of what a customer can buy, per currency and discount."""
        key = (currency, discount, b2b)
        found = self._price_lists.get(key)
        if found is None:
            factor, rounding = texts.CURRENCY_FACTOR[currency], texts.CURRENCY_ROUND[currency]
            pool = self.products_all if b2b else self.products_consumer
            found = self._price_lists[key] = [(i, self._unit(i, factor, rounding, discount)) for i in pool]
        return found

    @staticmethod
    def _unit(index: int, factor: float, rounding: int, discount: int) -> int:
        price = texts.PRODUCTS[index][3]
        return max(rounding, round(price * factor * (100 - discount) / 100 / rounding) * rounding)

    def _when(self, tl: Timeline) -> int:
        rng = self.rng
        ts = self.office_time(tl.start + int(rng.random() * (tl.end - tl.start)), tl.customer.country)
        return min(ts, tl.end - 60 - int(rng.random() * 3600))

    def _agent(self, pool: Sequence[Agent], tl: Timeline) -> Agent | None:
        return self.rng.choice(pool) if pool else tl.agent

    @staticmethod
    def _add(
        rows: list[Row],
        ts: int,
        kind: str,
        channel: str,
        direction: str,
        org: int | None,
        user: Agent | None,
        source: int,
        prefix: str,
        summary: str,
        payload: dict[str, Any],
        amount: str | None = None,
        currency: str = "",
        status: str = "",
        created_by: int | None = None,
    ) -> None:
        rows.append(
            [
                ts,
                kind,
                channel,
                direction,
                org,
                user.id if user else None,
                source,
                prefix,
                summary,
                payload,
                amount,
                currency,
                status,
                created_by,
            ]
        )

    # --- one customer --------------------------------------------------------------------------------

    def customer(self, c: Customer, count: int, history: History | None = None) -> list[Row]:
        """``count`` rows making up the timeline of ``c``, sorted by time: the orders and follow-ups of its
        buying ``history`` (when it buys: ``purchases.Histories``), and contacts for the rest."""
        rng = self.rng
        agent = self.agents.get(c.owner) if c.owner else None
        if agent is None and self.sales:
            agent = rng.choice(self.sales)
        currency = texts.COUNTRY_CURRENCY.get(c.country, "EUR")
        if history is not None:
            start, end = history.start, history.end
        else:
            end = self.now
            if c.status == "former":
                end -= rng.randint(60, 900) * DAY
            span = int(HISTORY * (0.2 + 0.8 * rng.random()))
            start = max(self.now - HISTORY, end - span)
            if end - start < 30 * DAY:
                start = end - 30 * DAY
        tl = Timeline(c, agent, currency, start, end, c.org)
        if c.org and c.kind != PartyKind.ORGANISATION:
            self.orgs_used.add(c.org)
        is_org = c.kind == PartyKind.ORGANISATION
        # (time, event, order number of a follow-up); orders and follow-ups from the buying process
        timed: list[tuple[int, str, int]] = []
        budget = count
        mix = MIXES[(is_org, False)]
        if history is not None:
            mix = CONTACT_MIXES[is_org]
            tl.buyer = history.buyer
            for ts, number in history.plan:
                timed.append((ts, "order", -1) if number is None else (ts, "follow_up", number))
            budget -= history.rows
        events: list[str] = []
        while budget > 0:
            event = rng.choice(mix)
            size = EVENT_ROWS.get(event, 1)
            if size > budget:
                event, size = rng.choice(SINGLE_ROW_EVENTS), 1
            events.append(event)
            budget -= size
        timed.extend((self._when(tl), event, -1) for event in events)
        timed.sort(key=lambda item: item[0])
        rows: list[Row] = []
        handlers = self.handlers
        for ts, event, number in timed:
            if event == "follow_up":
                self._follow_up(tl, ts, rows, tl.placed[number])
            else:
                handlers[event](tl, ts, rows)
        while len(rows) < count:  # rows that would have fallen after the end (payments, replies)
            handlers[rng.choice(("call", "note"))](tl, self._when(tl), rows)
        rows.sort(key=lambda r: r[0])
        self._balances(tl, rows)
        return rows

    def _balances(self, tl: Timeline, rows: list[Row]) -> None:
        """Fill in balance statements: invoices minus payments in the main currency up to their date."""
        balance = 0
        currency = tl.currency
        for row in rows:
            kind = row[1]
            if kind == Kind.INVOICE:
                if row[11] == currency and row[12] != "cancelled":
                    balance += row[14]
            elif kind == Kind.PAYMENT:
                if row[11] == currency:
                    balance -= row[14]
            elif kind == Kind.BALANCE:
                row[9]["amount"] = row[10] = money(balance)
        for row in rows:
            if len(row) > 14:
                del row[14:]

    # --- kinds ---------------------------------------------------------------------------------------

    def _email(self, tl: Timeline, ts: int, rows: list[Row], *, thread: bool = False) -> None:
        rng = self.rng
        c = tl.customer
        inbound = rng.random() < 0.5
        subject_t, body_t = rng.choice((texts.EMAILS_IN if inbound else texts.EMAILS_OUT)[c.language])
        words = Words(self, tl, ts)
        subject = subject_t.format_map(words)
        body = body_t.format_map(words)
        org = tl.filed
        staff = tl.agent.email if tl.agent else f"info@{STAFF_EMAIL_DOMAIN}"
        theirs = c.email
        sender = theirs if inbound else staff
        message_id = f"<{rng.getrandbits(64):016x}@{(sender or staff).rpartition('@')[2]}>"
        to = [staff] if inbound else ([theirs] if theirs else [])
        cc = [rng.choice(self.sales).email] if self.sales and rng.random() < 0.1 else []
        payload = {
            "from_address": sender,
            "to": to,
            "cc": cc,
            "subject": subject,
            "body": body,
            "message_id": message_id,
            "thread_id": message_id,
        }
        mail = self.sources["mail"]
        direction = Direction.INBOUND if inbound else Direction.OUTBOUND
        self._add(
            rows, ts, Kind.EMAIL, Channel.EMAIL, direction, org, tl.agent, mail, "MAIL", subject, payload
        )
        if not thread:
            return
        reply_ts = ts + 600 + int(rng.random() * 2 * DAY)
        if reply_ts >= tl.end:
            return
        reply_t = rng.choice((texts.REPLY_BODY_AGENT if inbound else texts.REPLY_BODY)[c.language])
        reply_subject = (texts.REPLY_PREFIX[c.language] + subject)[:300]
        reply_from = staff if inbound else theirs
        reply_id = f"<{rng.getrandbits(64):016x}@{(reply_from or staff).rpartition('@')[2]}>"
        reply = {
            "from_address": reply_from,
            "to": [theirs] if inbound and theirs else ([] if inbound else [staff]),
            "cc": [],
            "subject": reply_subject,
            "body": reply_t.format_map(words),
            "message_id": reply_id,
            "thread_id": message_id,
        }
        back = Direction.OUTBOUND if inbound else Direction.INBOUND
        self._add(
            rows, reply_ts, Kind.EMAIL, Channel.EMAIL, back, org, tl.agent, mail, "MAIL", reply_subject, reply
        )

    def _thread(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        self._email(tl, ts, rows, thread=True)

    def _call(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        rng = self.rng
        c = tl.customer
        inbound = rng.random() < 0.45
        outcome = "answered" if inbound else rng.choice(CALL_OUTCOMES)
        if outcome == "answered":
            text = rng.choice(texts.CALLS_ANSWERED[c.language]).format_map(Words(self, tl, ts))
            duration = min(5400, max(20, int(rng.lognormvariate(5.2, 0.8))))
        else:
            missed = texts.CALLS_MISSED[c.language]
            text = missed[{"no_answer": 0, "voicemail": 1, "busy": 2}[outcome]]
            duration = rng.randint(15, 60) if outcome == "voicemail" else 0
        payload = {"phone_number": c.phone, "duration_seconds": duration, "outcome": outcome, "summary": text}
        summary = text.splitlines()[0][:300] if text else ""
        direction = Direction.INBOUND if inbound else Direction.OUTBOUND
        org = tl.filed
        self._add(
            rows,
            ts,
            Kind.CALL,
            Channel.PHONE,
            direction,
            org,
            tl.agent,
            self.sources["phone"],
            "CALL",
            summary,
            payload,
        )

    def _note(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        text = self.rng.choice(texts.NOTES[tl.customer.language]).format_map(Words(self, tl, ts))
        user = tl.agent
        self._add(
            rows,
            ts,
            Kind.NOTE,
            Channel.OTHER,
            Direction.INTERNAL,
            tl.filed,
            user,
            self.sources[MANUAL],
            "",
            text.splitlines()[0][:300],
            {"text": text},
            created_by=user.id if user else None,
        )

    def _meeting(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        rng = self.rng
        c = tl.customer
        future = (
            c.status != "former" and tl.future < MAX_FUTURE_MEETINGS and rng.random() < FUTURE_MEETING_SHARE
        )
        if future:
            tl.future += 1
            ts = self.office_time(self.now + rng.randint(1, 45) * DAY, c.country)
            if ts <= self.now:
                ts += 7 * DAY
        ts -= ts % 1800  # meetings start on the hour or half past
        objective_t, conclusion_t, next_t = rng.choice(texts.MEETINGS[c.language])
        words = Words(self, tl, ts)
        objective = objective_t.format_map(words)
        conclusion = "" if future else conclusion_t.format_map(words)
        next_steps = "" if future else next_t.format_map(words)
        video = rng.random() < 0.4
        user = tl.agent
        internal = [user.name] if user else []
        if self.sales and rng.random() < 0.3:
            colleague = rng.choice(self.sales)
            if colleague is not user:
                internal.append(colleague.name)
        if c.kind == PartyKind.ORGANISATION:
            pool = self.pools.get(c.country) or next(iter(self.pools.values()))
            external = [
                f"{rng.choice(pool.female if rng.random() < 0.5 else pool.male).text} {rng.choice(pool.surnames).text}"
                for _ in range(rng.randint(1, 3))
            ]
        else:
            external = [c.name]
        if video:
            code = f"{rng.getrandbits(40):010x}"
            location, link = "", f"https://meet.example.com/{code[:3]}-{code[3:7]}-{code[7:]}"
        else:
            location, link = rng.choice(texts.MEETING_ROOMS[c.language]), ""
        payload = {
            "location": location,
            "link": link,
            "ends_at": iso_datetime(ts + rng.choice((1800, 2700, 3600, 3600, 5400))),
            "attendees_internal": internal,
            "attendees_external": external,
            "objective": objective,
            "conclusion": conclusion,
            "next_steps": next_steps,
        }
        self._add(
            rows,
            ts,
            Kind.MEETING,
            Channel.VIDEO if video else Channel.IN_PERSON,
            Direction.OUTBOUND,
            tl.filed,
            user,
            self.sources[MANUAL],
            "",
            objective.splitlines()[0][:300],
            payload,
            created_by=user.id if user else None,
        )

    def _social(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        rng = self.rng
        c = tl.customer
        network, handle = c.network, c.handle
        if not network:
            network = rng.choice(texts.SOCIAL_NETWORKS)
            handle = "@" + (slug(c.name)[:20] or "cliente")
        text = rng.choice(texts.SOCIAL[c.language]).format_map(Words(self, tl, ts))
        link = ""
        if rng.random() < 0.3:
            bare = handle.lstrip("@")
            number = rng.getrandbits(60)
            link = {
                "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{number}",
                "x": f"https://x.com/{bare}/status/{number}",
                "instagram": f"https://www.instagram.com/p/{number:x}/",
            }.get(network, f"https://www.facebook.com/{bare}/posts/{number}")
        inbound = rng.random() < 0.8
        user = None if inbound else self._agent(self.marketing, tl)
        payload = {"network": network, "handle": handle, "text": text, "link": link}
        self._add(
            rows,
            ts,
            Kind.SOCIAL,
            Channel.SOCIAL,
            Direction.INBOUND if inbound else Direction.OUTBOUND,
            tl.filed,
            user,
            self.sources["social"],
            "SOC",
            (text.splitlines()[0] if text else handle)[:300],
            payload,
        )

    def _complaint(
        self, tl: Timeline, ts: int, rows: list[Row], order: Order | None = None, product: int | None = None
    ) -> None:
        """A complaint; about ``product`` of ``order`` when given (a follow-up of that order)."""
        rng = self.rng
        c = tl.customer
        if product is None:
            subject, description_t, about_product = rng.choice(texts.COMPLAINTS[c.language])
        else:
            subject, description_t, about_product = rng.choice(PRODUCT_COMPLAINTS[c.language])
        words = Words(self, tl, ts)
        if product is not None:
            words["product"] = self.product_names[c.language][product]
        if order is not None:
            words["doc"] = order.doc
        description = description_t.format_map(words)
        product_name = words["product"] if about_product else ""
        if order is not None:
            reference = order.doc
        else:
            reference = tl.orders[-1].doc if tl.orders and rng.random() < 0.6 else ""
        status = rng.choice(RECENT_COMPLAINT if self.now - ts < 45 * DAY else OLD_COMPLAINT)
        payload = {
            "subject": subject,
            "description": description,
            "severity": rng.choice(SEVERITIES),
            "product": product_name,
            "order_reference": reference,
            "status": status,
        }
        self._add(
            rows,
            ts,
            Kind.COMPLAINT,
            rng.choice(COMPLAINT_CHANNELS),
            Direction.INBOUND,
            tl.filed,
            self._agent(self.support, tl),
            self.sources["helpdesk"],
            "TCK",
            subject,
            payload,
            status=status,
        )

    def _suggestion(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        rng = self.rng
        topic, text, area = rng.choice(texts.SUGGESTIONS[tl.customer.language])
        self._add(
            rows,
            ts,
            Kind.SUGGESTION,
            Channel.WEB if rng.random() < 0.6 else Channel.EMAIL,
            Direction.INBOUND,
            tl.filed,
            self._agent(self.support, tl),
            self.sources["helpdesk"],
            "TCK",
            topic,
            {"topic": topic, "text": text, "area": area},
        )

    def _other(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        rng = self.rng
        label, text_t = rng.choice(texts.OTHERS[tl.customer.language])
        user = tl.agent
        self._add(
            rows,
            ts,
            Kind.OTHER,
            rng.choice((Channel.OTHER, Channel.LETTER, Channel.WEB)),
            Direction.INBOUND,
            tl.filed,
            user,
            self.sources[MANUAL],
            "",
            label,
            {"label": label, "text": text_t.format_map(Words(self, tl, ts))},
            created_by=user.id if user else None,
        )

    def _balance(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        # The amount is filled in once the timeline is sorted (``_balances``).
        payload = {"amount": "0.00", "currency": tl.currency, "as_of": iso_date(ts)}
        self._add(
            rows,
            ts,
            Kind.BALANCE,
            Channel.ERP,
            Direction.INTERNAL,
            tl.filed,
            None,
            self.sources["erp"],
            "BAL",
            "",
            payload,
            "0.00",
            tl.currency,
        )

    def _order(self, tl: Timeline, ts: int, rows: list[Row]) -> None:
        """An order, its invoice and the payment quoting the invoice (those falling after the end are left out)."""
        rng = self.rng
        c = tl.customer
        lang = c.language
        org = tl.filed
        b2b = c.kind == PartyKind.ORGANISATION or (org is not None and rng.random() < ORDERS_FOR_EMPLOYER)
        currency = tl.currency if rng.random() >= 0.03 else texts.SECOND_CURRENCY[tl.currency]
        factor = texts.CURRENCY_FACTOR[currency]
        rounding = texts.CURRENCY_ROUND[currency]
        names = self.product_names[lang]
        discount = rng.choice((0, 0, 5, 10, 15)) if b2b else 0
        pool = self.products_all if b2b else self.products_consumer
        sizes = (1, 1, 2, 2, 3, 4, 6) if b2b else (1, 1, 1, 2, 3)
        target = 0.0  # the order's value in cents of its currency, when the customer's process sets it
        if tl.buyer is not None:
            # What the customer spends this time (Gamma-Gamma) decides the basket: products it can afford,
            # in quantities that come close to the value.
            scale = EMPLOYER_ORDER_SCALE if b2b and c.kind == PartyKind.PERSON else 1.0
            target = order_value(rng, tl.buyer) * 100 * factor * scale
            choices = affordable(self._prices(currency, discount, b2b), target)
            picks = rng.sample(choices, min(len(choices), rng.choice(sizes)))
        else:
            picks = rng.sample(pool, rng.choice(sizes))
        lines: list[tuple[str, int, int]] = []
        payload_lines = []
        total = 0
        for i in picks:
            consumer = texts.PRODUCTS[i][4]
            unit = self._unit(i, factor, rounding, discount)
            if target:
                quantity = quantity_for(target / len(picks), unit, (100 if consumer else 25) if b2b else 6)
            elif b2b:
                quantity = rng.randint(1, 20) if consumer else rng.randint(1, 10)
            else:
                quantity = rng.randint(1, 2)
            line_total = unit * quantity
            total += line_total
            lines.append((names[i], quantity, unit))
            payload_lines.append(
                {
                    "product": names[i],
                    "description": "",
                    "quantity": str(quantity),
                    "unit_price": money(unit),
                    "total": money(line_total),
                    "order_line_ref": "",
                }
            )
        amount = money(total)
        if b2b:
            channel, source, doc_kind = Channel.ERP, self.sources["erp"], "order"
        else:
            web = rng.random() < 0.65
            channel, source, doc_kind = (
                (Channel.WEB, self.sources["shop"], "web")
                if web
                else (
                    Channel.STORE,
                    self.sources["shop"],
                    "store",
                )
            )
        if tl.buyer is not None and channel != Channel.WEB:  # the shop's web orders come at any hour
            ts = min(self.office_time(ts, c.country), tl.end - 60 - int(rng.random() * 3600))
        doc = self.doc_number(lang, doc_kind, ts)
        purchase = {"document_number": doc, "lines": payload_lines, "total": amount, "currency": currency}
        self._add(
            rows,
            ts,
            Kind.PURCHASE,
            channel,
            Direction.INBOUND,
            org,
            None,
            source,
            "ORD",
            doc,
            purchase,
            amount,
            currency,
        )
        placed = Order(ts, doc, lines, currency, org, b2b, channel, tuple(picks))
        tl.orders.append(placed)
        if len(tl.orders) > 20:
            del tl.orders[0]
        if tl.buyer is not None:
            tl.placed.append(placed)
        erp = self.sources["erp"]
        if b2b:
            invoice_ts = ts + DAY // 4 + int(rng.random() * 3 * DAY)
            due_ts = invoice_ts + rng.choice((30, 30, 60)) * DAY
            status = "cancelled" if rng.random() < 0.03 else "issued"
        else:
            invoice_ts = ts + 60 + int(rng.random() * 600)
            due_ts = invoice_ts
            status = "paid"
        if invoice_ts >= tl.end:
            return
        invoice_doc = self.doc_number(lang, "invoice", invoice_ts)
        invoice = {
            "document_number": invoice_doc,
            "total": amount,
            "currency": currency,
            "due_date": iso_date(due_ts),
            "status": status,
            "order_reference": doc,
        }
        self._add(
            rows,
            invoice_ts,
            Kind.INVOICE,
            Channel.ERP,
            Direction.OUTBOUND,
            org,
            None,
            erp,
            "INV",
            invoice_doc,
            invoice,
        )
        rows[-1][10:13] = [amount, currency, status]
        rows[-1].append(total)
        if status == "cancelled" or (b2b and rng.random() < 0.05):  # cancelled, or never paid
            return
        if b2b:
            paid_ts = max(invoice_ts + DAY, due_ts + int((rng.random() * 40 - 15) * DAY))
            method = rng.choice(B2B_PAYMENT)
            pay_channel = Channel.ERP
        else:
            paid_ts = invoice_ts + 5 + int(rng.random() * 120)
            method = rng.choice(SHOP_PAYMENT if channel == Channel.WEB else STORE_PAYMENT)
            pay_channel = channel
        if paid_ts >= tl.end:
            return
        payment = {"amount": amount, "currency": currency, "method": method, "invoice_reference": invoice_doc}
        self._add(
            rows,
            paid_ts,
            Kind.PAYMENT,
            pay_channel,
            Direction.INBOUND,
            org,
            None,
            erp,
            "PAY",
            invoice_doc,
            payment,
        )
        rows[-1][10:13] = [amount, currency, ""]
        rows[-1].append(total)  # cents, for the balance statements (dropped before writing)

    def _follow_up(self, tl: Timeline, ts: int, rows: list[Row], order: Order) -> None:
        """What comes some days after ``order``: a return of its goods, a complaint about one of its products
        (as likely as its products make them), or else a call."""
        rng = self.rng
        ts = max(self.office_time(ts, tl.customer.country), order.ts + DAY)
        if ts >= tl.end:
            self._call(tl, self._when(tl), rows)
            return
        products = [texts.PRODUCTS[i] for i in order.products]
        returned, complained = issue_rates([(p[0], p[4]) for p in products])
        roll = rng.random() * FOLLOW_UP_SLOT
        if roll < returned:
            self._return(tl, ts, rows, order)
        elif roll < returned + complained:
            weights = [PRODUCT_ISSUES.get(p[0], DEFAULT_ISSUES)[1] for p in products]
            self._complaint(tl, ts, rows, order, rng.choices(order.products, weights)[0])
        else:
            self._call(tl, ts, rows)

    def _return(self, tl: Timeline, ts: int, rows: list[Row], order: Order | None = None) -> None:
        """Goods of an earlier order (``order`` when given) sent back, with the refund; a complaint when
        nothing was bought yet."""
        rng = self.rng
        if order is None:
            candidates = [o for o in tl.orders[-10:] if o.ts + DAY <= ts]
            if not candidates:
                self._complaint(tl, ts, rows)
                return
            order = rng.choice(candidates)
            picked = rng.sample(range(len(order.lines)), rng.randint(1, min(2, len(order.lines))))
        else:  # the goods of the order, the troublesome ones first
            goods = [k for k, i in enumerate(order.products) if texts.PRODUCTS[i][4]] or [0]
            weights = [
                PRODUCT_ISSUES.get(texts.PRODUCTS[order.products[k]][0], DEFAULT_ISSUES)[0] for k in goods
            ]
            first = rng.choices(goods, [w or 0.01 for w in weights])[0]
            others = [k for k in goods if k != first]
            picked = [first] + ([rng.choice(others)] if others and rng.random() < 0.2 else [])
        lines = []
        refund = 0
        for index in sorted(picked):
            name, quantity, unit = order.lines[index]
            back = rng.randint(1, quantity)
            refund += unit * back
            lines.append(
                {
                    "product": name,
                    "description": "",
                    "quantity": str(back),
                    "unit_price": money(unit),
                    "total": money(unit * back),
                    "order_line_ref": f"{order.doc}/{index + 1}",
                }
            )
        amount = money(refund)
        payload = {
            "reference": order.doc,
            "lines": lines,
            "reason": rng.choice(texts.RETURN_REASONS[tl.customer.language]),
            "refund_amount": amount,
            "currency": order.currency,
        }
        summary = ", ".join(line["product"] for line in lines)[:300]
        channel = (
            Channel.ERP if order.b2b else (Channel.WEB if order.channel == Channel.WEB else Channel.STORE)
        )
        self._add(
            rows,
            ts,
            Kind.RETURN,
            channel,
            Direction.INBOUND,
            order.org,
            None,
            self.sources["shop"],
            "RET",
            summary,
            payload,
            amount,
            order.currency,
        )


# --- reading customers -------------------------------------------------------------------------------------


_CONTACT_KINDS = frozenset({"email", "mobile", "landline", "social"})


def _language(value: str) -> str:
    return "en" if (value or "").lower().startswith("en") else "es"


def load_customers(ids: Sequence[int]) -> dict[int, Customer]:
    """The customers among ``ids`` (ascending) with their main e-mail, phone, social profile and employer."""
    if not ids:
        return {}
    lo, hi = ids[0], ids[-1]
    wanted = set(ids)
    out: dict[int, Customer] = {}
    rows = Party.all_objects.filter(pk__gte=lo, pk__lte=hi).values_list(
        "pk", "kind", "status", "country", "language", "display_name", "given_names", "owner_id"
    )
    for pk, kind, status, country, language, name, given, owner in rows:
        if pk in wanted:
            person = kind == PartyKind.PERSON
            first = (given.split()[0] if given else name) if person else name
            customer = Customer(pk, kind, status, country, _language(language), name, first, owner)
            if not person:  # an organisation's own rows are filed under itself
                customer.org, customer.org_name = pk, name
            out[pk] = customer
    # No filter on the kind: SQLite would then walk the (kind, value) index over every contact point.
    contacts = (
        ContactPoint.objects.filter(party_id__gte=lo, party_id__lte=hi, is_primary=True)
        .order_by("id")
        .values_list("party_id", "kind", "value", "social_network", "deleted_at")
    )
    for party_id, kind, value, network, deleted_at in contacts:
        found = out.get(party_id)
        if found is None or deleted_at is not None or kind not in _CONTACT_KINDS:
            continue
        if kind == "email":
            found.email = value
        elif kind == "social":
            found.network, found.handle = network or "other", value
        elif not found.phone or kind == "mobile":
            found.phone = value
    # A person's rows are filed under their current employer, the main one first, as the services do.
    today = timezone.localdate()
    jobs = (
        Relationship.objects.filter(
            person_id__gte=lo, person_id__lte=hi, organisation__deleted_at__isnull=True
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
        .order_by("person_id", "-is_primary", "id")
        .values_list("person_id", "organisation_id", "organisation__display_name")
    )
    for person_id, org_id, org_name in jobs:
        found = out.get(person_id)
        if found is not None and found.org is None and found.kind == PartyKind.PERSON:
            found.org, found.org_name = org_id, org_name
    return out


def party_weights(rng: Any, ids: Sequence[int]) -> tuple[array, bytearray]:
    """One heavy-tailed weight per party of ``ids`` (0: never contacted), in the order of ``ids``, and
    which of them buy (``purchases.Histories`` profiles: 0, or 1 + organisation + former)."""
    weights = array("d")
    profiles = bytearray(len(ids))
    for start in range(0, len(ids), PARTIES_PER_READ):
        chunk = ids[start : start + PARTIES_PER_READ]
        parties = Party.all_objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1])
        found = {pk: (kind, status) for pk, kind, status in parties.values_list("pk", "kind", "status")}
        for pk in chunk:
            kind, status = found.get(pk, ("", ""))
            none, factor = STATUS_WEIGHT.get(status, (0.1, 1.0))
            draw = rng.random()
            tail = rng.paretovariate(PARETO_ALPHA)
            if not kind or draw < none:
                weights.append(0.0)
                continue
            is_org = kind == PartyKind.ORGANISATION
            if status in BUYING_STATUSES:
                profiles[len(weights)] = (
                    1 + is_org * Histories.ORGANISATION + (status == "former") * Histories.FORMER
                )
            weights.append(tail * factor * (ORGANISATION_WEIGHT if is_org else 1.0))
    return weights, profiles


def load_agents(ids: Sequence[int]) -> dict[int, Agent]:
    agents = {}
    for pk, first, last, email, username in User.objects.filter(pk__in=list(ids)).values_list(
        "pk", "first_name", "last_name", "email", "username"
    ):
        name = f"{first} {last}".strip() or username
        agents[pk] = Agent(pk, first or username, name, email or f"{username}@{STAFF_EMAIL_DOMAIN}")
    return agents


def sources_ensure() -> dict[str, int]:
    """The demo's source systems by slug (created when missing); ``MANUAL`` is Clientela's own."""
    ids = {
        slug: source_get_or_create(slug, name=name, kind=kind).pk for slug, (name, kind) in SOURCES.items()
    }
    ids[MANUAL] = manual_source().pk
    return ids


# --- deferred indexes -----------------------------------------------------------------------------------

# The ledger's indexes that start with the time, and the organisation timeline (where the rows of people
# without an employer share the empty key, ordered by time): rows of a customer-by-customer load land all
# over them, so every transaction rewrote pages across the whole index and the load slowed from 31,000 to
# 13,000 rows/s over 2,000,000 rows on SQLite. Large loads drop them and build them again at the end
# (3-4 s for 2,000,000 rows); the customer indexes stay, as rows arrive in their order.
DEFERRED_INDEXES = ("ix_kind_time", "ix_time", "ix_org_timeline")
DEFER_INDEXES_FROM = 200_000


def _deferred() -> list[models.Index]:
    return [index for index in Interaction._meta.indexes if index.name in DEFERRED_INDEXES]


def _present() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, Interaction._meta.db_table))


def indexes_drop() -> list[str]:
    """Drop the deferred indexes that exist; returns their names."""
    present = _present()
    dropped = []
    with connection.cursor() as cursor:
        for index in _deferred():
            if index.name in present:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
                dropped.append(index.name)
    return dropped


def indexes_restore() -> list[str]:
    """Create the deferred indexes that are missing, exactly as the migrations define them."""
    present = _present()
    missing = [index for index in _deferred() if index.name not in present]
    if not missing:
        return []
    editor = connection.schema_editor()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:
                # Foreign keys are checked at commit; PostgreSQL builds no index over rows with checks
                # pending, so run them now (and defer the rest again), as Django does for fixtures.
                connection.check_constraints()
            cursor.execute("SET maintenance_work_mem = '256MB'")  # this session only: sorts in memory
        for index in missing:
            cursor.execute(str(index.create_sql(Interaction, editor)))
        if connection.vendor == "postgresql":
            cursor.execute("RESET maintenance_work_mem")
            # Fresh statistics, as autovacuum would gather a little later, so plans fit the new size now.
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Interaction._meta.db_table)}")
    return [index.name for index in missing]


# --- the step ------------------------------------------------------------------------------------------------


class InteractionsStep(DemoStep):
    """``--interactions N`` ledger rows over the parties of this run (or, when it makes none, all of them)."""

    name = "interactions"

    def __init__(self, count: int) -> None:
        self.count = count

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--interactions",
            default="0",
            metavar="N",
            help=_(
                "Interactions (e-mails, calls, orders, invoices...) spread over the new customers, "
                "or over all customers when no new ones are made; default 0."
            ),
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> InteractionsStep | None:
        count = count_option(options.get("interactions", 0), "--interactions", maximum=MAX_INTERACTIONS)
        return cls(count) if count else None

    def run(self, ctx: DemoContext) -> None:
        from clientela.demo.stats import stats_refresh

        started = time.perf_counter()
        targets = ctx.party_ids if len(ctx.party_ids) else self._all_parties()
        if not len(targets):
            ctx.say(_("No customers to add interactions to."))
            return
        rng = ctx.rng(self.name)
        weights, profiles = party_weights(rng, targets)
        # Purchases first (each buyer's process decides its orders), then the rest of the rows, heavy-tailed.
        histories = Histories(rng.getrandbits(62), profiles, now=int(ctx.now.timestamp()), history=HISTORY)
        purchase_rows = histories.sizes(self.count)
        counts = allocate(weights, self.count - sum(purchase_rows))
        for i, rows in enumerate(purchase_rows):
            if rows:
                counts[i] += rows
        builder = self._builder(ctx, rng)
        indexes_restore()  # an earlier run stopped half-way may have left them out
        deferred = indexes_drop() if self.count >= DEFER_INDEXES_FROM else []
        try:
            written = self._generate(ctx, builder, targets, counts, histories, started)
        finally:
            if deferred:
                ctx.say(_("Rebuilding %(n)s indexes of the interaction ledger...") % {"n": len(deferred)})
                indexes_restore()
        ctx.counts["interactions"] += written
        seconds = time.perf_counter() - started
        touched = sorted({pk for pk, n in zip(targets, counts, strict=True) if n} | builder.orgs_used)
        figures_started = time.perf_counter()
        refreshed = stats_refresh(
            touched,
            progress=lambda done: ctx.progress(
                _("customer figures"), done, len(touched), final=done == len(touched), since=figures_started
            ),
        )
        ctx.summaries.append(
            _("%(n)s interactions in %(s).1f s (%(rate)s/s), figures of %(customers)s customers in %(f).1f s")
            % {
                "n": f"{written:,}",
                "s": seconds,
                "rate": f"{written / max(seconds, 1e-9):,.0f}",
                "customers": f"{refreshed:,}",
                "f": time.perf_counter() - figures_started,
            }
        )

    def _generate(
        self,
        ctx: DemoContext,
        builder: LedgerBuilder,
        targets: Sequence[int],
        counts: array,
        histories: Histories,
        started: float,
    ) -> int:
        """Build and write every customer's timeline, in transactions of about ``ROWS_PER_TRANSACTION`` rows."""
        writer = TableWriter(Interaction, COLUMNS, prepared=("occurred_at", "payload"))
        run_tag = ctx.run_id.removeprefix("demo-")
        state = {"written": 0, "serial": 0}
        pending: list[Row] = []
        label = _("interactions")
        for start in range(0, len(targets), PARTIES_PER_READ):
            ids = targets[start : start + PARTIES_PER_READ]
            numbers = counts[start : start + PARTIES_PER_READ]
            customers = load_customers([pk for pk, n in zip(ids, numbers, strict=True) if n])
            for offset, (pk, n) in enumerate(zip(ids, numbers, strict=True)):
                c = customers.get(pk)
                if not n or c is None:
                    continue
                for row in builder.customer(c, n, histories.draw(start + offset)):
                    row.append(pk)
                    pending.append(row)
                if len(pending) >= ROWS_PER_TRANSACTION:
                    self._write(writer, pending, run_tag, state)
                    pending = []
                    ctx.progress(label, state["written"], self.count, since=started)
        if pending:
            self._write(writer, pending, run_tag, state)
        ctx.progress(label, state["written"], self.count, final=True, since=started)
        return state["written"]

    @staticmethod
    def _all_parties() -> array:
        ids = array("q")
        ids.extend(Party.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=20_000))
        return ids

    @staticmethod
    def _builder(ctx: DemoContext, rng: Any) -> LedgerBuilder:
        members = ctx.members or ctx.staff
        agents = load_agents(sorted({m.user_id for m in members}))
        by_role: dict[str, list[Agent]] = {}
        for m in members:
            if m.user_id in agents:
                by_role.setdefault(m.role, []).append(agents[m.user_id])
        sales = [agents[m.user_id] for m in ctx.staff if m.user_id in agents]
        pools = {c.code: build_pool(c.locale, ctx.seed) for c in COUNTRIES}
        return LedgerBuilder(
            rng,
            ctx.now,
            sources_ensure(),
            _OwnerAgents(agents),
            sales,
            by_role.get("support_agent", []),
            by_role.get("marketing", []),
            pools,
        )

    @staticmethod
    def _write(writer: TableWriter, rows: list[Row], run_tag: str, state: dict[str, int]) -> None:
        """Insert ``rows`` in time order (friendlier to the time indexes) in one transaction."""
        rows.sort(key=lambda r: r[0])
        prepare = datetime_adapter(writer)
        dumps = json.dumps
        serial = state["serial"]
        out = []
        for (
            ts,
            kind,
            channel,
            direction,
            org,
            user,
            source,
            prefix,
            summary,
            payload,
            amount,
            currency,
            status,
            created_by,
            party,
        ) in rows:
            if prefix:
                serial += 1
                external_id = f"{prefix}-{run_tag}-{serial:010d}"
            else:
                external_id = ""
            out.append(
                (
                    kind,
                    prepare(ts),
                    channel,
                    direction,
                    party,
                    org,
                    user,
                    source,
                    external_id,
                    summary,
                    dumps(payload),
                    amount,
                    currency,
                    status,
                    created_by,
                )
            )
        with transaction.atomic():
            writer.insert(out)
        state["serial"] = serial
        state["written"] += len(out)


class _OwnerAgents(dict[int, Agent]):
    """Agents by user id; owners outside the demo roster are read from the database on first sight."""

    def get(self, key: Any, default: Any = None) -> Any:  # type: ignore[override]
        if key is None:
            return default
        if key not in self:
            found = load_agents([key])
            self[key] = found.get(key)  # type: ignore[assignment]
        value = self[key]
        return default if value is None else value
