"""`clientela purge`: only customers in the recycle bin for longer than the retention period go for good."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clientela.core.models import ObjectChange
from clientela.parties.models import Party
from clientela.parties.services import party_delete
from clientela.testing.factories import actor_for, make_person


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def bin_parties(db, settings):
    """A party deleted 40 days ago, one deleted 10 days ago and one alive (retention: 30 days)."""
    settings.CLIENTELA_RECYCLE_DAYS = 30
    old, recent, alive = (make_person(given_names=name) for name in ("Old", "Recent", "Alive"))
    for party, days in ((old, 40), (recent, 10)):
        party_delete(actor=actor_for(None), party=party)
        Party.all_objects.filter(pk=party.pk).update(deleted_at=timezone.now() - dt.timedelta(days=days))
    return old, recent, alive


def test_purge_removes_only_old_bin_entries(bin_parties):
    old, recent, alive = bin_parties
    out = purge()
    assert "Purged 1 customer " in out
    assert not Party.all_objects.filter(pk=old.pk).exists()
    assert Party.all_objects.filter(pk=recent.pk, deleted_at__isnull=False).exists()
    assert Party.objects.filter(pk=alive.pk).exists()
    entry = ObjectChange.objects.get(action="purge")
    assert (entry.aggregate_id, entry.source, entry.actor_label, entry.actor_user) == (
        old.pk,
        "cli",
        "purge",
        None,
    )


def test_days_option_and_dry_run(bin_parties):
    _old, recent, _alive = bin_parties
    out = purge("--days", "5", "--dry-run")
    assert "2 customers" in out and "would be purged" in out
    assert Party.all_objects.count() == 3
    purge("--days", "5")
    assert list(Party.all_objects.values_list("given_names", flat=True)) == ["Alive"]
    assert not Party.all_objects.filter(pk=recent.pk).exists()


@pytest.mark.parametrize("days", ["-1", "soon", "1.5"])
def test_bad_days_is_a_one_line_error(db, days):
    with pytest.raises(CommandError) as exc:
        purge("--days", days)
    assert "\n" not in str(exc.value)
