"""Scoring, EM, explanation, resolution and the real-time index (pure, no database, nothing timed)."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest

from clientela.identity.matching import FitResult, Matcher, PartyRecord, synthetic

MERGE = 0.9


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """A matcher fitted without labels on a synthetic population with known duplicates."""
    m = Matcher(seed=3)
    m.fit(synthetic.generate(2000, seed=5))
    return m


def person(pid: str, given: str, family: str, **kw) -> PartyRecord:
    base = {
        "birth_date": datetime.date(1975, 3, 21),
        "postal_code": "28013",
        "city": "Madrid",
        "street": "Calle Mayor 12",
    }
    base.update(kw)
    return PartyRecord(id=pid, given_name=given, family_name=family, **base)  # type: ignore[arg-type]


def levels(explanation: list[dict]) -> dict[str, str]:
    return {e["field"]: e["level"] for e in explanation}


def weight(explanation: list[dict], field: str) -> float:
    return next(e["weight"] for e in explanation if e["field"] == field)


def probability(explanation: list[dict]) -> float:
    return explanation[-1]["match_probability"]


def test_em_recovers_sensible_m_and_u(matcher: Matcher):
    fit = matcher.fitted
    email = fit.params("email")
    exact = email.levels.index("exact")
    assert email.m[exact] > 0.5
    assert email.u[exact] < 0.01
    given = fit.params("given_name")
    assert given.m[given.levels.index("exact")] > given.u[given.levels.index("exact")] * 10
    assert fit.converged
    assert 0 < fit.prior < 0.01


def test_nickname_matches(matcher: Matcher):
    a = person("a", "Pepe", "García")
    b = person("b", "José", "García")
    explanation = matcher.explain(a, b)
    assert levels(explanation)["given_name"] == "nickname"
    assert weight(explanation, "given_name") > 0
    assert (
        levels(matcher.explain(person("c", "Chema", "Ruiz"), person("d", "José María", "Ruiz")))["given_name"]
        == "nickname"
    )


def test_double_surname_with_one_missing(matcher: Matcher):
    explanation = matcher.explain(person("a", "Lucía", "García López"), person("b", "Lucía", "García"))
    assert levels(explanation)["family_name"] == "double_surname_partial"
    assert weight(explanation, "family_name") > 0
    assert probability(explanation) >= MERGE


def test_organisation_legal_form_variants():
    m = Matcher(seed=1)
    orgs = [
        PartyRecord(
            id=f"o{k}", kind="organisation", organisation_name=f"Empresa {k} S.L.", postal_code=f"{28000 + k}"
        )
        for k in range(200)
    ]
    m.fit(orgs)
    a = PartyRecord(id="a", kind="organisation", organisation_name="Talleres Pérez S.L.", postal_code="28001")
    b = PartyRecord(id="b", kind="organisation", organisation_name="TALLERES PEREZ SL", postal_code="28001")
    explanation = m.explain(a, b)
    assert levels(explanation)["organisation_name"] == "exact"
    assert weight(explanation, "organisation_name") > 0


def test_typo_in_names_still_agrees(matcher: Matcher):
    explanation = matcher.explain(person("a", "Verónica", "Fernández"), person("b", "Veronica", "Fernandes"))
    assert levels(explanation)["given_name"] == "exact"
    assert levels(explanation)["family_name"].startswith("jaro_winkler")
    assert weight(explanation, "family_name") > weight(
        matcher.explain(person("a", "Verónica", "Fernández"), person("b", "Verónica", "Zubizarreta")),
        "family_name",
    )


def test_swapped_birth_date_weighs_positively_but_less_than_exact(matcher: Matcher):
    a = person("a", "Irene", "Molina", birth_date=datetime.date(1980, 4, 7))
    swapped = matcher.explain(a, replace(a, id="b", birth_date=datetime.date(1980, 7, 4)))
    exact = matcher.explain(a, replace(a, id="b"))
    assert levels(swapped)["birth_date"] == "day_month_swapped"
    assert 0 < weight(swapped, "birth_date") < weight(exact, "birth_date")


def test_shared_generic_mailbox_does_not_merge_two_people(matcher: Matcher):
    a = person("a", "Marta", "Ruiz", emails=("info@talleres-perez.es",), birth_date=None)
    b = person("b", "Sergio", "Ortega", emails=("info@talleres-perez.es",), birth_date=None)
    explanation = matcher.explain(a, b)
    assert levels(explanation)["email"] == "exact_generic_mailbox"
    assert weight(explanation, "email") <= 1.0
    assert probability(explanation) < MERGE


def test_a_companys_own_role_mailbox_identifies_the_company(matcher: Matcher):
    a = PartyRecord(id="a", kind="organisation", organisation_name="Talleres Pérez S.L.",
                    emails=("info@talleres-perez.es",))  # fmt: skip
    b = replace(a, id="b", organisation_name="TALLERES PEREZ")
    explanation = matcher.explain(a, b)
    assert levels(explanation)["email"] == "exact"
    people = matcher.explain(
        person("a", "Marta", "Ruiz", emails=("info@talleres-perez.es",)),
        person("b", "Marta", "Ruiz", emails=("info@talleres-perez.es",)),
    )
    assert weight(explanation, "email") > weight(people, "email")


def test_two_different_tax_ids_always_count_against(matcher: Matcher):
    # A fit where EM took namesakes for matches and learnt that ids differ in matches (m ≈ u)
    fit = FitResult.from_json(matcher.to_json())
    params = fit.params("tax_id")
    params.m[params.levels.index("different")] = 0.95
    naive = Matcher(fit)
    a = person("a", "Ana", "García López", tax_id="12345678Z")
    b = replace(a, id="b", tax_id="87654321X")
    explanation = naive.explain(a, b)
    assert levels(explanation)["tax_id"] == "different"
    assert weight(explanation, "tax_id") <= -3.0
    typo = matcher.explain(a, replace(a, id="b", tax_id="12345679Z"))
    assert levels(typo)["tax_id"] == "one_edit"


def test_shared_landline_and_surname_with_different_given_names_stays_below_merge(matcher: Matcher):
    landline = "+34915550123"
    a = person(
        "a", "Tomás", "Molina", phones=(landline,), birth_date=None, street="", postal_code="", city=""
    )
    b = person(
        "b", "Irene", "Molina", phones=(landline,), birth_date=None, street="", postal_code="", city=""
    )
    explanation = matcher.explain(a, b)
    assert levels(explanation)["phone"] == "exact_landline"
    assert probability(explanation) < MERGE
    # Even when they also share the household address.
    household = matcher.explain(
        replace(a, street="C/ Mayor 5", postal_code="28013"),
        replace(b, street="Calle Mayor 5", postal_code="28013"),
    )
    assert probability(household) < MERGE


def test_landline_weighs_less_than_mobile(matcher: Matcher):
    phone = "+34915550123"
    landline = matcher.explain(
        person("a", "Ana", "Gil", phones=(phone,)), person("b", "Ana", "Gil", phones=(phone,))
    )
    mobile = matcher.explain(
        person("a", "Ana", "Gil", phones=(phone,), mobiles=(phone,)),
        person("b", "Ana", "Gil", phones=(phone,)),
    )
    assert levels(mobile)["phone"] == "exact_mobile"
    assert weight(landline, "phone") < weight(mobile, "phone")


def test_garbage_values_never_agree(matcher: Matcher):
    a = PartyRecord(id="a", given_name="Cliente", family_name="Varios", emails=("test@test.com",),
                    phones=("123456789",), tax_id="000000000")  # fmt: skip
    b = PartyRecord(id="b", given_name="cliente", family_name="varios", emails=("test@test.com",),
                    phones=("123456789",), tax_id="000000000")  # fmt: skip
    explanation = matcher.explain(a, b)
    for field in ("given_name", "family_name", "email", "phone", "tax_id"):
        assert levels(explanation)[field] == "missing"
    assert probability(explanation) < 0.5


def test_common_surname_weighs_less_than_a_rare_one(matcher: Matcher):
    common = matcher.explain(person("a", "Laura", "García"), person("b", "Laura", "García"))
    rare = matcher.explain(person("a", "Laura", "Olabarrieta"), person("b", "Laura", "Olabarrieta"))
    assert levels(common)["family_name"] == levels(rare)["family_name"] == "exact"
    assert weight(common, "family_name") < weight(rare, "family_name")
    tf = {e["field"]: e["tf_adjustment"] for e in common[:-1]}
    assert tf["family_name"] < 0


def test_explanation_weights_sum_to_the_total(matcher: Matcher):
    explanation = matcher.explain(
        person("a", "Pepe", "García López"), person("b", "José", "García", emails=("x@y.es",))
    )
    total = explanation[-1]
    assert total["field"] == "total"
    assert sum(e["weight"] for e in explanation[:-1]) == pytest.approx(total["weight"])
    for entry in explanation[1:-2]:
        assert set(entry) >= {"field", "level", "weight", "base_weight", "tf_adjustment"}
        assert entry["base_weight"] + entry["tf_adjustment"] == pytest.approx(entry["weight"])


def test_external_id_from_the_same_source_is_a_certain_match(matcher: Matcher):
    a = PartyRecord(id="a", given_name="Ana", external_ids=(("shop", "42"),))
    b = PartyRecord(id="b", given_name="Anabel", external_ids=(("shop", "42"),))
    assert probability(matcher.explain(a, b)) > 0.999


def test_json_round_trip_gives_identical_scores(matcher: Matcher):
    records = synthetic.generate(300, seed=9)
    pairs = matcher.candidate_pairs(records)
    before = matcher.score_pairs(records, pairs)
    restored = Matcher.from_json(matcher.to_json())
    after = restored.score_pairs(records, pairs)
    assert before.total.tolist() == after.total.tolist()
    assert before.probability.tolist() == after.probability.tolist()


def test_resolve_clusters_duplicates_and_keeps_households_apart(matcher: Matcher):
    records = synthetic.generate(600, seed=21)
    clusters, review = matcher.resolve(records, merge_threshold=MERGE, review_threshold=0.5)
    assert sorted(i for c in clusters for i in c) == sorted(r.id for r in records)
    wrong = [c for c in clusters if len({synthetic.true_entity(i) for i in c}) > 1]
    assert wrong == []
    split = 0
    by_entity: dict[str, set[int]] = {}
    for k, members in enumerate(clusters):
        for i in members:
            by_entity.setdefault(synthetic.true_entity(i), set()).add(k)
    split = sum(1 for ks in by_entity.values() if len(ks) > 1)
    assert split <= 2
    assert all(r.probability >= 0.5 for r in review)


def test_index_finds_the_duplicate_of_a_new_record(matcher: Matcher):
    records = synthetic.generate(1000, seed=13)
    index = matcher.index(records)
    original = records[10]
    new = replace(original, id="new", given_name=original.given_name.upper(), emails=(), phones=())
    matches = index.matches(new, limit=5, threshold=0.5)
    assert matches
    assert matches[0].record_id == original.id or synthetic.true_entity(
        matches[0].record_id
    ) == synthetic.true_entity(original.id)
    assert matches[0].probability >= MERGE
    assert matches[0].explanation[-1]["field"] == "total"
    # Work is proportional to the candidates found, not to the index size.
    assert len(index.candidates(index.parties[10])) < 50
    stranger = PartyRecord(
        id="s", given_name="Zacarías", family_name="Xiquena", birth_date=datetime.date(1901, 2, 3)
    )
    assert index.matches(stranger) == []
