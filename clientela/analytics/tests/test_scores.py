"""The incremental path (``party_scores_refresh``) and the ledger listener: the same numbers as a full
recompute, kept current on every committed write, set-wise and cheap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from clientela.analytics import tasks
from clientela.analytics.models import CustomerScore
from clientela.analytics.scores import COLUMNS, party_scores_refresh
from clientela.analytics.services import analytics_refit
from clientela.analytics.tests.score_helpers import AS_OF, populate, purchase, refund
from clientela.interactions import stats
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db

FLOATS = {"recency_days", "t_x_days", "age_days", "p_alive", "expected_purchases"}


def snapshot() -> dict[int, dict]:
    fields = [c if c != "fit" else "fit_id" for c in COLUMNS if c != "party"]
    return {row["party_id"]: row for row in CustomerScore.objects.values("party_id", *fields)}


def assert_same(a: dict[int, dict], b: dict[int, dict]) -> None:
    assert set(a) == set(b)
    for party_id, row in a.items():
        for name, value in row.items():
            other = b[party_id][name]
            if name in FLOATS and value is not None:
                assert other == pytest.approx(value, rel=1e-9, abs=1e-9), (party_id, name)
            else:
                assert other == value, (party_id, name, value, other)


def test_incremental_gives_the_same_scores_as_the_full_recompute(admin_user, settings):
    settings.CLIENTELA_ANALYTICS_MIN_CUSTOMERS = 20
    parties = populate(admin_user, 35)
    mixed = make_person(admin_user, given_names="Mixta")
    purchase(admin_user, mixed, "80.00", AS_OF - dt.timedelta(days=90))
    purchase(admin_user, mixed, "20.00", AS_OF - dt.timedelta(days=9), currency="USD")
    returner = make_person(admin_user, given_names="Devuelve")
    purchase(admin_user, returner, "50.00", AS_OF - dt.timedelta(days=40))
    refund(admin_user, returner, "80.00", AS_OF - dt.timedelta(days=30))
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    full = snapshot()
    assert len(full) == 37 and full[mixed.pk]["excluded_reason"] == "1 purchase in USD left out"
    CustomerScore.objects.all().delete()
    # all at once, then a few customers alone: each is scored against the stored fit, not its neighbours
    assert party_scores_refresh([p.pk for p in parties] + [mixed.pk, returner.pk], as_of=AS_OF) == 37
    assert_same(full, snapshot())
    CustomerScore.objects.all().delete()
    for party in (parties[0], parties[7], mixed, returner):
        party_scores_refresh([party.pk], as_of=AS_OF)
    some = {k: v for k, v in full.items() if k in {parties[0].pk, parties[7].pk, mixed.pk, returner.pk}}
    assert_same(some, snapshot())


def test_nothing_to_do_before_the_first_fit(admin_user, django_assert_num_queries):
    party = make_person(admin_user)
    purchase(admin_user, party, "10.00", AS_OF)
    with django_assert_num_queries(1):
        assert party_scores_refresh([party.pk]) == 0
    assert not CustomerScore.objects.exists()


def test_refresh_queries_do_not_grow_with_the_number_of_customers(admin_user, django_assert_max_num_queries):
    parties = populate(admin_user, 30)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        party_scores_refresh([parties[0].pk])
    with CaptureQueriesContext(connection) as many:
        party_scores_refresh([p.pk for p in parties])
    assert len(one.captured_queries) == len(many.captured_queries) <= 8


@pytest.fixture
def refreshes(monkeypatch):
    """The id sets ``party_scores_refresh`` was called with."""
    from clientela.analytics import scores

    calls: list[list[int]] = []
    real = scores.party_scores_refresh

    def spy(ids, **kwargs):
        calls.append(sorted(ids))
        return real(ids, **kwargs)

    monkeypatch.setattr(scores, "party_scores_refresh", spy)
    stats._touched.ids.clear()  # ids of earlier tests' transactions, which never committed
    return calls


def test_a_logged_purchase_updates_the_score_when_it_commits(
    admin_user, django_capture_on_commit_callbacks, refreshes
):
    parties = populate(admin_user, 30)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    party = parties[3]
    before = CustomerScore.objects.get(party=party)
    stats._touched.ids.clear()  # populate's writes never commit in a test
    with django_capture_on_commit_callbacks(execute=True):
        purchase(admin_user, party, "75.00", AS_OF + dt.timedelta(days=1))
        refund(admin_user, party, "5.00", AS_OF + dt.timedelta(days=1, hours=2))
    assert refreshes == [[party.pk]]  # one rescoring per commit, however many writes it held
    after = CustomerScore.objects.get(party=party)
    assert after.purchases == before.purchases + 1
    assert after.monetary == before.monetary + Decimal("70.00")
    assert after.as_of > AS_OF and after.fit_id == before.fit_id


def test_a_rolled_back_write_changes_no_score(admin_user, django_capture_on_commit_callbacks, refreshes):
    parties = populate(admin_user, 25)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    before = CustomerScore.objects.get(party=parties[0]).purchases
    stats._touched.ids.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                purchase(admin_user, parties[0], "75.00", AS_OF)
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
        purchase(admin_user, parties[1], "75.00", AS_OF)
    assert len(refreshes) == 1 and parties[1].pk in refreshes[0]
    assert stats._touched.ids == set()
    assert CustomerScore.objects.get(party=parties[0]).purchases == before


def test_large_touched_sets_go_to_one_task(
    admin_user, settings, monkeypatch, django_capture_on_commit_callbacks, refreshes
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    parties = populate(admin_user, 25)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    monkeypatch.setattr(tasks, "INLINE_MAX", 1)
    stats._touched.ids.clear()
    with django_capture_on_commit_callbacks(execute=True):
        purchase(admin_user, parties[0], "75.00", AS_OF)
        purchase(admin_user, parties[1], "75.00", AS_OF)
    assert refreshes == [sorted([parties[0].pk, parties[1].pk])]  # in the task (immediate backend here)
    assert CustomerScore.objects.get(party=parties[0]).as_of > AS_OF


def test_a_customer_without_purchases_left_loses_its_score(admin_user):
    parties = populate(admin_user, 25)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    from clientela.interactions.models import Interaction

    Interaction.objects.filter(party=parties[0]).update(is_current=False)
    party_scores_refresh([parties[0].pk])
    assert not CustomerScore.objects.filter(party=parties[0]).exists()


def test_a_merge_rescores_the_survivor_and_drops_the_merged_score(admin_user):
    from clientela.identity.services import party_merge

    parties = populate(admin_user, 25)
    analytics_refit(actor=actor_for(admin_user), as_of=AS_OF)
    survivor, merged = parties[0], parties[1]
    both = (
        CustomerScore.objects.get(party=survivor).purchases
        + CustomerScore.objects.get(party=merged).purchases
    )
    party_merge(actor=actor_for(admin_user), survivor=survivor, merged=merged)
    assert CustomerScore.objects.get(party=survivor).purchases == both
    assert not CustomerScore.objects.filter(party=merged).exists()
