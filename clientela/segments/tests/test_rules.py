"""Rules: every field and operator compiles to SQL that picks the right customers; the definition reads as a
sentence in English and Spanish; bad trees get one clear message per bad rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clientela.parties.models import Party
from clientela.segments.rules import FIELDS, definition_clean, definition_q, definition_text
from clientela.segments.tests.helpers import log, organisation, person, score, tag

pytestmark = pytest.mark.django_db


def match(*conditions, group="all"):
    tree = definition_clean({group: list(conditions)})
    return set(Party.objects.filter(definition_q(tree)).values_list("pk", flat=True))


def c(field, op, value=None, **params):
    node = {"field": field, "op": op, **params}
    if value is not None:
        node["value"] = value
    return node


@pytest.fixture
def people(users, team_a, team_b):
    rep, rep_b = users["sales_rep"], users["sales_rep_b"]
    madrid = person(rep, name="Madrid", city="Madrid", region="Comunidad de Madrid", country="ES",
                    email="m@x.es", status="customer", team=team_a.pk)  # fmt: skip
    sevilla = person(rep_b, name="Sevilla", city="Sevilla", country="ES", phone="+34600111222",
                     status="lead", team=team_b.pk)  # fmt: skip
    paris = person(None, name="Paris", city="París", country="FR", status="prospect")
    org = organisation(rep, legal_name="Acme S.L.", status="customer")
    return {"madrid": madrid, "sevilla": sevilla, "paris": paris, "org": org, "rep": rep, "team_a": team_a}


def test_party_fields(people):
    p = people
    m, s, pa, o = p["madrid"].pk, p["sevilla"].pk, p["paris"].pk, p["org"].pk
    assert match(c("kind", "eq", "organisation")) == {o}
    assert match(c("kind", "ne", "organisation")) == {m, s, pa}
    assert match(c("status", "eq", "customer")) == {m, o}
    assert match(c("status", "in", ["lead", "prospect"])) == {s, pa}
    assert match(c("status", "not_in", ["lead", "prospect"])) == {m, o}
    assert match(c("owner", "eq", p["rep"].pk)) == {m, o}
    assert match(c("owner", "is_empty")) == {pa}
    assert match(c("owner", "ne", p["rep"].pk)) == {s, pa}
    teams = dict(Party.objects.values_list("pk", "team_id"))
    assert (
        match(c("team", "eq", p["team_a"].pk)) == {k for k, v in teams.items() if v == p["team_a"].pk} >= {m}
    )
    assert match(c("team", "is_empty")) == {k for k, v in teams.items() if v is None}
    assert s in match(c("team", "ne", p["team_a"].pk))
    assert match(c("city", "eq", "madrid")) == {m}  # case-insensitive
    assert match(c("city", "in", ["Madrid", "Sevilla"])) == {m, s}
    assert match(c("city", "ne", "Madrid")) == {s, pa, o}
    assert match(c("city", "not_in", "Madrid, Sevilla")) == {pa, o}
    assert match(c("region", "eq", "Comunidad de Madrid")) == {m}
    assert match(c("country", "eq", "es")) == {m, s}
    assert match(c("country", "ne", "ES")) == {pa, o}
    assert match(c("has_email", "eq", True)) == {m}
    assert match(c("has_email", "eq", "false")) == {s, pa, o}
    assert match(c("has_phone", "eq", True)) == {s}


def test_tags_and_created(people):
    p = people
    tag(p["madrid"], "VIP")
    tag(p["sevilla"], "Feria 2025")
    assert match(c("tag", "eq", "vip")) == {p["madrid"].pk}
    assert match(c("tag", "in", ["VIP", "feria 2025"])) == {p["madrid"].pk, p["sevilla"].pk}
    assert match(c("tag", "ne", "VIP")) == {p["sevilla"].pk, p["paris"].pk, p["org"].pk}
    old = timezone.now() - dt.timedelta(days=400)
    Party.objects.filter(pk=p["paris"].pk).update(created_at=old)
    assert match(c("created_at", "older_than_days", 100)) == {p["paris"].pk}
    assert p["paris"].pk not in match(c("created_at", "within_days", 100))
    assert match(c("created_at", "before", (timezone.now() - dt.timedelta(days=200)).date().isoformat())) == {
        p["paris"].pk
    }
    assert p["paris"].pk not in match(c("created_at", "after", timezone.now().date().isoformat()))


def test_interaction_counts_recency_and_amounts(people):
    m, s, pa = people["madrid"], people["sevilla"], people["paris"]
    for days in (10, 100, 200):
        log(m, "purchase", days_ago=days, amount="100")
    log(m, "purchase", days_ago=500, amount="50")
    log(m, "return", days_ago=5, amount="30")
    log(s, "purchase", days_ago=20, amount="10")
    log(s, "complaint", days_ago=30)
    log(pa, "complaint", days_ago=200)
    log(pa, "purchase", days_ago=2, amount="999", current=False)  # superseded: never counts
    purchase = {"kind": "purchase"}
    assert match(c("interactions", "gte", 3, days=365, **purchase)) == {m.pk}
    assert match(c("interactions", "gte", 4, **purchase)) == {m.pk}  # lifetime: PartyStats
    assert match(c("interactions", "eq", 1, **purchase)) == {s.pk}
    assert match(c("interactions", "eq", 0, **purchase)) == {pa.pk, people["org"].pk}
    assert match(c("interactions", "gt", 1, days=365, **purchase)) == {m.pk}
    assert match(c("interactions", "lt", 2, days=365, **purchase)) == {s.pk, pa.pk, people["org"].pk}
    assert match(c("interactions", "lte", 1, days=15, **purchase)) == {m.pk, s.pk, pa.pk, people["org"].pk}
    assert match(c("interactions", "gte", 1, kind="complaint", days=90)) == {s.pk}
    assert match(c("interactions", "eq", 0, kind="complaint", days=90)) == {m.pk, pa.pk, people["org"].pk}
    assert match(c("interactions", "gte", 1, kind="return")) == {m.pk}
    assert match(c("last_purchase", "within_days", 15)) == {m.pk}
    assert match(c("last_purchase", "older_than_days", 15)) == {s.pk}
    assert match(c("last_purchase", "is_empty")) == {pa.pk, people["org"].pk}
    assert match(c("purchases_total", "gte", "300")) == {m.pk}
    assert match(c("purchases_total", "lt", 20)) == {s.pk, pa.pk, people["org"].pk}
    assert match(c("net_value", "eq", "320.00")) == {m.pk}
    assert match(c("net_value", "lte", 0)) == {pa.pk, people["org"].pk}
    # "customers in Madrid with at least 3 purchases in 12 months and no complaint in 90 days"
    assert match(
        c("city", "eq", "Madrid"),
        c("interactions", "gte", 3, days=365, **purchase),
        c("interactions", "eq", 0, kind="complaint", days=90),
    ) == {m.pk}
    assert match(c("city", "eq", "Paris"), c("interactions", "gte", 1, kind="complaint"), group="any") == {
        s.pk,
        pa.pk,
    }


def test_last_contact(people):
    from clientela.interactions.models import PartyStats

    m, s = people["madrid"], people["sevilla"]
    log(m, "call", days_ago=100)
    log(s, "call", days_ago=3)
    PartyStats.objects.filter(party=m).update(last_contact_at=timezone.now() - dt.timedelta(days=100))
    PartyStats.objects.filter(party=s).update(last_contact_at=timezone.now() - dt.timedelta(days=3))
    assert match(c("last_contact", "older_than_days", 30)) == {m.pk}
    assert match(c("last_contact", "within_days", 30)) == {s.pk}
    assert match(c("last_contact", "is_empty")) == {people["paris"].pk, people["org"].pk}


def test_score_fields(people):
    m, s, pa = people["madrid"], people["sevilla"], people["paris"]
    score(
        m, rfm_segment="champions", r_score=5, f_score=4, m_score=5, clv="900", p_alive=0.9, churn_risk="low"
    )
    score(s, rfm_segment="at_risk", r_score=1, f_score=2, m_score=2, clv="20", p_alive=0.2, churn_risk="high")
    assert match(c("rfm_segment", "eq", "champions")) == {m.pk}
    assert match(c("rfm_segment", "in", ["champions", "at_risk"])) == {m.pk, s.pk}
    assert match(c("rfm_segment", "ne", "champions")) == {s.pk, pa.pk, people["org"].pk}
    assert match(c("rfm_segment", "not_in", ["champions", "at_risk"])) == {pa.pk, people["org"].pk}
    assert match(c("r_score", "gte", 4)) == {m.pk}
    assert match(c("f_score", "lt", 3)) == {s.pk}
    assert match(c("m_score", "eq", 5)) == {m.pk}
    assert match(c("clv", "gt", "100")) == {m.pk}
    assert match(c("p_alive", "lte", 0.5)) == {s.pk}
    assert match(c("churn_risk", "eq", "high")) == {s.pk}
    assert match(c("churn_risk", "ne", "high")) == {m.pk, pa.pk, people["org"].pk}


def test_nested_groups(people):
    m, s, pa = people["madrid"], people["sevilla"], people["paris"]
    tree = {
        "any": [{"all": [c("country", "eq", "ES"), c("has_phone", "eq", True)]}, c("city", "eq", "París")]
    }
    assert set(Party.objects.filter(definition_q(definition_clean(tree))).values_list("pk", flat=True)) == {
        s.pk,
        pa.pk,
    }
    assert m.pk not in match(c("has_phone", "eq", True))


def test_deleted_customers_never_match(people, users):
    from clientela.parties.services import party_delete
    from clientela.testing.factories import actor_for

    party_delete(actor=actor_for(users["administrator"]), party=people["madrid"])
    assert match(c("city", "eq", "Madrid")) == set()


EXAMPLE = {
    "all": [
        c("city", "eq", "Madrid"),
        c("interactions", "gte", 3, kind="purchase", days=365),
        c("interactions", "eq", 0, kind="complaint", days=90),
    ]
}


def test_readable_definition_in_english_and_spanish(db):
    tree = definition_clean(EXAMPLE)
    with translation.override("en"):
        assert definition_text(tree) == (
            "Customers in Madrid, with at least 3 purchases in the last 12 months "
            "and with no complaints in the last 90 days"
        )
    from clientela.segments.tests.i18n import spanish

    with spanish():
        assert definition_text(tree) == (
            "Clientes en Madrid, con al menos 3 compras en los últimos 12 meses "
            "y sin quejas en los últimos 90 días"
        )


def test_every_field_and_operator_reads_as_words(db, users):
    samples = {
        "choice": None,
        "text": "Madrid",
        "int": 3,
        "decimal": "10",
        "fraction": 0.5,
        "date": "2025-01-31",
        "bool": True,
        "user": users["sales_rep"].pk,
        "team": 1,
        "days": 30,
        "country": "ES",
    }
    for spec in FIELDS.values():
        for op in spec.ops:
            value = samples[spec.value_type]
            if spec.value_type == "choice":
                value = str(spec.choices()[0][0])
            if op.endswith("_days"):
                value = 30
            if op in ("in", "not_in"):
                value = [value]
            node = {"field": spec.key, "op": op, "value": value}
            if "kind" in spec.params:
                node["kind"] = "purchase"
            tree = definition_clean({"all": [node]})
            text = definition_text(tree)
            assert text.startswith("Customers ") and "%(" not in text, (spec.key, op, text)
            Party.objects.filter(definition_q(tree)).count()  # compiles and runs


@pytest.mark.parametrize(
    ("tree", "path", "fragment"),
    [
        (
            {"all": [{"field": "shoe_size", "op": "eq", "value": 3}]},
            "definition.all.0.field",
            "Unknown field",
        ),
        ({"all": [{"field": "city", "op": "gte", "value": "x"}]}, "definition.all.0.op", "operators"),
        ({"all": [{"field": "r_score", "op": "gte", "value": "many"}]}, "definition.all.0.value", "number"),
        ({"all": [{"field": "r_score", "op": "gte", "value": 9}]}, "definition.all.0.value", "at most 5"),
        (
            {"all": [{"field": "p_alive", "op": "gte", "value": float("nan")}]},
            "definition.all.0.value",
            "number",
        ),
        (
            {"all": [{"field": "status", "op": "eq", "value": "vip"}]},
            "definition.all.0.value",
            "Choose one of",
        ),
        (
            {"all": [{"field": "created_at", "op": "before", "value": "31/01/2025"}]},
            "definition.all.0.value",
            "date",
        ),
        (
            {"all": [{"field": "has_email", "op": "eq", "value": "maybe"}]},
            "definition.all.0.value",
            "true or false",
        ),
        ({"all": [{"field": "interactions", "op": "gte", "value": 1}]}, "definition.all.0.kind", "kind"),
        (
            {"all": [{"field": "interactions", "op": "gte", "value": 1, "kind": "purchase", "days": -3}]},
            "definition.all.0.days",
            "days",
        ),
        (
            {"all": [{"field": "city", "op": "eq", "value": "x", "days": 3}]},
            "definition.all.0.days",
            "does not take",
        ),
        ({"all": [{"field": "city", "op": "in", "value": []}]}, "definition.all.0.value", "list"),
        ({"all": []}, "definition.all", "at least one"),
        ({"all": ["city"]}, "definition.all.0", "condition or a group"),
        (
            {"all": [{"any": [{"field": "tag", "op": "eq", "value": ""}]}]},
            "definition.all.0.any.0.value",
            "value",
        ),
        ({"city": "Madrid"}, "definition", "group"),
        ([], "definition", "group"),
    ],
)
def test_bad_rules_get_clear_messages(db, tree, path, fragment):
    with pytest.raises(ValidationError) as info:
        definition_clean(tree)
    messages = info.value.message_dict
    assert path in messages, messages
    assert any(fragment.lower() in m.lower() for m in messages[path]), messages


def test_several_bad_rules_are_reported_together(db):
    with pytest.raises(ValidationError) as info:
        definition_clean(
            {"all": [{"field": "nope", "op": "eq"}, {"field": "city", "op": "eq", "value": "Madrid"},
                     {"field": "clv", "op": "gte", "value": "abc"}]}
        )  # fmt: skip
    assert set(info.value.message_dict) == {"definition.all.0.field", "definition.all.2.value"}


def test_depth_and_size_limits(db):
    deep = c("city", "eq", "x")
    for _ in range(6):
        deep = {"all": [deep]}
    with pytest.raises(ValidationError):
        definition_clean(deep)
    with pytest.raises(ValidationError) as info:
        definition_clean({"all": [c("city", "eq", f"c{i}") for i in range(41)]})
    assert "at most 40" in str(info.value)
