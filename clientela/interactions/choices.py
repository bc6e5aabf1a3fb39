"""Kinds, directions and channels of the interaction ledger (translated)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    EMAIL = "email", _("Email")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    COMPLAINT = "complaint", _("Complaint")
    RETURN = "return", pgettext_lazy("interaction kind: goods sent back", "Return")
    SUGGESTION = "suggestion", _("Suggestion")
    PURCHASE = "purchase", _("Purchase")
    INVOICE = "invoice", _("Invoice")
    PAYMENT = "payment", _("Payment")
    CREDIT_NOTE = "credit_note", _("Credit note")
    BALANCE = "balance", _("Outstanding balance")
    SOCIAL = "social", _("Social message")
    OTHER = "other", _("Other")


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")
    INTERNAL = "internal", _("Internal")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    WEB = "web", _("Web")
    SOCIAL = "social", _("Social network")
    CHAT = "chat", _("Chat")
    LETTER = "letter", _("Letter")
    STORE = "store", _("Shop")
    ERP = "erp", _("ERP / back office")
    OTHER = "other", _("Other")


DEFAULT_CHANNEL: dict[str, str] = {
    Kind.EMAIL: Channel.EMAIL,
    Kind.CALL: Channel.PHONE,
    Kind.MEETING: Channel.IN_PERSON,
    Kind.NOTE: Channel.OTHER,
    Kind.COMPLAINT: Channel.OTHER,
    Kind.RETURN: Channel.STORE,
    Kind.SUGGESTION: Channel.OTHER,
    Kind.PURCHASE: Channel.ERP,
    Kind.INVOICE: Channel.ERP,
    Kind.PAYMENT: Channel.ERP,
    Kind.CREDIT_NOTE: Channel.ERP,
    Kind.BALANCE: Channel.ERP,
    Kind.SOCIAL: Channel.SOCIAL,
    Kind.OTHER: Channel.OTHER,
}

DEFAULT_DIRECTION: dict[str, str] = {
    Kind.NOTE: Direction.INTERNAL,
    Kind.COMPLAINT: Direction.INBOUND,
    Kind.RETURN: Direction.INBOUND,
    Kind.SUGGESTION: Direction.INBOUND,
    Kind.PURCHASE: Direction.INBOUND,
    Kind.INVOICE: Direction.OUTBOUND,
    Kind.PAYMENT: Direction.INBOUND,
    Kind.CREDIT_NOTE: Direction.OUTBOUND,
    Kind.BALANCE: Direction.INTERNAL,
    Kind.MEETING: Direction.OUTBOUND,
}

# Kinds that count as "contact" for the "last contact" figure (not ledger entries like invoices).
CONTACT_KINDS = frozenset({Kind.EMAIL, Kind.CALL, Kind.MEETING, Kind.SOCIAL, Kind.COMPLAINT, Kind.SUGGESTION})


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Voicemail")
    BUSY = "busy", _("Busy")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("complaint status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")


OPEN_COMPLAINT_STATUSES = frozenset({ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS})


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    CANCELLED = "cancelled", _("Cancelled")
