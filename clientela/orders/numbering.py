"""Document numbers sequential per prefix and year (Q-2026-00042), handed out inside the caller's transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from clientela.orders.models import DocumentSequence


def next_number(prefix: str, year: int | None = None) -> str:
    """The next number for ``prefix`` this year; the row lock serialises concurrent callers."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        seq = DocumentSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
        if seq is None:
            try:
                with transaction.atomic():
                    seq = DocumentSequence.objects.create(prefix=prefix, year=year, last=0)
            except IntegrityError:  # another transaction created it first
                seq = DocumentSequence.objects.select_for_update().get(prefix=prefix, year=year)
        seq.last += 1
        seq.save(update_fields=["last"])
    return f"{prefix}-{year}-{seq.last:05d}"
