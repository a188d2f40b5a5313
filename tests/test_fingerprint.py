"""The redesign kept what training computes: the CLI's JSON for fixed configs (every loss, the tricks, every
image model, a conditional run, a race) matches the fingerprint recorded from the code before the redesign.

tests/fingerprint.json holds that record (the CLI's JSON without timings, and a hash of each run's final
weights), made on a 2-core AMD EPYC with torch 2.13. On that machine `python -m ganviz bench --fingerprint
--check tests/fingerprint.json` reports it identical, hashes included. Other CPUs round some operations
differently (other vector kernels), so this test compares numbers to a relative 1e-3 and counts of samples to
within one sample per hundred: far below what any change to the training itself moves them by.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ganviz.bench.fingerprint import CONFIGS, differences, fingerprint
from ganviz.cli import train_json

RECORD = Path(__file__).with_name("fingerprint.json")
SAMPLE_COUNTS = ("modes_captured", "classes_covered", "mode_counts", "class_counts")  # counts of samples
RELATIVE = 1e-3


def close(expected, actual) -> bool:
    if isinstance(expected, int) and isinstance(actual, int):
        return expected == actual
    return math.isclose(expected, actual, rel_tol=RELATIVE, abs_tol=1e-9)


def split_counts(entry: dict) -> tuple[dict, dict]:
    """(the entry without its sample counts and the lists derived from them, the counts)."""
    results = entry.get("cli", entry.get("metrics"))
    counts = {k: results[k] for k in SAMPLE_COUNTS if k in results}
    rest = {
        **entry,
        "cli" if "cli" in entry else "metrics": {
            k: v for k, v in results.items() if k not in SAMPLE_COUNTS and k != "missing"
        },
    }
    return rest, counts


def counts_close(expected, actual, total: int) -> bool:
    allowed = max(1, total // 100)
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(abs(e - a) <= allowed for e, a in zip(expected, actual))
    return expected is None and actual is None or abs(expected - actual) <= 1


@pytest.mark.slow
def test_the_fingerprint_is_the_one_recorded_before_the_redesign():
    expected, actual = json.loads(RECORD.read_text()), json.loads(json.dumps(fingerprint(train_json)))
    assert set(expected) == set(CONFIGS) | {"race"} == set(actual)
    entries = [(name, expected[name], actual[name]) for name in CONFIGS]
    entries += [(f"race/{run}", expected["race"][run], actual["race"][run]) for run in expected["race"]]
    for name, e, a in entries:
        e_rest, e_counts = split_counts(e)
        a_rest, a_counts = split_counts(a)
        assert differences(e_rest, a_rest, name, close=close) == []
        for key, value in e_counts.items():
            total = sum(value) if isinstance(value, list) else 1
            assert counts_close(value, a_counts[key], total), (name, key, value, a_counts[key])


def test_differences_name_every_changed_number_and_respect_a_tolerance():
    a = {"x": {"cli": {"js": 0.5, "iterations": 10, "tags": [1, 2]}, "weights_sha256": "ab"}}
    b = {"x": {"cli": {"js": 0.50001, "iterations": 10, "tags": [1, 3]}, "weights_sha256": "cd"}}
    assert differences(a, a) == []
    assert differences(a, b) == [
        "/x/cli/js: 0.5 -> 0.50001",
        "/x/cli/tags[1]: 2 -> 3",
        "/x/weights_sha256: 'ab' -> 'cd'",
    ]
    # with a tolerance, numbers within it pass and hashes are not compared (they change with any rounding)
    assert differences(a, b, close=close) == ["/x/cli/tags[1]: 2 -> 3"]
    assert differences({"k": 1}, {"k": 1, "extra": 2}) == ["/extra: missing"]
