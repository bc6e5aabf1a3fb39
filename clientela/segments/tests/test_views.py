"""Segment pages: list (query budget), editor with builder rows, live preview, errors on the page, detail
with versions and history, member pages, CSV export, the customer list filter and the customer panel."""

from __future__ import annotations

import pytest

from clientela.segments import services
from clientela.segments.models import Segment, SegmentVersion
from clientela.segments.tests.helpers import log, person
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db

MADRID = {"all": [{"field": "city", "op": "eq", "value": "Madrid"}]}


@pytest.fixture
def admin(users):
    return users["administrator"]


@pytest.fixture
def client(admin, client_for):
    return client_for(admin)


def _segment(admin, definition=MADRID, name="Madrid"):
    segment = services.segment_create(actor=actor_for(admin), data={"name": name, "definition": definition})
    services.segment_evaluate(segment=segment)
    return segment


def test_list_shows_segments_with_a_fixed_query_budget(admin, client, django_assert_max_num_queries):
    person(admin, name="Ana", city="Madrid")
    _segment(admin, {"all": [{"field": "owner", "op": "eq", "value": admin.pk}]}, name="Míos")
    _segment(admin, {"all": [{"field": "team", "op": "eq", "value": 1}]}, name="Equipo")
    _segment(admin)
    with django_assert_max_num_queries(12) as few:
        response = client.get("/segments/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Customers in Madrid" in text and "Míos" in text and "Customers owned by" in text
    for i in range(8):
        _segment(admin, {"all": [{"field": "team", "op": "eq", "value": 1}]}, name=f"S{i}")
        _segment(admin, {"all": [{"field": "owner", "op": "eq", "value": admin.pk}]}, name=f"O{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/segments/").status_code == 200


def test_create_through_the_builder(admin, client):
    ana = person(admin, name="Ana", city="Madrid")
    log(ana, "purchase", days_ago=3, amount="10")
    page = client.get("/segments/new/")
    assert page.status_code == 200 and b"Add condition" in page.content
    response = client.post(
        "/segments/new/",
        {
            "name": "Compradores de Madrid",
            "match": "all",
            "ca1-field": "city",
            "ca1-op": "eq",
            "ca1-value": "Madrid",
            "cb2-field": "interactions",
            "cb2-kind": "purchase",
            "cb2-op": "gte",
            "cb2-value": "1",
            "cb2-days": "365",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    segment = Segment.objects.get()
    assert segment.current_version.definition == {
        "all": [
            {"field": "city", "op": "eq", "value": "Madrid"},
            {"field": "interactions", "op": "gte", "value": 1, "kind": "purchase", "days": 365},
        ]
    }
    # editing shows the same rows; changing the rules makes version 2
    edit = client.get(f"/segments/{segment.pk}/edit/")
    assert b'value="Madrid"' in edit.content
    response = client.post(
        f"/segments/{segment.pk}/edit/",
        {
            "name": "Madrid",
            "match": "any",
            "ca1-field": "city",
            "ca1-op": "in",
            "ca1-value": "Madrid, Toledo",
        },
    )
    assert response.status_code == 302
    assert SegmentVersion.objects.filter(segment=segment).count() == 2


def test_bad_rules_are_shown_on_the_form(admin, client):
    response = client.post(
        "/segments/new/",
        {"name": "", "match": "all", "ca1-field": "r_score", "ca1-op": "gte", "ca1-value": "muchos",
         "cb2-field": "nope", "cb2-op": "eq", "cb2-value": "x"},
    )  # fmt: skip
    assert response.status_code == 422
    text = response.content.decode()
    assert "There is a problem" in text and "Error:" in text
    assert "Condition 1: Enter a number." in text
    assert not Segment.objects.exists()


def test_builder_row_and_preview(admin, client):
    person(admin, name="Ana", city="Madrid")
    row = client.get("/segments/builder/row/")
    assert row.status_code == 200 and b"<fieldset" in row.content and row["HX-Trigger"] == "rules-changed"
    changed = client.get(
        "/segments/builder/row/", {"key": "ab12", "cab12-field": "interactions", "cab12-op": "eq"}
    )
    text = changed.content.decode()
    assert 'name="cab12-kind"' in text and 'name="cab12-days"' in text and 'value="gte" selected' not in text
    assert client.get("/segments/builder/row/", {"remove": "1"}).content == b""
    preview = client.post(
        "/segments/builder/preview/",
        {"match": "all", "cx-field": "city", "cx-op": "eq", "cx-value": "Madrid"},
    )
    text = preview.content.decode()
    assert "1 customer matches." in text and "Ana García López" in text
    bad = client.post(
        "/segments/builder/preview/", {"match": "all", "cx-field": "clv", "cx-op": "gt", "cx-value": "x"}
    )
    assert "Condition 1: Enter a number." in bad.content.decode()


def test_nested_definition_is_edited_as_json(admin, client):
    nested = {"any": [{"all": MADRID["all"]}, {"field": "tag", "op": "eq", "value": "vip"}]}
    segment = _segment(admin, nested)
    page = client.get(f"/segments/{segment.pk}/edit/")
    assert b'name="definition_json"' in page.content
    response = client.post(
        f"/segments/{segment.pk}/edit/", {"name": "N", "match": "all", "definition_json": "{nope"}
    )
    assert response.status_code == 422 and b"not valid JSON" in response.content


def test_detail_members_history_export_and_filter(admin, client, users):
    ana = person(admin, name="Ana", city="Madrid", email="ana@x.es")
    segment = _segment(admin)
    services.segment_update(
        actor=actor_for(admin),
        segment=segment,
        data={"definition": {"all": [{"field": "city", "op": "eq", "value": "Toledo"}]}},
    )
    services.segment_evaluate(segment=segment)
    text = client.get(f"/segments/{segment.pk}/").content.decode()
    assert "Customers in Toledo" in text and "Version 2" in text and "Added: in Toledo" in text
    assert "Removed: in Madrid" in text and "Definition changed to version 2" in text
    assert "Ana García López" in client.get(f"/segments/{segment.pk}/history/").content.decode()
    services.segment_update(actor=actor_for(admin), segment=segment, data={"definition": MADRID})
    services.segment_evaluate(segment=segment)
    assert "Ana García López" in client.get(f"/segments/{segment.pk}/members/").content.decode()
    export = client.get(f"/segments/{segment.pk}/export.csv")
    assert export.status_code == 200
    csv_text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "ana@x.es" in csv_text
    listed = client.get(f"/customers/?segment={segment.pk}").content.decode()
    assert "Ana García López" in listed
    panel = client.get(f"/segments/customer/{ana.pk}/").content.decode()
    assert "Madrid" in panel
    assert client.get(f"/segments/{segment.pk}/members/?cursor=zzz").status_code == 302


def test_evaluate_and_delete_buttons(admin, client):
    person(admin, name="Ana", city="Madrid")
    segment = services.segment_create(actor=actor_for(admin), data={"name": "M", "definition": MADRID})
    response = client.post(f"/segments/{segment.pk}/evaluate/", follow=True)
    assert "1 entered" in response.content.decode()
    assert client.post(f"/segments/{segment.pk}/delete/").status_code == 302
    assert client.get(f"/segments/{segment.pk}/").status_code == 404


def test_nav_link(admin, client):
    assert b'href="/segments/"' in client.get("/segments/").content


def test_bad_segment_filter_values_are_not_errors(admin, client):
    for value in ("abc", "0", "-1", "99999999999999999999999", "12.5"):
        assert client.get(f"/customers/?segment={value}").status_code in (200, 400, 422), value
        assert client.get(f"/api/v1/parties?segment={value}").status_code in (200, 422), value


def test_spanish_pages(admin, client):
    from clientela.segments.tests.i18n import spanish

    person(admin, name="Ana", city="Madrid")
    segment = _segment(admin)
    with spanish():
        text = client.get(f"/segments/{segment.pk}/", headers={"accept-language": "es"}).content.decode()
    assert "Clientes en Madrid" in text


def test_detail_page_query_budget(admin, client, django_assert_max_num_queries):
    for i in range(3):
        person(admin, name=f"P{i}", city="Madrid")
    segment = _segment(admin)
    with django_assert_max_num_queries(20) as few:
        assert client.get(f"/segments/{segment.pk}/").status_code == 200
    for i in range(15):
        person(admin, name=f"Q{i}", city="Madrid")
    services.segment_update(
        actor=actor_for(admin), segment=segment, data={"definition": {"any": MADRID["all"]}}
    )
    services.segment_evaluate(segment=segment)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/segments/{segment.pk}/").status_code == 200
    for url in (f"/segments/{segment.pk}/members/", f"/segments/{segment.pk}/history/"):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
