"""The review queue pages: list, permission, pair comparison, merge / not the same / skip, bulk accept."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.identity.models import CandidateStatus, MatchCandidate
from clientela.identity.services import pair_is_marked_distinct
from clientela.parties.models import Party
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db

EXPLANATION = [
    {"field": "prior", "level": "prior", "weight": -10.0},
    {"field": "name", "level": "exact", "weight": 12.5},
    {"field": "email", "level": "exact", "weight": 8.0},
    {"field": "total", "level": "total", "weight": 10.5, "match_probability": 0.9993},
]


def candidate_for(a: Party, b: Party, score: float = 0.9993) -> MatchCandidate:
    low, high = sorted((a, b), key=lambda p: p.pk)
    return MatchCandidate.objects.create(
        party_a=low, party_b=high, score=score, weight=10.5, explanation=EXPLANATION
    )


@pytest.fixture
def pair(admin_user):
    a = make_person(
        admin_user, tax_id="12345678Z", notes="", contact_points=[{"kind": "email", "value": "ana@x.es"}]
    )
    b = make_person(admin_user, given_names="Ana María", notes="Cliente antigua")
    return a, b, candidate_for(a, b)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_queue_lists_open_candidates_for_an_admin(admin_user, client_for, pair):
    a, b, candidate = pair
    response = client_for(admin_user).get("/duplicates/")
    assert response.status_code == 200
    html = response.content.decode()
    assert a.display_name in html and b.display_name in html
    assert "99.9%" in html
    assert f"/duplicates/{candidate.pk}/" in html


def test_queue_empty_state(admin_user, client_for):
    response = client_for(admin_user).get("/duplicates/")
    assert "No possible duplicates waiting" in response.content.decode()


def test_users_who_may_not_merge_get_403(users, client_for, pair):
    _a, _b, candidate = pair
    client = client_for(users["support_agent"])
    assert client.get("/duplicates/").status_code == 403
    assert client.get(f"/duplicates/{candidate.pk}/").status_code == 403
    assert client.post(f"/duplicates/{candidate.pk}/merge/", {"survivor": "a"}).status_code == 403
    assert "Your role does not allow merging customers." in client.get("/duplicates/").content.decode()


def test_unknown_or_invisible_candidate_is_404(users, client_for, admin_user):
    client = client_for(users["sales_rep"])
    assert client.get("/duplicates/999999/").status_code == 404
    a = make_person(admin_user)
    b = make_person(admin_user, given_names="Anna")
    candidate = candidate_for(a, b)
    assert client.get(f"/duplicates/{candidate.pk}/").status_code == 404
    assert client.post(f"/duplicates/{candidate.pk}/skip/").status_code == 404


def test_pair_page_shows_both_and_highlights_differences(admin_user, client_for, pair):
    a, b, candidate = pair
    response = client_for(admin_user).get(f"/duplicates/{candidate.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert a.display_name in html and b.display_name in html
    assert 'class="differs table-warning"' in html
    assert "(differs)" in html
    assert 'name="keep_given_names"' in html and 'name="keep_notes"' in html
    assert 'accesskey="m"' in html and 'accesskey="n"' in html and 'accesskey="s"' in html
    assert "12.50" in html and "0.9993" in html


def test_merge_post_merges_and_honours_a_field_choice(admin_user, client_for, pair):
    a, b, candidate = pair
    response = client_for(admin_user).post(
        f"/duplicates/{candidate.pk}/merge/",
        {"survivor": "a", "keep_given_names": "b", "keep_notes": "b", "keep_tax_id": "a"},
    )
    assert response.status_code == 302 and response["Location"] == "/duplicates/"
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MERGED and candidate.decided_by == admin_user
    survivor = Party.all_objects.get(pk=a.pk)
    assert Party.all_objects.get(pk=b.pk).deleted_at is not None
    assert survivor.given_names == "Ana María" and survivor.tax_id == "12345678Z"
    assert survivor.notes == "Cliente antigua"
    assert any("merged into" in t for t in texts(response))


def test_merge_with_b_surviving(admin_user, client_for, pair):
    a, b, candidate = pair
    client_for(admin_user).post(
        f"/duplicates/{candidate.pk}/merge/",
        {"survivor": "b", "keep_given_names": "a", "keep_notes": "b", "keep_tax_id": "a"},
    )
    assert Party.all_objects.get(pk=a.pk).deleted_at is not None
    survivor = Party.all_objects.get(pk=b.pk)
    assert survivor.given_names == "Ana" and survivor.tax_id == "12345678Z"


def test_distinct_post_marks_the_pair(admin_user, client_for, pair):
    a, b, candidate = pair
    response = client_for(admin_user).post(f"/duplicates/{candidate.pk}/distinct/")
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.NOT_DUPLICATE
    assert pair_is_marked_distinct(a, b)


def test_skip_post_and_redirect_to_next_candidate(admin_user, client_for, pair):
    _a, _b, candidate = pair
    c = make_person(admin_user, given_names="Luis")
    d = make_person(admin_user, given_names="Luís")
    other = candidate_for(c, d, score=0.8)
    response = client_for(admin_user).post(f"/duplicates/{candidate.pk}/skip/")
    assert response["Location"] == f"/duplicates/{other.pk}/"
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SKIPPED
    assert "Pair skipped." in texts(response)


def test_non_open_candidate_redirects_with_a_message(admin_user, client_for, pair):
    _a, _b, candidate = pair
    MatchCandidate.objects.filter(pk=candidate.pk).update(status=CandidateStatus.SKIPPED)
    client = client_for(admin_user)
    for response in (
        client.get(f"/duplicates/{candidate.pk}/"),
        client.post(f"/duplicates/{candidate.pk}/merge/", {"survivor": "a"}),
    ):
        assert response.status_code == 302 and response["Location"] == "/duplicates/"
        assert "This pair has already been decided." in texts(response)


def test_get_on_post_only_urls_is_405(admin_user, client_for, pair):
    _a, _b, candidate = pair
    client = client_for(admin_user)
    for action in ("merge", "distinct", "skip"):
        assert client.get(f"/duplicates/{candidate.pk}/{action}/").status_code == 405
    assert client.get("/duplicates/bulk-merge/").status_code == 405


def test_posts_need_csrf(admin_user, pair):
    from django.test import Client

    _a, _b, candidate = pair
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(f"/duplicates/{candidate.pk}/skip/").status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def test_bulk_accept_merges_only_above_threshold(admin_user, client_for):
    high = [
        candidate_for(
            make_person(admin_user, given_names=f"P{i}"), make_person(admin_user, given_names=f"P{i}"), 0.995
        )
        for i in range(3)
    ]
    low = candidate_for(
        make_person(admin_user, given_names="Q"), make_person(admin_user, given_names="Q"), 0.95
    )
    response = client_for(admin_user).post("/duplicates/bulk-merge/", {"threshold": "99"})
    assert response.status_code == 302
    assert "3 merged, 0 failed." in texts(response)
    for c in high:
        c.refresh_from_db()
        assert c.status == CandidateStatus.MERGED
        assert Party.all_objects.get(pk=c.party_b_id).deleted_at is not None
    low.refresh_from_db()
    assert low.status == CandidateStatus.OPEN


def test_bulk_accept_counts_failures(admin_user, client_for):
    a, b, c = (make_person(admin_user, given_names="R") for _ in range(3))
    candidate_for(a, b, 0.999)
    candidate_for(a, c, 0.998)
    candidate_for(b, c, 0.997)  # b is gone once the first pair is merged
    response = client_for(admin_user).post("/duplicates/bulk-merge/", {"threshold": "99"})
    assert "2 merged, 1 failed." in texts(response)


@pytest.mark.parametrize("value", ["", "abc", "80", "101", "nan"])
def test_bulk_accept_rejects_bad_threshold(admin_user, client_for, pair, value):
    _a, _b, candidate = pair
    response = client_for(admin_user).post("/duplicates/bulk-merge/", {"threshold": value})
    assert response.status_code == 302
    assert "Enter a threshold between 90% and 100%." in texts(response)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/duplicates/").status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_candidates(admin_user, client_for):
    client = client_for(admin_user)
    people = [make_person(admin_user, given_names=f"S{i}") for i in range(31)]

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            candidate_for(people[0], people[i + 1], score=0.9 + i / 1000)

    add(5, 0)
    few = _queue_queries(client)
    add(25, 5)
    many = _queue_queries(client)
    assert few == many
    assert many <= 10


def test_load_more_uses_the_cursor(admin_user, client_for, settings):
    from clientela.identity import views

    people = [make_person(admin_user, given_names=f"T{i}") for i in range(4)]
    for i in range(3):
        candidate_for(people[0], people[i + 1], score=0.9 + i / 100)
    original = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        client = client_for(admin_user)
        html = client.get("/duplicates/").content.decode()
        assert 'hx-get="?cursor=' in html
        cursor = html.split('hx-get="?cursor=')[1].split('"')[0]
        second = client.get(f"/duplicates/?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
        assert (
            people[1].display_name in second and people[3].display_name not in second.split("queue-rows")[1]
        )
        assert client.get("/duplicates/?cursor=bad").status_code == 404
    finally:
        views.PAGE_SIZE = original


def test_the_explanation_is_in_words_in_the_users_language(admin_user, client_for, pair):
    _a, _b, candidate = pair
    client = client_for(admin_user)
    html = client.get(f"/duplicates/{candidate.pk}/").content.decode()
    assert "Email</span>: the same" in html and "name</span>: the same" in html  # an unknown code stays as is
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    html = client.get(f"/duplicates/{candidate.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Correo electrónico</span>: iguales" in html


def test_every_code_the_engine_can_explain_has_words():
    from clientela.identity.labels import FIELDS, LEVELS
    from clientela.identity.matching import default_comparisons

    for comparison in default_comparisons():
        assert comparison.name in FIELDS
        for level in comparison.levels:
            assert level.code in LEVELS, f"{comparison.name}: {level.code}"


def test_a_recent_merge_is_undone_from_the_queue_once(admin_user, users, client_for, pair):
    from clientela.identity.models import Merge

    _a, b, candidate = pair
    client = client_for(admin_user)
    client.post(
        f"/duplicates/{candidate.pk}/merge/",
        {"survivor": "a", "keep_given_names": "a", "keep_notes": "a", "keep_tax_id": "a"},
    )
    merge = Merge.objects.get()
    html = client.get("/duplicates/").content.decode()
    assert "Recent merges" in html and f"/duplicates/merges/{merge.pk}/undo/" in html
    assert client_for(users["support_agent"]).post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 403
    assert client.get(f"/duplicates/merges/{merge.pk}/undo/").status_code == 405
    response = client.post(f"/duplicates/merges/{merge.pk}/undo/", follow=True)
    assert "Merge undone" in response.content.decode()
    assert Party.objects.filter(pk=b.pk).exists()  # back from the recycle bin
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert f"/duplicates/merges/{merge.pk}/undo/" not in client.get("/duplicates/").content.decode()
    again = client.post(f"/duplicates/merges/{merge.pk}/undo/", follow=True).content.decode()
    assert "already" in again  # the service's refusal, shown as a message
    assert client.post("/duplicates/merges/999999/undo/").status_code == 404
