"""Benchmark: time to diff the vendored document against a modified copy.

Run: ``python benchmarks/bench_drift.py [--repeat N]``

Absolute times depend on the machine, so each figure is also reported as a
ratio against an anchor measured in the same run on the same document: a
``json.loads(json.dumps(doc))`` round trip. When the vendor's full document
(../shared/vendor/openapi.mintlify.json) is present it is measured too, as is
the diff of its source YAML against it (the normalisation-heavy case).

``diff --used-by`` (read the project's cassettes, compute what they use, scope
the diff) is timed against the plain diff of the same documents, interleaved
in the same run; the goal is at most 3x.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_antimetal.drift import diff_documents
from pytest_antimetal.drift.gate import evaluate
from pytest_antimetal.spec import parse_document, vendored_spec

VENDOR = Path(__file__).resolve().parents[2] / "shared" / "vendor"
CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
USED_BY_GOAL = 3.0


def _best_seconds(funcs: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best time of each function, samples interleaved so load hits them alike."""
    for func in funcs:
        func()  # warm-up
    best = [float("inf")] * len(funcs)
    for _ in range(repeat):
        for index, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def _modified(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy with one change of each kind the rules look at."""
    new = copy.deepcopy(doc)
    schemas = new["components"]["schemas"]
    create = schemas["CreateIssueDto"]
    create["properties"]["title"]["maxLength"] = 200
    create["required"].append("severity")
    create["properties"]["severity"]["enum"].append("critical")
    schemas["ErrorResponseDto"]["properties"]["type"]["enum"].append("rate_limit_error")
    new["paths"]["/issues"]["post"]["responses"].pop("429", None)
    new["paths"]["/extra"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    return new


def _measure(label: str, old: dict[str, Any], new: dict[str, Any], repeat: int) -> None:
    anchor, diff = _best_seconds(
        [lambda: json.loads(json.dumps(old)), lambda: diff_documents(old, new)], repeat
    )
    result = diff_documents(old, new)
    counts = result.summary()["counts"]
    size = len(json.dumps(old))
    print(
        f"{label:<44} {size / 1024:6.1f} KiB JSON  diff {diff * 1e3:8.2f} ms  "
        f"anchor {anchor * 1e3:6.2f} ms  ratio {diff / anchor:6.1f}x  "
        f"({counts['breaking']} breaking, {counts['warning']} warning, {counts['info']} info)"
    )


def _measure_used_by(label: str, old: dict[str, Any], new: dict[str, Any], repeat: int) -> None:
    """``diff --used-by cassettes/`` against the plain ``diff``, same documents, same run."""
    plain, scoped = _best_seconds(
        [
            lambda: diff_documents(old, new),
            lambda: evaluate(old, new, used_by=[CASSETTES]),
        ],
        repeat,
    )
    files = len(list(CASSETTES.glob("*.yaml")))
    ratio = scoped / plain
    verdict = "met" if ratio <= USED_BY_GOAL else "NOT met"
    print(
        f"{label:<44} diff {plain * 1e3:8.2f} ms  --used-by ({files} cassettes) "
        f"{scoped * 1e3:8.2f} ms  ratio {ratio:5.2f}x  (goal <= {USED_BY_GOAL:.0f}x: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed runs per figure (best is kept)"
    )
    args = parser.parse_args()
    print("anchor: json.loads(json.dumps(OLD)), same run; best of interleaved runs")
    vendored = vendored_spec().document
    _measure("vendored spec vs modified copy", vendored, _modified(vendored), args.repeat)
    full_json = VENDOR / "openapi.mintlify.json"
    full_yaml = VENDOR / "openapi.with-code-samples.yml"
    if full_json.is_file():
        full = json.loads(full_json.read_text(encoding="utf-8"))
        _measure("vendor full document vs modified copy", full, _modified(full), args.repeat)
        _measure_used_by("vendor full document, diff --used-by", full, _modified(full), args.repeat)
        if full_yaml.is_file():
            source = parse_document(full_yaml.read_text(encoding="utf-8"))
            _measure("vendor full JSON vs its source YAML", full, source, args.repeat)
    else:
        print(f"(skipped the vendor's full document: {VENDOR} not found)")


if __name__ == "__main__":
    main()
