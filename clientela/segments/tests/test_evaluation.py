"""Services: versions on rule changes, evaluation with entries and exits explained, merges, deletion,
the refresh command and task, and the change log."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.parties.models import ContactPoint
from clientela.segments import services
from clientela.segments.models import MembershipChange, Segment, SegmentMembership, SegmentVersion
from clientela.segments.selectors import member_party_ids, segment_versions, segments_for_user
from clientela.segments.tests.helpers import log, person
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db

MADRID_BUYERS = {
    "all": [
        {"field": "city", "op": "eq", "value": "Madrid"},
        {"field": "interactions", "kind": "purchase", "days": 365, "op": "gte", "value": 3},
        {"field": "interactions", "kind": "complaint", "days": 90, "op": "eq", "value": 0},
    ]
}


@pytest.fixture
def admin(users):
    return users["administrator"]


def _create(user, definition=MADRID_BUYERS, name="Compradores de Madrid"):
    return services.segment_create(actor=actor_for(user), data={"name": name, "definition": definition})


def _changes(segment, party=None):
    qs = MembershipChange.objects.filter(segment=segment).order_by("id")
    if party is not None:
        qs = qs.filter(party=party)
    return list(qs)


def test_create_makes_version_one_and_logs(admin):
    segment = _create(admin)
    assert segment.current_version.number == 1
    assert (
        segment.current_version.description.startswith("Customers in Madrid")
        or segment.current_version.description
    )
    assert segment.owner == admin
    log_row = ObjectChange.objects.get(
        object_id=segment.pk, aggregate_type="segments.segment", action="create"
    )
    assert log_row.new_value["definition"] == MADRID_BUYERS | {} or log_row.new_value["version"] == 1


def test_rename_keeps_version_rule_change_adds_one(admin):
    segment = _create(admin)
    services.segment_update(actor=actor_for(admin), segment=segment, data={"name": "Otro nombre"})
    assert SegmentVersion.objects.filter(segment=segment).count() == 1
    # the same rules sent again are not a new version either
    services.segment_update(actor=actor_for(admin), segment=segment, data={"definition": MADRID_BUYERS})
    assert SegmentVersion.objects.filter(segment=segment).count() == 1
    changed = {"any": MADRID_BUYERS["all"][:2]}
    services.segment_update(actor=actor_for(admin), segment=segment, data={"definition": changed})
    segment.refresh_from_db()
    assert segment.current_version.number == 2
    assert segment.name == "Otro nombre"
    fields = set(
        ObjectChange.objects.filter(object_id=segment.pk, action="update").values_list("field", flat=True)
    )
    assert {"name", "version", "definition"} <= fields
    views = segment_versions(segment)
    assert [v.version.number for v in views] == [2, 1]
    assert views[0].removed == ["with no complaints in the last 90 days"]
    assert views[0].match_changed


def test_bad_input_writes_nothing(admin):
    with pytest.raises(ValidationError) as info:
        _create(admin, definition={"all": [{"field": "nope", "op": "eq", "value": 1}]}, name="")
    assert {"name", "definition.all.0.field"} <= set(info.value.message_dict)
    assert not Segment.objects.exists()
    segment = _create(admin)
    with pytest.raises(ValidationError):
        services.segment_update(
            actor=actor_for(admin), segment=segment, data={"name": "X", "definition": {"all": "x"}}
        )
    segment.refresh_from_db()
    assert segment.name == "Compradores de Madrid"


def test_membership_history_explains_entries_and_exits(admin):
    ana = person(admin, name="Ana", city="Madrid")
    luis = person(admin, name="Luis", city="Madrid")
    person(admin, name="Eva", city="Sevilla")
    for days in (10, 20, 30):
        log(ana, "purchase", days_ago=days, amount="10")
    for days in (10, 20):
        log(luis, "purchase", days_ago=days, amount="10")
    segment = _create(admin)
    result = services.segment_evaluate(segment=segment)
    assert (result.entered, result.left, result.members) == (1, 0, 1)
    assert set(member_party_ids(segment.pk)) == {ana.pk}
    (entry,) = _changes(segment)
    assert entry.change == "entered" and entry.version.number == 1
    assert "Now matches" in entry.reason and "in Madrid" in entry.reason
    assert entry.details["outcomes"] == {"0": True, "1": True, "2": True}
    # running again changes nothing
    assert services.segment_evaluate(segment=segment).entered == 0
    assert len(_changes(segment)) == 1

    # data change: Luis buys a third time and enters; Ana complains and leaves
    log(luis, "purchase", days_ago=1, amount="10")
    log(ana, "complaint", days_ago=1)
    result = services.segment_evaluate(segment=segment)
    assert (result.entered, result.left) == (1, 1)
    (luis_in,) = _changes(segment, luis)
    assert luis_in.change == "entered"
    # never evaluated as a member before: the reason names every condition that now holds
    assert luis_in.details["changed"] == ["0", "1", "2"]
    assert luis_in.reason == (
        "Now matches: in Madrid; with at least 3 purchases in the last 12 months; "
        "with no complaints in the last 90 days."
    )
    ana_out = _changes(segment, ana)[-1]
    assert ana_out.change == "left"
    assert ana_out.details["changed"] == ["2"]
    assert ana_out.reason == "No longer matches: with no complaints in the last 90 days."
    segment.refresh_from_db()
    assert segment.member_count == 1 and segment.evaluated_at is not None

    # a moved address: Luis leaves because of the city rule only
    ContactPoint.objects.filter(party=luis, kind="address").update(city="Toledo")
    services.segment_evaluate(segment=segment)
    luis_out = _changes(segment, luis)[-1]
    assert luis_out.change == "left" and luis_out.details["changed"] == ["0"]
    assert luis_out.reason == "No longer matches: in Madrid."
    # and back: compared with the outcomes stored when he left, only the city rule changed again
    ContactPoint.objects.filter(party=luis, kind="address").update(city="Madrid")
    services.segment_evaluate(segment=segment)
    luis_back = _changes(segment, luis)[-1]
    assert luis_back.change == "entered" and luis_back.reason == "Now matches: in Madrid."


def test_definition_change_is_named_in_the_reason(admin):
    ana = person(admin, name="Ana", city="Madrid")
    eva = person(admin, name="Eva", city="Sevilla")
    segment = _create(admin, definition={"all": [{"field": "city", "op": "eq", "value": "Madrid"}]})
    services.segment_evaluate(segment=segment)
    services.segment_update(
        actor=actor_for(admin),
        segment=segment,
        data={"definition": {"all": [{"field": "city", "op": "eq", "value": "Sevilla"}]}},
    )
    services.segment_evaluate(segment=segment)
    ana_out = _changes(segment, ana)[-1]
    eva_in = _changes(segment, eva)[-1]
    assert ana_out.change == "left" and eva_in.change == "entered"
    assert ana_out.reason == "Definition changed to version 2. No longer matches: in Sevilla."
    assert eva_in.reason == "Definition changed to version 2. Now matches: in Sevilla."
    assert ana_out.version.number == 2 and ana_out.details["definition_changed"] is True
    member = SegmentMembership.objects.get(segment=segment)
    assert member.party == eva and member.version.number == 2


def test_any_group_reasons_name_what_changed(admin):
    ana = person(admin, name="Ana", city="Madrid")
    segment = _create(
        admin,
        definition={
            "any": [
                {"field": "city", "op": "eq", "value": "Madrid"},
                {"field": "tag", "op": "eq", "value": "vip"},
            ]
        },
    )
    services.segment_evaluate(segment=segment)
    assert _changes(segment, ana)[-1].reason == "Now matches: in Madrid."
    ContactPoint.objects.filter(party=ana, kind="address").update(city="Toledo")
    services.segment_evaluate(segment=segment)
    assert _changes(segment, ana)[-1].reason == "No longer matches: in Madrid."


def test_party_refresh_deleted_and_merged_customers(admin):
    from clientela.parties.services import party_delete

    ana = person(admin, name="Ana", city="Madrid")
    eva = person(admin, name="Eva", city="Madrid")
    segment = _create(admin, definition={"all": [{"field": "city", "op": "eq", "value": "Madrid"}]})
    other = _create(
        admin, definition={"all": [{"field": "city", "op": "eq", "value": "Toledo"}]}, name="Toledo"
    )
    services.segments_refresh()
    assert set(member_party_ids(segment.pk)) == {ana.pk, eva.pk}
    ContactPoint.objects.filter(party=ana, kind="address").update(city="Toledo")
    services.party_memberships_refresh([ana.pk])
    assert set(member_party_ids(segment.pk)) == {eva.pk}
    assert set(member_party_ids(other.pk)) == {ana.pk}
    segment.refresh_from_db()
    assert segment.member_count == 1
    party_delete(actor=actor_for(admin), party=eva)
    services.party_memberships_refresh([eva.pk])
    assert _changes(segment, eva)[-1].reason == "The customer was deleted or merged into another customer."
    assert not member_party_ids(segment.pk).exists()


def test_delete_deactivates(admin, users):
    ana = person(admin, name="Ana", city="Madrid")
    segment = _create(admin, definition={"all": [{"field": "city", "op": "eq", "value": "Madrid"}]})
    services.segment_evaluate(segment=segment)
    assert ana.pk in set(member_party_ids(segment.pk))
    with pytest.raises(NotPermitted):
        services.segment_delete(actor=actor_for(users["sales_rep"]), segment=segment)
    services.segment_delete(actor=actor_for(admin), segment=segment)
    assert not SegmentMembership.objects.filter(segment=segment).exists()
    assert not segments_for_user(admin).filter(pk=segment.pk).exists()
    assert ObjectChange.objects.filter(object_id=segment.pk, action="delete").exists()
    assert services.segment_evaluate(segment=segment).entered == 0


def test_scope_rules_for_add_and_change(users):
    rep = users["sales_rep"]
    own = _create(rep, name="Mío")
    assert own.owner == rep
    with pytest.raises(NotPermitted):
        _create(users["support_agent"], name="No")
    with pytest.raises(NotPermitted):
        services.segment_create(
            actor=actor_for(rep),
            data={"name": "Ajeno", "definition": MADRID_BUYERS, "owner": users["sales_rep_b"].pk},
        )
    theirs = _create(users["sales_rep_b"], name="De otro")
    with pytest.raises(NotPermitted):
        services.segment_update(actor=actor_for(rep), segment=theirs, data={"name": "Mío ahora"})


def test_command_and_task(admin, settings):
    person(admin, name="Ana", city="Madrid")
    segment = _create(admin, definition={"all": [{"field": "city", "op": "eq", "value": "Madrid"}]})
    from io import StringIO

    out = StringIO()
    call_command("segments", "refresh", stdout=out)
    assert "1 entered" in out.getvalue()
    call_command("segments", "refresh", "--segment", str(segment.pk), stdout=out)
    with pytest.raises(CommandError):
        call_command("segments", "refresh", "--segment", "999999")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from clientela.segments.tasks import segment_evaluate_task, segments_refresh_task

    assert segment_evaluate_task.enqueue(segment.pk).return_value == "+0 -0"
    assert segments_refresh_task.enqueue().return_value == 0


def test_version_change_enqueues_an_evaluation(admin, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ana = person(admin, name="Ana", city="Madrid")
    with django_capture_on_commit_callbacks(execute=True):
        segment = _create(admin, definition={"all": [{"field": "city", "op": "eq", "value": "Madrid"}]})
    assert set(member_party_ids(segment.pk)) == {ana.pk}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.segment_update(actor=actor_for(admin), segment=segment, data={"name": "Solo nombre"})
    assert not callbacks


def test_history_reasons_are_read_in_the_readers_language(admin):
    from clientela.segments.selectors import segment_history
    from clientela.segments.tests.i18n import spanish

    ana = person(admin, name="Ana", city="Madrid")
    segment = _create(admin, definition={"all": [{"field": "city", "op": "eq", "value": "Madrid"}]})
    services.segment_evaluate(segment=segment)
    assert _changes(segment, ana)[0].reason == "Now matches: in Madrid."  # stored in the site's language
    with spanish():
        (row,) = segment_history(user=admin, segment=segment, cursor=None).items
        assert row.reason_text == "Ahora cumple: en Madrid."


def test_memberships_follow_ledger_writes_and_customer_edits_after_commit(
    admin, django_capture_on_commit_callbacks
):
    """A logged complaint takes the customer out at once (with the reason); an address edit brings one in."""
    from clientela.interactions.services import interaction_log
    from clientela.parties.services import contact_point_add

    ana = person(admin, name="Ana", city="Madrid")
    for days in (10, 40, 70):
        log(ana, "purchase", days_ago=days, amount="50")
    bea = person(admin, name="Bea")
    for days in (10, 40, 70):
        log(bea, "purchase", days_ago=days, amount="50")
    with django_capture_on_commit_callbacks(execute=True):
        segment = _create(admin)
    services.segment_evaluate(segment=segment)
    assert set(member_party_ids(segment.pk)) == {ana.pk}

    with django_capture_on_commit_callbacks(execute=True):
        interaction_log(
            actor=actor_for(admin),
            party=ana,
            kind="complaint",
            occurred_at=timezone.now(),
            payload={"subject": "Llegó roto"},
        )
    assert set(member_party_ids(segment.pk)) == set()
    [left] = [c for c in _changes(segment, ana) if c.change == "left"]
    assert "complaint" in left.reason

    with django_capture_on_commit_callbacks(execute=True):
        contact_point_add(
            actor=actor_for(admin),
            party=bea,
            data={"kind": "address", "city": "Madrid", "street": "Gran Vía 1", "country": "ES"},
        )
    assert set(member_party_ids(segment.pk)) == {bea.pk}
