"""The activity panel built in Python: escaped values, the form's errors and token, the next-page link."""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.utils import translation

from clientela.interactions.forms import QUICK_FORMS
from clientela.interactions.render_panel import activity_html, quick_form_html, timeline_page_html
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


def _panel(party, **changes):
    panel = {
        "party": party,
        "timeline": SimpleNamespace(items=[], next_cursor=None),
        "timeline_query": "",
        "quick_forms": [
            (kind, kind.title(), form() if kind == "note" else None) for kind, form in QUICK_FORMS.items()
        ],
        "active_form": "note",
        "can_log": True,
        "upcoming": [],
        "chips": [("", None), ("email", "Email"), ("call", "Call")],
        "selected_kinds": ["call"],
        "typed": {"from": "", "to": "", "source": ""},
    }
    panel.update(changes)
    return panel


def test_typed_filter_values_are_escaped_and_chosen_kinds_stay_checked(admin_user):
    party = make_person(admin_user)
    html = activity_html(_panel(party, typed={"from": "", "to": "", "source": '"><script>x</script>'}), "tok")
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html and "<script>" not in html
    assert 'value="call" checked>' in html and 'value="email">' in html


def test_only_the_open_form_is_drawn_and_the_others_load_on_demand(admin_user):
    party = make_person(admin_user)
    html = activity_html(_panel(party), "tok")
    assert html.count('<form class="quick-log"') == 1
    assert f'hx-get="/customers/{party.pk}/log/call/"' in html
    assert 'id="tab-note" type="button" role="tab" data-bs-toggle="pill" data-bs-target="#log-note"' in html
    assert 'aria-selected="true"' in html and "hx-get" not in html.split('id="tab-note"')[1].split(">")[0]


def test_a_reader_who_may_not_log_sees_no_composer(admin_user):
    party = make_person(admin_user)
    assert "composer" not in activity_html(_panel(party, can_log=False), "tok")


def test_the_quick_form_carries_the_token_and_its_errors_escaped(admin_user):
    party = make_person(admin_user)
    form = QUICK_FORMS["meeting"](data={"meeting-occurred_at": "not a date", "meeting-objective": "<b>x</b>"})
    assert not form.is_valid()
    form.add_error(None, "Whole <form> problem")
    html = quick_form_html(form, party.pk, "meeting", "tok<en>")
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="tok&lt;en&gt;">' in html
    assert f'action="/customers/{party.pk}/log/meeting/"' in html
    assert '<ul class="errorlist"><li>Whole &lt;form&gt; problem</li></ul>' in html
    assert 'id="err-meeting-occurred_at"' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert quick_form_html(form, party.pk, "meeting", "NOTPROVIDED").count("csrfmiddlewaretoken") == 0


def test_next_page_link_keeps_the_filters_and_quotes_the_cursor(admin_user):
    party = make_person(admin_user)
    page = SimpleNamespace(items=[], next_cursor="a+b/c=")
    html = timeline_page_html(page, party.pk, "kind=email&kind=call")
    link = f"/customers/{party.pk}/timeline/?kind=email&amp;kind=call&amp;cursor=a%2Bb/c%3D"
    assert html.count(link) == 3
    assert unquote(re.search(r"cursor=([^\"&]+)", html).group(1)) == "a+b/c="
    assert "Nothing recorded yet." not in html
    empty = timeline_page_html(SimpleNamespace(items=[], next_cursor=None), party.pk, "")
    assert "Nothing recorded yet." in empty and "timeline-more" not in empty


def test_fixed_texts_follow_the_language(admin_user):
    party = make_person(admin_user)
    with translation.override("es"):
        spanish = activity_html(_panel(party), "tok")
    with translation.override("en"):
        english = activity_html(_panel(party), "tok")
    assert ">Actividad</h2>" in spanish and ">Activity</h2>" in english
    assert ">Guardar</button>" in spanish and ">Save</button>" in english


def test_key_figures_in_the_locale_with_plurals_and_other_currencies(admin_user):
    from decimal import Decimal

    from django.utils import timezone

    from clientela.interactions.models import PartyStats
    from clientela.interactions.render_panel import figures_html

    party = make_person(admin_user)
    admin_user.first_name, admin_user.last_name = "Ana <b>", "Ruiz"
    stats = PartyStats(
        party=party,
        currency="EUR",
        purchases_total=Decimal("1234.5"),
        purchases_count=1,
        returns_total=Decimal("0"),
        returns_count=2,
        open_complaints=3,
        outstanding_balance=Decimal("-10"),
        last_contact_at=timezone.now() - timezone.timedelta(hours=3),
        last_contact_by=admin_user,
        other_currencies={"USD": {"purchases": "50.00"}},
    )
    upcoming = SimpleNamespace(occurred_at=timezone.now() + timezone.timedelta(days=2), summary="Call <back>")
    with translation.override("en"):
        english = figures_html({"figures": stats, "next_activity": upcoming})
    with translation.override("es"):
        spanish = figures_html({"figures": stats, "next_activity": None})
    assert '<dd class="num-fig">€1,234.50</dd><dd class="muted small">1 purchase</dd>' in english
    assert '<dd class="muted small">2 returns</dd>' in english
    assert '<dd class="num-fig">3</dd>' in english
    assert "3\xa0hours ago</time>" in english and "Ana &lt;b&gt;" in english
    assert "Call &lt;back&gt;" in english and "<back>" not in english
    assert "Also in other currencies: $50.00 (purchases)</p>" in english
    assert "1.234,50" in spanish and "1 compra</dd>" in spanish and "2 devoluciones" in spanish
    assert "Próxima actividad</dt><dd>—</dd>" in spanish
