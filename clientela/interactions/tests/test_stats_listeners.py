"""Ledger listeners get the customers a committed transaction touched, and only those."""

from __future__ import annotations

import pytest
from django.db import transaction

from clientela.interactions import stats


@pytest.mark.django_db(transaction=True)
def test_ids_of_a_rolled_back_transaction_do_not_ride_along_with_the_next_one(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr(stats, "_LISTENERS", [calls.append])
    with pytest.raises(RuntimeError), transaction.atomic():
        stats._touch(range(1, 501))
        raise RuntimeError("the whole import chunk fails")
    assert calls == []
    with transaction.atomic():
        stats._touch([7])
        stats._touch([8])
    assert calls == [[7, 8]]
    stats._touch([9])  # autocommit: delivered at once
    assert calls == [[7, 8], [9]]
