"""Hostile URL queries: unknown names, huge and negative numbers, NaN, unicode, empty values, run prefixes and
lessons, drawn from a seeded generator so that a failure names a query that can be replayed."""

from __future__ import annotations

import random

from ganviz.config import setting_names

HOSTILE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "-1e308",
    "1e308",
    "1e999",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1_000",
    "3.5",
    "[]",
    "{}",
    "None",
    "null",
    "true",
    "false",
    "cuda",
    "mps",
    "cpu",
    "ring8",
    "digits",
    "mnist",
    "custom",
    "hinge",
    "017",
    "0,1",
    "9,1",
    "1,1,1",
    "-1,2",
    "𝔊𝔄𝔑",
    "日本語",
    "é",
    "'; DROP TABLE runs; --",
    "<script>alert(1)</script>",
    "%00",
    "\x00",
    "a" * 5000,
    "99999999999999999999999",
    "mode-collapse",
    "spectral-norm",
    "nope",
]
EXTRA_NAMES = ["lesson", "runs", "comparison", "hide", "unknown", "", "é", "A.loss", "B.lr_d", "E.loss", "Z.x", "B."]


def hostile_queries(count: int, seed: int) -> list[dict[str, str]]:
    """`count` queries of 1 to 6 names each: setting names (some with a run prefix), other names, hostile values."""
    rng = random.Random(seed)
    names = list(setting_names()) + EXTRA_NAMES
    queries = []
    for _ in range(count):
        query = {}
        for _ in range(rng.randint(1, 6)):
            name = rng.choice(names)
            if rng.random() < 0.15:
                name = f"{rng.choice('ABCD')}.{name}"
            query[name] = rng.choice(HOSTILE_VALUES)
        queries.append(query)
    return queries
