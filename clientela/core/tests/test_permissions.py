"""restrict(user, action): the scope each built-in role grants over parties, contact points and relationships."""

from __future__ import annotations

import pytest

from clientela.core.permissions import Action, can, can_assign
from clientela.parties.models import ContactPoint, Party, Relationship
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(users, team_a, team_b):
    """One party owned by the sales rep of team A, one by a team-A manager, one by the team-B rep."""
    own = make_person(
        users["sales_rep"],
        given_names="Own",
        team=team_a.pk,
        contact_points=[{"kind": "email", "value": "own@x.es"}],
    )
    team = make_person(users["manager"], given_names="Team", team=team_a.pk)
    other = make_person(
        users["sales_rep_b"],
        given_names="Other",
        team=team_b.pk,
        contact_points=[{"kind": "email", "value": "other@x.es"}],
    )
    org = make_organisation(users["sales_rep_b"], team=team_b.pk)
    relationship_add(actor=actor_for(users["sales_rep_b"]), person=other, organisation=org)
    return {"own": own, "team": team, "other": other, "org": org}


def names(qs):
    return sorted(p.given_names for p in qs if p.given_names)


def test_sales_rep_sees_team_and_changes_only_own(users, records):
    rep = users["sales_rep"]
    assert names(Party.objects.restrict(rep, Action.VIEW)) == ["Own", "Team"]
    assert names(Party.objects.restrict(rep, Action.CHANGE)) == ["Own"]
    assert list(ContactPoint.objects.restrict(rep, Action.VIEW).values_list("normalized", flat=True)) == [
        "own@x.es"
    ]
    assert not Relationship.objects.restrict(rep, Action.VIEW).exists()
    assert not can(rep, Action.VIEW, records["other"])


def test_manager_views_all_changes_team(users, records):
    manager = users["manager"]
    assert names(Party.objects.restrict(manager, Action.VIEW)) == ["Other", "Own", "Team"]
    assert names(Party.objects.restrict(manager, Action.CHANGE)) == ["Own", "Team"]
    assert not can(manager, Action.DELETE, records["other"])


def test_read_only_views_everything_and_nothing_else(users, records):
    reader = users["read_only"]
    assert Party.objects.restrict(reader, Action.VIEW).count() == 4
    for action in (Action.ADD, Action.CHANGE, Action.DELETE, Action.EXPORT):
        assert not Party.objects.restrict(reader, action).exists()


def test_inactive_or_roleless_user_sees_nothing(users, records):
    rep = users["sales_rep"]
    rep.is_active = False
    assert not Party.objects.restrict(rep, Action.VIEW).exists()
    rep.is_active = True
    rep.role = None
    rep.role_id = None
    assert not Party.objects.restrict(rep, Action.VIEW).exists()


def test_can_assign_keeps_records_inside_the_scope(users, team_a, team_b):
    rep = users["sales_rep"]
    assert can_assign(rep, Action.ADD, "party", owner_id=rep.pk, team_id=None)
    assert not can_assign(rep, Action.ADD, "party", owner_id=users["sales_rep_b"].pk, team_id=team_b.pk)
    manager = users["manager"]
    assert can_assign(manager, Action.ADD, "party", owner_id=users["sales_rep"].pk, team_id=team_a.pk)
    assert not can_assign(manager, Action.ADD, "party", owner_id=users["sales_rep_b"].pk, team_id=team_b.pk)
