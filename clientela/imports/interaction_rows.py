"""Interaction rows of an import: find the customer, build the kind's payload, log it on the ledger.

A row names its customer by that source's customer id (through the source's party links) or by an
exact tax id, email or phone. The ledger's own service writes it (``interaction_log``), so the same
source record imported twice is recognised, and a changed one becomes a correction, never a duplicate.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clientela.core.models import SourceSystem
from clientela.core.text import fold
from clientela.imports.party_rows import RowInvalid
from clientela.imports.users import UserDirectory
from clientela.imports.values import parse_datetime, parse_decimal, parse_duration_seconds
from clientela.interactions.choices import (
    CallOutcome,
    Channel,
    ComplaintStatus,
    InvoiceStatus,
    Kind,
    PaymentMethod,
)
from clientela.parties.models import Party

if TYPE_CHECKING:
    from clientela.imports.interaction_bulk import PartyResolver

# Words departments use for each value, folded (Spanish and English); the values themselves always work.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    Kind.EMAIL: ("correo", "correo electronico", "e-mail", "mail"),
    Kind.CALL: ("llamada", "telefono", "phone call", "phone"),
    Kind.MEETING: ("reunion", "visita", "cita", "visit"),
    Kind.NOTE: ("nota", "comentario"),
    Kind.COMPLAINT: ("queja", "reclamacion", "incidencia", "claim"),
    Kind.RETURN: ("devolucion", "abono", "refund"),
    Kind.SUGGESTION: ("sugerencia", "propuesta", "idea"),
    Kind.PURCHASE: ("compra", "pedido", "venta", "order", "sale"),
    Kind.INVOICE: ("factura", "bill"),
    Kind.PAYMENT: ("pago", "cobro", "recibo"),
    Kind.BALANCE: ("saldo", "saldo pendiente", "deuda"),
    Kind.SOCIAL: ("red social", "social media", "tweet", "mensaje social"),
    Kind.OTHER: ("otro", "otros"),
}
OUTCOME_WORDS: dict[str, tuple[str, ...]] = {
    CallOutcome.ANSWERED: ("contestada", "atendida", "respondida", "ok", "answered"),
    CallOutcome.NO_ANSWER: ("no contesta", "sin respuesta", "no answer", "perdida", "missed"),
    CallOutcome.VOICEMAIL: ("buzon", "buzon de voz", "contestador", "voicemail"),
    CallOutcome.BUSY: ("ocupado", "comunicando", "busy"),
}
COMPLAINT_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    ComplaintStatus.OPEN: ("abierta", "abierto", "nueva", "pendiente", "new", "pending"),
    ComplaintStatus.IN_PROGRESS: ("en curso", "en proceso", "en progreso", "in progress"),
    ComplaintStatus.RESOLVED: ("resuelta", "resuelto", "solved"),
    ComplaintStatus.CLOSED: ("cerrada", "cerrado", "closed"),
}
INVOICE_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    InvoiceStatus.ISSUED: ("emitida", "pendiente", "pending", "open", "abierta"),
    InvoiceStatus.PAID: ("pagada", "cobrada", "paid"),
    InvoiceStatus.OVERDUE: ("vencida", "impagada", "overdue", "unpaid"),
    InvoiceStatus.CANCELLED: ("anulada", "cancelada", "cancelled", "canceled", "void"),
}
METHOD_WORDS: dict[str, tuple[str, ...]] = {
    PaymentMethod.CARD: ("tarjeta", "tpv", "card"),
    PaymentMethod.TRANSFER: ("transferencia", "transfer", "bank transfer"),
    PaymentMethod.DIRECT_DEBIT: ("domiciliacion", "recibo domiciliado", "direct debit", "sepa"),
    PaymentMethod.CASH: ("efectivo", "metalico", "contado", "cash"),
    PaymentMethod.OTHER: ("otro", "other"),
}
CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("correo", "correo electronico", "e-mail", "mail"),
    Channel.PHONE: ("telefono", "llamada", "telephone", "call"),
    Channel.IN_PERSON: ("en persona", "presencial", "visita", "in person", "face to face"),
    Channel.VIDEO: ("videollamada", "video", "videoconferencia", "zoom", "teams", "meet", "video call"),
    Channel.WEB: ("web", "formulario", "online", "website", "form"),
    Channel.SOCIAL: ("redes sociales", "red social", "social media", "facebook", "twitter", "x", "instagram",
                     "linkedin"),
    Channel.CHAT: ("chat", "whatsapp", "telegram", "mensajeria"),
    Channel.LETTER: ("carta", "correo postal", "letter", "post"),
    Channel.STORE: ("tienda", "mostrador", "shop", "store"),
    Channel.ERP: ("erp", "back office", "contabilidad", "sistema"),
}  # fmt: skip
MONEY_KINDS = (Kind.PURCHASE, Kind.INVOICE, Kind.PAYMENT, Kind.BALANCE, Kind.RETURN)


def choose(raw: object, words: Mapping[str, tuple[str, ...]]) -> str | None:
    """The value ``raw`` names: a value itself, or one of its words (accents and case ignored)."""
    key = fold(str(raw or "")).replace("_", " ").strip()
    if not key:
        return None
    for value, synonyms in words.items():
        if key == fold(value).replace("_", " ") or key in synonyms:
            return value
    return None


@dataclass
class InteractionDraft:
    """A validated interaction row, ready for ``interaction_log``."""

    external_id: str
    party: Party
    kind: str
    occurred_at: dt.datetime
    payload: dict[str, Any]
    channel: str | None
    direction: str | None
    user: Any


def cell_text(values: Mapping[str, object], name: str) -> str:
    """A row's value as text: spreadsheets' whole-number floats (ids, codes) without ".0", trimmed."""
    value = values.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _enum(values: Mapping[str, object], name: str, words: Mapping[str, tuple[str, ...]],
          problems: list[tuple[str, str]]) -> str | None:  # fmt: skip
    raw = cell_text(values, name)
    if not raw:
        return None
    value = choose(raw, words)
    if value is None:
        problems.append(
            (name, _("“%(value)s” is not one of: %(choices)s.") % {"value": raw, "choices": ", ".join(words)})
        )
    return value


def _payload(kind: str, values: Mapping[str, object], amount: Decimal | None, currency: str,
             problems: list[tuple[str, str]], decimal: str | None = None) -> dict[str, Any]:  # fmt: skip
    text, subject = cell_text(values, "text"), cell_text(values, "subject")
    document, reference, product = (cell_text(values, n) for n in ("document_number", "reference", "product"))
    quantity = None
    try:
        quantity = (
            parse_decimal(values.get("quantity"), decimal=decimal) if cell_text(values, "quantity") else None
        )
    except ValueError as exc:
        problems.append(("quantity", str(exc)))
    lines = [{"product": product, "quantity": str(quantity or 1)}] if product else []
    money = {"currency": currency}
    if kind == Kind.EMAIL:
        return {"subject": subject or text[:120], "body": text}
    if kind == Kind.CALL:
        out: dict[str, Any] = {"summary": text or subject}
        duration = None
        try:
            duration = parse_duration_seconds(values.get("duration_seconds"))
        except ValueError as exc:
            problems.append(("duration_seconds", str(exc)))
        if duration is not None:
            out["duration_seconds"] = duration
        outcome = _enum(values, "outcome", OUTCOME_WORDS, problems)
        if outcome:
            out["outcome"] = outcome
        if cell_text(values, "party_phone"):
            out["phone_number"] = cell_text(values, "party_phone")
        return out
    if kind == Kind.MEETING:
        return {"objective": cell_text(values, "objective") or subject, "conclusion": cell_text(values, "conclusion"),
                "next_steps": text}  # fmt: skip
    if kind == Kind.COMPLAINT:
        out = {
            "subject": subject or text[:120],
            "description": text,
            "product": product,
            "order_reference": reference,
        }
        status = _enum(values, "status", COMPLAINT_STATUS_WORDS, problems)
        return {**out, "status": status} if status else out
    if kind == Kind.RETURN:
        return {"reference": reference or document, "lines": lines or [{"description": text[:300] or "—"}],
                "reason": text, "refund_amount": str(amount or 0), **money}  # fmt: skip
    if kind == Kind.SUGGESTION:
        return {"topic": subject or text[:120], "text": text}
    if kind == Kind.PURCHASE:
        return {
            "document_number": document,
            "lines": lines,
            "total": str(amount) if amount is not None else None,
            **money,
        }
    if kind == Kind.INVOICE:
        out = {"document_number": document or cell_text(values, "external_id"), "order_reference": reference,
               "total": str(amount) if amount is not None else None, **money}  # fmt: skip
        status = _enum(values, "status", INVOICE_STATUS_WORDS, problems)
        return {**out, "status": status} if status else out
    if kind == Kind.PAYMENT:
        out = {"amount": str(amount) if amount is not None else None, "invoice_reference": reference, **money}
        # finance exports keep the payment method in a status-like or a free-text column
        method = choose(cell_text(values, "status"), METHOD_WORDS) or choose(
            cell_text(values, "text"), METHOD_WORDS
        )
        return {**out, "method": method} if method else out
    if kind == Kind.BALANCE:
        return {"amount": str(amount) if amount is not None else None, **money}
    if kind == Kind.SOCIAL:
        network = cell_text(values, "channel")
        return {
            "network": network if network and not choose(network, CHANNEL_WORDS) else "other",
            "text": text or subject,
        }
    if kind == Kind.NOTE:
        return {"text": text or subject}
    return {"label": subject[:100] or _("Imported record"), "text": text}


def prepare_interaction(
    values: Mapping[str, object], *, source: SourceSystem, kind: str | None, region: str, currency: str,
    decimal: str | None, date_format: str | None, tz: str, resolver: PartyResolver,
    users: UserDirectory | None = None,
) -> InteractionDraft:  # fmt: skip
    """Validate one row into a draft; RowInvalid lists every problem by canonical field."""
    problems: list[tuple[str, str]] = []
    chosen = kind or choose(values.get("kind"), KIND_WORDS)
    if chosen is None:
        problems.append(
            ("kind", _("Give the kind of record (%(kinds)s).") % {"kinds": ", ".join(Kind.values)})
        )
    occurred = None
    try:
        occurred = parse_datetime(
            values.get("occurred_at"), date_format=date_format, tz=zoneinfo.ZoneInfo(tz)
        )
        if occurred is None:
            problems.append(("occurred_at", _("Give the date of the record.")))
    except ValueError as exc:
        problems.append(("occurred_at", str(exc)))
    amount = None
    try:
        amount = parse_decimal(values.get("amount"), decimal=decimal)
    except ValueError as exc:
        problems.append(("amount", str(exc)))
    party = resolver.find(values)
    if party is None:
        given = ", ".join(
            f"{name} {cell_text(values, name)}"
            for name in ("party_external_id", "party_tax_id", "party_email", "party_phone")
            if cell_text(values, name)
        )
        used = [
            n
            for n in ("party_external_id", "party_tax_id", "party_email", "party_phone")
            if cell_text(values, n)
        ]
        problems.append((
            used[0] if used else "party_external_id",
            _("No customer matches %(given)s; import the customers first.") % {"given": given}
            if given else _("The row does not say whose record it is."),
        ))  # fmt: skip
    user = None
    if cell_text(values, "user"):
        # an employee the file names but Clientela does not know is this row's problem, not a blank
        user = (users or UserDirectory()).find(cell_text(values, "user"))
        if user is None:
            problems.append(("user", UserDirectory.unknown(cell_text(values, "user"))))
    payload: dict[str, Any] = {}
    if chosen is not None:
        payload = _payload(
            chosen, values, amount, (cell_text(values, "currency") or currency).upper(), problems, decimal
        )
    if problems or party is None or occurred is None or chosen is None:
        raise RowInvalid(problems)
    channel = None
    if cell_text(values, "channel"):
        channel = choose(values.get("channel"), CHANNEL_WORDS) or (
            Channel.SOCIAL if chosen == Kind.SOCIAL else None
        )
        if channel is None:
            raise RowInvalid(
                [
                    (
                        "channel",
                        _("“%(value)s” is not one of: %(choices)s.")
                        % {"value": cell_text(values, "channel"), "choices": ", ".join(CHANNEL_WORDS)},
                    )
                ]
            )
    direction = cell_text(values, "direction").lower() or None
    direction = {"entrada": "in", "entrante": "in", "salida": "out", "saliente": "out", "inbound": "in",
                 "outbound": "out", "interna": "internal"}.get(direction or "", direction)  # fmt: skip
    return InteractionDraft(
        # without an id column, a document number (invoice, order) is the record's id in its source: a newer
        # export of the same invoice then corrects it instead of adding it again
        external_id=(cell_text(values, "external_id") or cell_text(values, "document_number"))[:200], party=party,
        kind=chosen, occurred_at=occurred,
        payload={k: v for k, v in payload.items() if v not in (None, "")}, channel=channel,
        direction=direction, user=user,
    )  # fmt: skip


def ledger_problems(exc: ValidationError) -> RowInvalid:
    """The ledger's validation errors as row problems, by the canonical field they concern."""
    problems: list[tuple[str, str]] = []
    for path, messages in exc.message_dict.items():
        field = path.split(".")[-1] if path.startswith("payload") else path
        problems.extend((field, str(m)) for m in messages)
    return RowInvalid(problems)


def write_interaction(
    draft: InteractionDraft, *, actor: Any, source: SourceSystem, external_id: str
) -> tuple[Any, str, Any]:
    """Log the row; returns (interaction, "created"|"unchanged"|"updated", superseded row or None).

    The ledger's validation errors come back as RowInvalid with their field paths."""
    from clientela.interactions.services import interaction_log

    try:
        logged = interaction_log(
            actor=actor, party=draft.party, kind=draft.kind, occurred_at=draft.occurred_at, payload=draft.payload,
            channel=draft.channel, direction=draft.direction, user=draft.user, source=source,
            external_id=external_id, refresh_stats=False,
        )  # fmt: skip
    except ValidationError as exc:
        raise ledger_problems(exc) from exc
    outcome = {"created": "created", "unchanged": "unchanged"}.get(logged.outcome, "updated")
    return logged.interaction, outcome, logged.interaction.supersedes if outcome == "updated" else None


def default_timezone(source: SourceSystem, option: str | None) -> str:
    return option or source.timezone or settings.TIME_ZONE
