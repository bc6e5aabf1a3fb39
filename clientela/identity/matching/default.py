"""The parameters shipped with Clientela, used until the database has been resolved once at a useful size.

A fit needs data: on a new or small customer base EM has too few duplicates to learn from, so the
real-time check scores with parameters fitted on 20,000 synthetic Spanish and English customers
(``synthetic.generate``: typos, nicknames, dropped surnames, shared family landlines). Regenerate the
file after changing comparisons or levels::

    python -m clientela.identity.matching.default
"""

from __future__ import annotations

import functools
from pathlib import Path

from .matcher import Matcher
from .synthetic import generate

DEFAULT_FIT_PATH = Path(__file__).with_name("default_fit.json")
RECORDS = 20_000
_PORTABLE_TF = frozenset({"given_name", "family_name", "city"})


def build_default_fit(n: int = RECORDS) -> str:
    """Fit a fresh matcher on the synthetic set; returns its parameters as JSON."""
    records = generate(n, seed=11, duplicate_rate=0.25, namesake_rate=0.05, missing_rate=0.1)
    matcher = Matcher()
    fitted = matcher.fit(records)
    # Term frequencies of names and cities carry over to real data roughly; those of synthetic emails,
    # phones, tax ids and postal codes are noise about values no real customer has.
    fitted.tf = {name: table for name, table in fitted.tf.items() if name in _PORTABLE_TF}
    return matcher.to_json()


@functools.cache
def default_matcher() -> Matcher:
    """A matcher with the shipped parameters (read once per process)."""
    return Matcher.from_json(DEFAULT_FIT_PATH.read_text(encoding="utf-8"))


if __name__ == "__main__":
    DEFAULT_FIT_PATH.write_text(build_default_fit() + "\n", encoding="utf-8")
    print(f"wrote {DEFAULT_FIT_PATH}")
