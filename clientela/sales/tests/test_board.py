"""The board and opportunity pages: columns, totals, moves (htmx and plain posts), filters, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage
from clientela.sales.selectors import BoardFilters, column_totals, split_months
from clientela.sales.services import opportunity_create
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return Pipeline.objects.get(is_default=True)


def stage(pipeline, name):
    return Stage.objects.get(pipeline=pipeline, name=name)


def make_opps(user, n, **data):
    party = make_person(user)
    return [
        opportunity_create(
            actor=actor_for(user), data={"name": f"Deal {i}", "party": party.pk, "amount": "100", **data}
        )
        for i in range(n)
    ]


def test_board_shows_columns_cards_and_totals(client_for, users, pipeline):
    rep = users["sales_rep"]
    make_opps(rep, 3)
    make_opps(rep, 1, stage=stage(pipeline, "Proposal").pk, amount="1000")
    response = client_for(rep).get(reverse("sales:board", args=[pipeline.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Qualification", "Proposal", "Won", "Lost"):
        assert name in html
    assert "Deal 0" in html and "Deal 2" in html
    assert html.count('class="board-card"') == 4
    columns = {c.stage.name: c for c in response.context["columns"]}
    assert columns["Qualification"].count == 3
    assert columns["Qualification"].totals["EUR"].amount == Decimal("300")
    assert columns["Qualification"].totals["EUR"].weighted == Decimal("30.00")
    assert columns["Proposal"].totals["EUR"].weighted == Decimal("500.00")


def test_board_query_count_does_not_grow_with_cards(
    client_for, users, pipeline, django_assert_max_num_queries
):
    rep = users["sales_rep"]
    make_opps(rep, 2)
    client = client_for(rep)
    url = reverse("sales:board", args=[pipeline.pk])
    client.get(url)
    # session, user, role, teams, pipelines, stages, totals, one per column (6), filter choices
    with django_assert_max_num_queries(17) as small:
        client.get(url)
    make_opps(rep, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    column = {c.stage.name: c for c in response.context["columns"]}["Qualification"]
    assert len(column.cards) == 20 and column.next_cursor
    more = client.get(
        reverse("sales:board_column", args=[pipeline.pk, column.stage.pk]), {"cursor": column.next_cursor}
    )
    assert more.status_code == 200 and more.content.decode().count('class="board-card"') == 7


def test_htmx_move_returns_card_and_out_of_band_totals(client_for, users, pipeline):
    rep = users["sales_rep"]
    (opp,) = make_opps(rep, 1)
    response = client_for(rep).post(
        reverse("sales:opportunity_move", args=[opp.pk]),
        {"stage": stage(pipeline, "Negotiation").pk, "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="opp-{opp.pk}"' in html
    assert 'hx-swap-oob="true"' in html and f'id="totals-{stage(pipeline, "Negotiation").pk}"' in html
    opp.refresh_from_db()
    assert opp.stage.name == "Negotiation" and opp.probability == 75


def test_move_errors_are_messages_not_tracebacks(client_for, users, pipeline):
    rep = users["sales_rep"]
    (opp,) = make_opps(rep, 1)
    client = client_for(rep)
    url = reverse("sales:opportunity_move", args=[opp.pk])
    lost = client.post(url, {"stage": stage(pipeline, "Lost").pk}, HTTP_HX_REQUEST="true")
    assert lost.status_code == 422 and "lost" in lost.content.decode().lower()
    stale = client.post(url, {"stage": stage(pipeline, "Proposal").pk, "version": 7}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409
    other = Pipeline.objects.create(name="Otra")
    alien = Stage.objects.create(pipeline=other, name="X", position=0)
    assert client.post(url, {"stage": alien.pk}, HTTP_HX_REQUEST="true").status_code == 422
    assert client.post(url, {"stage": "abc"}, HTTP_HX_REQUEST="true").status_code == 422
    opp.refresh_from_db()
    assert opp.stage.name == "Qualification" and opp.version == 1
    reason = LostReason.objects.first()
    ok = client.post(
        url, {"stage": stage(pipeline, "Lost").pk, "lost_reason": reason.pk, "lost_note": "Caro"}
    )
    assert ok.status_code == 302
    opp.refresh_from_db()
    assert opp.status == "lost" and opp.lost_note == "Caro"


def test_another_teams_card_cannot_be_moved_or_seen(client_for, users, pipeline):
    (opp,) = make_opps(users["sales_rep_b"], 1)
    client = client_for(users["sales_rep"])
    response = client.post(
        reverse("sales:opportunity_move", args=[opp.pk]), {"stage": stage(pipeline, "Won").pk}
    )
    assert response.status_code == 404
    board = client.get(reverse("sales:board", args=[pipeline.pk]))
    assert "Deal 0" not in board.content.decode()
    assert all(not c.totals for c in board.context["columns"])
    opp.refresh_from_db()
    assert opp.stage.name == "Qualification"


def test_teammate_card_visible_but_not_movable_by_a_rep(client_for, users, pipeline):
    (opp,) = make_opps(users["manager"], 1)
    response = client_for(users["sales_rep"]).post(
        reverse("sales:opportunity_move", args=[opp.pk]),
        {"stage": stage(pipeline, "Won").pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    opp.refresh_from_db()
    assert opp.status == "open"


def test_filters_by_owner_and_close_period(client_for, users, pipeline):
    rep, manager = users["sales_rep"], users["manager"]
    today = timezone.localdate()
    make_opps(rep, 2, expected_close_date=today.isoformat())
    make_opps(manager, 1, expected_close_date=(today + dt.timedelta(days=400)).isoformat())
    client = client_for(users["administrator"])
    url = reverse("sales:board", args=[pipeline.pk])
    mine = client.get(url, {"owner": rep.pk})
    assert mine.content.decode().count('class="board-card"') == 2
    this_month = client.get(url, {"period": "this_month"})
    columns = {c.stage.name: c for c in this_month.context["columns"]}
    assert columns["Qualification"].count == 2
    assert client.get(url, {"owner": "x", "close_from": "31/31/2026"}).status_code == 200


def test_split_months_and_partial_month_totals_match_a_direct_sum(users, pipeline):
    assert split_months(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == (
        (dt.date(2026, 1, 1), dt.date(2026, 3, 1)),
        [],
    )
    full, edges = split_months(dt.date(2026, 1, 15), dt.date(2026, 3, 10))
    assert full == (dt.date(2026, 2, 1), dt.date(2026, 2, 1))
    assert edges == [
        (dt.date(2026, 1, 15), dt.date(2026, 1, 31)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 10)),
    ]
    rep = users["sales_rep"]
    party = make_person(rep)
    for day in ("2026-01-10", "2026-01-20", "2026-02-05", "2026-03-05", "2026-03-25", "2026-04-01"):
        opportunity_create(
            actor=actor_for(rep),
            data={"name": day, "party": party.pk, "amount": "10", "expected_close_date": day},
        )
    filters = BoardFilters(close_from=dt.date(2026, 1, 15), close_to=dt.date(2026, 3, 10))
    totals = column_totals(user=rep, pipeline=pipeline, filters=filters)
    expected = Opportunity.objects.filter(
        expected_close_date__range=(filters.close_from, filters.close_to)
    ).count()
    assert expected == 3
    assert sum(m.count for per in totals.values() for m in per.values()) == expected


def test_list_detail_form_pages(client_for, users, pipeline, django_assert_max_num_queries):
    rep = users["sales_rep"]
    (opp,) = make_opps(rep, 1)
    client = client_for(rep)
    with django_assert_max_num_queries(10):
        listing = client.get(reverse("sales:opportunities"))
    assert "Deal 0" in listing.content.decode()
    detail = client.get(reverse("sales:opportunity", args=[opp.pk]))
    assert detail.status_code == 200 and "Qualification" in detail.content.decode()
    new = client.post(
        reverse("sales:opportunity_new"),
        {
            "name": "",
            "party": opp.party_id,
            "pipeline": pipeline.pk,
            "amount": "-3",
            "currency": "EUR",
            "forecast_category": "pipeline",
        },
    )
    assert new.status_code == 422 and Opportunity.objects.count() == 1
    created = client.post(
        reverse("sales:opportunity_new"),
        {
            "name": "Nueva",
            "party": opp.party_id,
            "pipeline": pipeline.pk,
            "amount": "30",
            "currency": "EUR",
            "forecast_category": "commit",
        },
    )
    assert created.status_code == 302
    new_opp = Opportunity.objects.get(name="Nueva")
    assert new_opp.forecast_category == "commit"
    edit = client.post(
        reverse("sales:opportunity_edit", args=[new_opp.pk]),
        {
            "name": "Nueva",
            "party": opp.party_id,
            "pipeline": pipeline.pk,
            "stage": stage(pipeline, "Proposal").pk,
            "amount": "30",
            "currency": "EUR",
            "forecast_category": "commit",
            "version": 1,
        },
    )
    assert edit.status_code == 302
    new_opp.refresh_from_db()
    assert new_opp.stage.name == "Proposal" and new_opp.probability == 50


def test_pipeline_settings_for_managers_only(client_for, users, pipeline):
    url = reverse("sales:pipeline_new")
    payload = {
        "name": "Renovaciones",
        "currency": "EUR",
        "is_active": "on",
        "stages-TOTAL_FORMS": "3",
        "stages-INITIAL_FORMS": "0",
        "stages-0-name": "Aviso",
        "stages-0-probability": "40",
        "stages-0-outcome": "open",
        "stages-0-is_active": "on",
        "stages-1-name": "Renovada",
        "stages-1-probability": "100",
        "stages-1-outcome": "won",
        "stages-1-is_active": "on",
        "stages-2-name": "Baja",
        "stages-2-probability": "0",
        "stages-2-outcome": "lost",
        "stages-2-is_active": "on",
    }
    assert client_for(users["sales_rep"]).post(url, payload).status_code == 403
    assert not Pipeline.objects.filter(name="Renovaciones").exists()
    response = client_for(users["manager"]).post(url, payload)
    assert response.status_code == 302
    created = Pipeline.objects.get(name="Renovaciones")
    assert list(created.stages.values_list("name", "is_won", "is_lost")) == [
        ("Aviso", False, False),
        ("Renovada", True, False),
        ("Baja", False, True),
    ]
    no_won = {**payload, "name": "Sin ganar", "stages-1-outcome": "open"}
    bad = client_for(users["manager"]).post(url, no_won)
    assert bad.status_code == 422 and not Pipeline.objects.filter(name="Sin ganar").exists()


def test_python_card_renderer_matches_the_template(users, pipeline):
    from django.template.loader import render_to_string
    from django.utils import translation

    from clientela.sales.render import card_html
    from clientela.sales.selectors import BoardFilters, board_cards

    rep = users["sales_rep"]
    make_opps(rep, 1, expected_close_date="2026-12-24", amount="1234.5")
    make_opps(rep, 1, name="<b>Sin fecha</b> & más")
    for language in ("es", "en"):
        with translation.override(language):
            cards = board_cards(
                user=rep,
                pipeline=pipeline,
                stage=stage(pipeline, "Qualification"),
                filters=BoardFilters(),
                cursor=None,
                size=5,
            ).items
            assert len(cards) == 2
            for card in cards:
                assert str(card_html(card)) == render_to_string("sales/_card.html", {"card": card})


def test_customer_page_panel_lists_the_customers_opportunities(client_for, users, pipeline):
    rep = users["sales_rep"]
    (opp,) = make_opps(rep, 1)
    client = client_for(rep)
    page = client.get(reverse("parties:detail", args=[opp.party_id]))
    assert reverse("sales:party_opportunities", args=[opp.party_id]) in page.content.decode()
    fragment = client.get(reverse("sales:party_opportunities", args=[opp.party_id]))
    assert fragment.status_code == 200 and "Deal 0" in fragment.content.decode()
    other = make_person(users["sales_rep_b"])
    assert client.get(reverse("sales:party_opportunities", args=[other.pk])).status_code == 404


def test_show_more_pages_through_a_column_in_both_orders(client_for, users, pipeline):
    rep = users["sales_rep"]
    today = timezone.localdate()
    make_opps(rep, 45, expected_close_date=today.isoformat())
    client = client_for(rep)
    qualification = stage(pipeline, "Qualification")
    for params in ({}, {"period": "this_month"}):
        board = client.get(reverse("sales:board", args=[pipeline.pk]), params)
        column = {c.stage.name: c for c in board.context["columns"]}["Qualification"]
        seen = [c["id"] for c in column.cards]
        cursor = column.next_cursor
        while cursor:
            more = client.get(
                reverse("sales:board_column", args=[pipeline.pk, qualification.pk]),
                {**params, "cursor": cursor},
            )
            assert more.status_code == 200
            seen += [c["id"] for c in more.context["cards"]]
            cursor = more.context["next_cursor"]
        assert sorted(seen) == sorted(Opportunity.objects.values_list("pk", flat=True)), params
        assert len(seen) == len(set(seen)) == 45


def test_board_columns_keep_their_own_cards_in_order(users, pipeline):
    """Each column lists only its stage's cards, most recently moved first (then the newest id), with or
    without the close-date order; on PostgreSQL all columns come from one statement."""
    from django.db import connection

    from clientela.sales.selectors import pipeline_board

    rep = users["sales_rep"]
    base = timezone.now() - dt.timedelta(days=30)
    for i, opp in enumerate(make_opps(rep, 5) + make_opps(rep, 4, stage=stage(pipeline, "Proposal").pk)):
        # distinct move times out of creation order, and one tie broken by the id
        moved = base + dt.timedelta(hours=(i * 7) % 5)
        Opportunity.objects.filter(pk=opp.pk).update(
            stage_entered_at=moved, expected_close_date=dt.date(2026, 3, 1 + (i * 3) % 9)
        )
    for filters, key, descending in (
        (BoardFilters(), lambda c: (c["stage_entered_at"], c["id"]), True),
        (
            BoardFilters(close_from=dt.date(2026, 3, 1), close_to=dt.date(2026, 3, 31)),
            lambda c: (c["expected_close_date"], c["id"]),
            False,
        ),
    ):
        columns = {c.stage.name: c for c in pipeline_board(user=rep, pipeline=pipeline, filters=filters)}
        for name, expected_stage, n in (("Qualification", "Qualification", 5), ("Proposal", "Proposal", 4)):
            cards = columns[name].cards
            assert len(cards) == n
            assert {c["stage_id"] for c in cards} == {stage(pipeline, expected_stage).pk}
            assert cards == sorted(cards, key=key, reverse=descending)
        assert all(not c.cards for name, c in columns.items() if name not in ("Qualification", "Proposal"))
    if connection.vendor == "postgresql":
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            pipeline_board(user=rep, pipeline=pipeline, filters=BoardFilters())
        assert sum(" UNION ALL " in q["sql"] for q in ctx.captured_queries) == 1
