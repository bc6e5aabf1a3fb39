"""The customer list sorted by lifetime value and by P(alive), and the filters other apps add to it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from clientela.analytics.tests.dashboard_data import customer, score
from clientela.api.tests.conftest import api_for  # noqa: F401  (the API tests' token client fixture)
from clientela.core.actor import Actor
from clientela.segments.models import Segment
from clientela.segments.services import segment_create

pytestmark = pytest.mark.django_db


def names_in(response) -> list[str]:
    return [p.display_name for p in response.context["page"].items]


@override_settings(CLIENTELA_PAGE_SIZE=2)
def test_sort_by_lifetime_value_pages_through_every_scored_customer(client_for, users):
    admin = users["administrator"]
    values = {"Ana": "150.00", "Bea": "900.50", "Carla": "900.50", "Dora": "20.00"}
    parties = {}
    for name, clv in values.items():
        parties[name] = customer(admin, name=name)
        score(parties[name], clv=Decimal(clv))
    customer(admin, name="Eva")  # no score: not listed under this sort
    client = client_for(admin)
    url = reverse("parties:list")
    first = client.get(url, {"sort": "-clv"})
    assert first.status_code == 200
    page = first.context["page"]
    # equal values are ordered by the newest id first, as the keyset needs
    assert [p.pk for p in page.items] == [parties["Carla"].pk, parties["Bea"].pk]
    rest = client.get(url, {"sort": "-clv", "cursor": page.next_cursor}, HTTP_HX_REQUEST="true")
    assert [p.pk for p in rest.context["page"].items] == [parties["Ana"].pk, parties["Dora"].pk]
    assert rest.context["page"].next_cursor is None
    bad = client.get(url, {"sort": "-clv", "cursor": "WyJub3QgYSBudW1iZXIiLDFd"})
    assert bad.status_code == 302  # a forged cursor starts the list again, no stack trace


def test_sort_by_p_alive_and_the_api_accepts_both_sorts(client_for, users, api_for):  # noqa: F811
    admin = users["administrator"]
    for name, p in (("Ana", 0.2), ("Bea", 0.9), ("Carla", 0.55)):
        score(customer(admin, name=name), p_alive=p)
    response = client_for(admin).get(reverse("parties:list"), {"sort": "-p_alive"})
    assert [n.split()[0] for n in names_in(response)] == ["Bea", "Carla", "Ana"]
    assert "Most likely to buy again" in response.content.decode()
    api = api_for(admin)
    body = api.get("/api/v1/parties?sort=-p_alive&limit=2").json()
    assert [item["display_name"].split()[0] for item in body["items"]] == ["Bea", "Carla"]
    more = api.get(f"/api/v1/parties?sort=-p_alive&limit=2&cursor={body['next_cursor']}").json()
    assert [item["display_name"].split()[0] for item in more["items"]] == ["Ana"]
    assert api.get("/api/v1/parties?sort=-clv").status_code == 200


def test_list_draws_the_registered_filters_and_applies_them(client_for, users):
    admin = users["administrator"]
    ana = customer(admin, name="Ana")
    score(ana, rfm_segment="champions")
    score(customer(admin, name="Bea"), rfm_segment="lost")
    mine = segment_create(
        actor=Actor(user=admin, source="test"),
        data={
            "name": "Top customers",
            "definition": {"all": [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]},
        },
    )
    other = segment_create(
        actor=Actor(user=users["sales_rep_b"], source="test"),
        data={
            "name": "Team B only",
            "definition": {"all": [{"field": "rfm_segment", "op": "in", "value": ["lost"]}]},
        },
    )
    rep = users["sales_rep"]
    html = client_for(rep).get(reverse("parties:list")).content.decode()
    assert 'name="rfm_segment"' in html and "Champions" in html
    assert 'name="churn_risk"' in html and 'name="clv_min"' in html
    # the segment filter offers only the segments the user may see
    visible = set(Segment.objects.restrict(rep, "view").values_list("name", flat=True))
    assert ("Top customers" in html) == ("Top customers" in visible)
    assert ("Team B only" in html) == ("Team B only" in visible)
    response = client_for(admin).get(reverse("parties:list"), {"rfm_segment": "champions"})
    assert [p.pk for p in response.context["page"].items] == [ana.pk]
    assert " open" in response.content.decode().split('class="more-filters"')[1][:400]
    assert mine.pk != other.pk
