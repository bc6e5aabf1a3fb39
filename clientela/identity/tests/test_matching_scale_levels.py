"""Side levels, swapped names, address blocking, sub-blocking of oversize blocks and the batch path."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from clientela.identity.matching import FieldParams, Matcher, PartyRecord, normalize_record, synthetic
from clientela.identity.matching.blocking import candidate_pairs, pairs_within_blocks, street_key
from clientela.identity.matching.columns import (
    CharCounts,
    Columns,
    EditChars,
    Encoded,
    jaro_winkler_may_reach,
    within_one_edit,
)
from clientela.identity.matching.comparisons import GivenNameComparison, _subset_level, code_pair_scores
from clientela.identity.matching.model import level_weights
from clientela.identity.matching.normalize import normalize_records


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    m = Matcher(seed=3)
    m.fit(synthetic.generate(2000, seed=5))
    return m


def person(pid: str, given: str, family: str, **kw) -> PartyRecord:
    base = {"birth_date": datetime.date(1975, 3, 21), "postal_code": "28013", "city": "Madrid"}
    base.update(kw)
    return PartyRecord(id=pid, given_name=given, family_name=family, **base)  # type: ignore[arg-type]


def test_a_level_absent_from_the_data_does_not_drag_weaker_levels_down():
    comparison = GivenNameComparison()
    codes = [lv.code for lv in comparison.levels]
    m = dict.fromkeys(codes, 0.01)
    u = dict.fromkeys(codes, 0.01)
    m.update({"exact": 0.7, "nickname": 1e-6, "jaro_winkler>=0.92": 0.15, "different": 0.05})
    u.update({"exact": 0.003, "nickname": 1e-3, "jaro_winkler>=0.92": 0.001, "different": 0.95})
    params = FieldParams("given_name", codes, [m[c] for c in codes], [u[c] for c in codes], [])
    w = level_weights(comparison, params)
    assert w[codes.index("nickname")] < 0  # never seen in this data set
    assert w[codes.index("jaro_winkler>=0.92")] > 5  # still good evidence
    assert w[codes.index("jaro_winkler>=0.92")] <= w[codes.index("exact")]


def test_swapped_given_and_family_names_are_recognised(matcher: Matcher):
    a = person("a", "Lucía", "Olabarrieta")
    swapped = matcher.explain(a, person("b", "Olabarrieta", "Lucía"))
    typo = matcher.explain(a, person("b", "Olabarieta", "Lucia"))
    exact = matcher.explain(a, person("b", "Lucía", "Olabarrieta"))
    for explanation in (swapped, typo):
        found = {e["field"]: e["level"] for e in explanation}
        assert found["given_name"] == "swapped_with_family"
        assert found["family_name"] == "swapped_with_given"
    weight = {e["field"]: e["weight"] for e in swapped}
    exact_weight = {e["field"]: e["weight"] for e in exact}
    assert 0 < weight["given_name"] < exact_weight["given_name"]
    assert swapped[-1]["match_probability"] < exact[-1]["match_probability"]
    # Two different people never count as swapped.
    other = matcher.explain(a, person("c", "Marta", "Lucía"))
    assert {e["field"]: e["level"] for e in other}["given_name"] != "swapped_with_family"


def test_street_key_survives_late_typos_and_street_types():
    assert street_key("calle mayor 12") == street_key("calle mayorr 12") == "12|mayo"
    assert street_key("avenida mayor 12") == street_key("calle mayor 12")
    assert street_key("calle mayor 12") != street_key("calle mayor 14")
    assert street_key("") == ""


def test_address_rules_propose_duplicates_whose_names_differ_entirely():
    a = person("a", "Nicolás", "Hope", street="Calle Rossarden 39", birth_date=None)
    b = person("b", "Rhiannon", "Bishop", street="C/ Rossarden 39", birth_date=None)
    left, _right, _ = candidate_pairs([normalize_record(a), normalize_record(b)])
    assert len(left) == 1


def test_oversize_blocks_are_sub_blocked_not_dropped():
    keys = np.zeros(500, dtype=np.int64)  # one key held by 500 records
    recs = np.arange(500, dtype=np.int64)
    left, right, skipped = pairs_within_blocks(keys, recs, 50)
    assert skipped == 1 and len(left) == 0
    rank = (recs * 7) % 500  # a secondary order: neighbours in it become pairs
    left, right, skipped = pairs_within_blocks(keys, recs, 50, [rank], window=3)
    assert skipped == 1
    assert 0 < len(left) <= 500 * 3
    assert (left < right).all()
    by_rank = np.argsort(rank)
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    a, b = int(by_rank[10]), int(by_rank[11])
    assert (min(a, b), max(a, b)) in pairs


def test_code_pair_scores_match_direct_comparison():
    strings = np.array(["garcia", "garcya", "lopez", "lopes"], dtype=object)
    a = np.array([0, 0, 2, 2, 0, 3])
    b = np.array([1, 1, 3, 3, 2, 2])
    got = code_pair_scores(a, b, strings, strings, JaroWinkler.normalized_similarity)
    expected = [JaroWinkler.normalized_similarity(strings[x], strings[y]) for x, y in zip(a, b, strict=True)]
    assert got.tolist() == pytest.approx(expected)


def test_within_one_edit_agrees_with_damerau_levenshtein():
    # Random short strings over a small alphabet (so that near misses of every kind are frequent),
    # lengths 0-9, one non-Latin-1 value: the vectorised test must give DamerauLevenshtein <= 1 exactly.
    rng = np.random.default_rng(11)
    vocab = ["".join(rng.choice(list("abc1"), size=rng.integers(0, 10))) for _ in range(400)]
    vocab += ["ab", "ba", "abc", "acb", "bac", "12345678", "12345687", "21345678", "1234567", "ẞab", "aẞb"]
    chars = EditChars.build(vocab)
    a = rng.integers(0, len(vocab), size=40_000)
    b = rng.integers(0, len(vocab), size=40_000)
    got = within_one_edit(chars, a, b)
    expected = np.array(
        [DamerauLevenshtein.distance(vocab[x], vocab[y]) <= 1 for x, y in zip(a, b, strict=True)]
    )
    assert got.sum() > 1000  # the case exercises near values, not only far ones
    assert (got == expected).all()
    pairs = {
        ("ab", "ba"): True,
        ("abc", "acb"): True,
        ("abc", "bac"): True,
        ("12345678", "21345678"): True,
        ("12345678", "1234567"): True,
        ("acb", "bac"): False,
        ("ẞab", "aẞb"): True,
        ("ab", "abc"): True,
    }
    index = {v: k for k, v in enumerate(vocab)}
    for (x, y), close in pairs.items():
        assert within_one_edit(chars, np.array([index[x]]), np.array([index[y]])).tolist() == [close], (x, y)


def test_jaro_winkler_bound_never_drops_a_pair_that_reaches_the_cut():
    # Names and streets as folded values, plus random strings over a small alphabet (close pairs are
    # frequent there): wherever the similarity reaches the cut, the bound must let the pair through.
    rng = np.random.default_rng(5)
    vocab = ["jose", "pepe", "jose maria", "garcia lopez", "garcya lopez", "lopez garcia", "calle mayor 12",
             "calle mayro 12", "maria", "mario", "dolores", "lola", "ñandu", "nandu", "x"]  # fmt: skip
    vocab += ["".join(rng.choice(list("abcde "), size=rng.integers(1, 12))) for _ in range(300)]
    counts = CharCounts.build(vocab)
    a = rng.integers(0, len(vocab), size=30_000)
    b = rng.integers(0, len(vocab), size=30_000)
    sim = np.array([JaroWinkler.normalized_similarity(vocab[x], vocab[y]) for x, y in zip(a, b, strict=True)])
    for cut in (0.8, 0.9, 0.92):
        reach = jaro_winkler_may_reach(counts, counts, a, b, cut)
        assert reach[sim >= cut].all(), cut
        assert not reach[sim < cut].all()  # and it does rule pairs out


@pytest.mark.parametrize("long_values", [False, True])
def test_token_subset_level_matches_set_containment(long_values):
    rng = np.random.default_rng(8)
    words = ["jose", "maria", "garcia", "lopez", "de", "la", "cruz", "ana"]
    vocab = sorted({" ".join(rng.choice(words, size=rng.integers(1, 4))) for _ in range(200)})
    if long_values:  # a value over the matrix width takes the per-distinct-pair path
        vocab.append(" ".join(f"w{k}" for k in range(12)))
        vocab.append("w3 w7")
    codes = np.arange(len(vocab))
    enc = Encoded(vocab, codes)
    left = rng.integers(0, len(vocab), size=5000)
    right = rng.integers(0, len(vocab), size=5000)
    if long_values:
        left[:2], right[:2] = len(vocab) - 2, len(vocab) - 1
    out = np.zeros(5000, dtype=np.int8)
    _subset_level(out, np.ones(5000, dtype=bool), enc, left, right, 7, Columns([]), "test")
    sets = [frozenset(v.split()) for v in vocab]
    expected = [sets[a] <= sets[b] or sets[b] <= sets[a] for a, b in zip(left, right, strict=True)]
    assert (out == 7).tolist() == expected
    assert 100 < sum(expected) < 4900


def test_batch_normalisation_equals_one_by_one():
    records = synthetic.generate(300, seed=4, namesake_rate=0.1, missing_rate=0.2)
    assert normalize_records(records) == [normalize_record(r) for r in records]


def test_resolve_batch_labels_agree_with_clusters(matcher: Matcher):
    records = synthetic.generate(500, seed=8, namesake_rate=0.1, missing_rate=0.1)
    result = matcher.resolve_batch(records)
    by_label: dict[int, list[str]] = {}
    for position, label in enumerate(result.labels.tolist()):
        by_label.setdefault(label, []).append(records[position].id)
    assert sorted(map(sorted, by_label.values())) == sorted(map(sorted, result.clusters))
    assert len(result.scores) > 0
    # Namesakes (same full name and city, different people) are not merged.
    wrong = [c for c in result.clusters if len({synthetic.true_entity(i) for i in c}) > 1]
    assert wrong == []


def test_index_looks_inside_oversize_blocks_by_birth_date_or_address(matcher: Matcher):
    crowd = [
        person(f"p{k}", "José", "García", birth_date=datetime.date(1950, 1, 1) + datetime.timedelta(days=k))
        for k in range(matcher.max_block_size + 20)
    ]  # one "jose|garcia" block larger than the cap
    index = matcher.index(crowd)
    target = crowd[7]
    found = index.candidates(normalize_record(person("new", "José", "García", birth_date=target.birth_date)))
    assert 7 in found
    assert len(found) < 10
