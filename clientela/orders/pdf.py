"""The printable quote: one template for the HTML page and the PDF (xhtml2pdf, pure Python), in the quote's language."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from clientela.orders.models import Quote
from clientela.orders.totals import document_totals
from clientela.parties.choices import ContactKind
from clientela.parties.models import ContactPoint


class PdfError(RuntimeError):
    """xhtml2pdf could not lay out the document."""


def print_context(quote: Quote) -> dict[str, Any]:
    """Everything the printed copy shows: company, customer with address and email, lines, totals per rate."""
    lines = list(quote.lines.select_related("product").order_by("position", "id"))
    contacts = {
        cp.kind: cp
        for cp in ContactPoint.objects.filter(
            party_id=quote.party_id,
            deleted_at__isnull=True,
            kind__in=(ContactKind.EMAIL, ContactKind.ADDRESS),
        ).order_by("kind", "is_primary", "-id")  # the primary one last, so it wins
    }
    return {
        "quote": quote,
        "lines": lines,
        "totals": document_totals(lines),
        "company": getattr(settings, "CLIENTELA_COMPANY", {"name": "Clientela"}),
        "email": contacts.get(ContactKind.EMAIL),
        "address": contacts.get(ContactKind.ADDRESS),
    }


def quote_html(quote: Quote, *, for_pdf: bool = False) -> str:
    """The printed copy as HTML, in the quote's language whatever the reader's."""
    with translation.override(quote.language):
        return render_to_string("orders/quote_print.html", {**print_context(quote), "for_pdf": for_pdf})


def quote_pdf(quote: Quote) -> bytes:
    """The printed copy as PDF bytes."""
    from xhtml2pdf import pisa

    out = io.BytesIO()
    result = pisa.CreatePDF(quote_html(quote, for_pdf=True), dest=out, encoding="utf-8")
    if result.err:
        raise PdfError(f"xhtml2pdf reported {result.err} errors")
    return out.getvalue()
