"""The contract runner without pytest: conformant fake passes, every planted fault is caught."""

from __future__ import annotations

import copy
import gc
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.contract.checks import OWN_CHECKS, applies
from pytest_antimetal.contract.report import format_failures
from pytest_antimetal.contract.runner import ITEMS, PARTS, ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.live_budget import SAFE_METHODS
from pytest_antimetal.spec import Spec, vendored_spec
from tests.helpers.planted_faults import FAULTS, NOT_FAULTS, make_fake

KEY = "amk-runner-test-key-0123456789"


def _runner(fake: FakeAntimetal, **overrides: Any) -> ContractRunner:
    settings = ContractSettings(
        spec=fake.spec,
        base_url=fake.base_url,
        api_key=KEY,
        transport=fake.transport,
        seed=overrides.pop("seed", 1),
        max_examples=overrides.pop("max_examples", 10),
        replay=lambda part: f"pytest --antimetal-contract -k {part} --hypothesis-seed=1",
        clock=overrides.pop("clock", fake.clock),  # "now" is the fake's (seeded: frozen)
        **overrides,
    )
    return ContractRunner(settings)


@pytest.fixture
def conformant() -> FakeAntimetal:
    """The embedded fake, which honours the spec."""
    return FakeAntimetal(api_keys=[KEY], seed=7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conformant_fake_passes_every_part(seed: int) -> None:
    fake = FakeAntimetal(api_keys=[KEY], seed=seed)
    with _runner(fake, seed=seed, max_examples=25) as runner:
        for part in PARTS:
            result = runner.run(part)
            assert result.passed, format_failures(part, result.failures, runner.secrets)
    assert runner.stats.requests > 250
    assert runner.stats.checks > runner.stats.requests * 5
    assert len(runner.stats.created) == len(fake.issues) > 50


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_planted_fault_is_caught_naming_its_check(name: str) -> None:
    planted = FAULTS[name]
    fake = make_fake(name)(vendored_spec(), 1, KEY)
    with _runner(fake) as runner:
        result = runner.run(planted.part)
    found = {failure.check for failure in result.failures}
    assert found & planted.checks, f"{name}: expected one of {planted.checks}, got {found}"
    text = format_failures(planted.part, result.failures, runner.secrets)
    assert KEY not in text
    assert "[REDACTED]" in text or "invalid-key" in text
    assert "--hypothesis-seed=1" in text


@pytest.mark.parametrize("name", sorted(NOT_FAULTS))
def test_spec_compatible_variation_passes(name: str) -> None:
    fake = make_fake(name)(vendored_spec(), 1, KEY)
    with _runner(fake) as runner:
        for part in ("examples", "coverage", "edge-cases", "malformed"):
            result = runner.run(part)
            assert result.passed, format_failures(part, result.failures)


def test_a_server_with_the_whole_api_passes_and_get_is_declared() -> None:
    """Issue 13: a server that implements the vendor's API answers ``GET /issues`` (list
    issues) with 200. With a document that lacks it, the coverage part sends GET as an
    undeclared method and fails ``unsupported_method``: a false failure the whole document
    ends."""
    from urllib.parse import urlsplit

    from pytest_antimetal.fake import FakeResponse
    from pytest_antimetal.spec.minimal import minimal_value
    from tests.helpers.planted_faults import FaultyFake

    whole = vendored_spec()
    page_schema = whole.operation("get", "/issues").response_schema(200)
    assert page_schema is not None
    page = json.dumps(minimal_value(page_schema)).encode()

    def lists_issues(
        fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
    ) -> FakeResponse:
        if m.upper() == "GET" and urlsplit(u).path.rstrip("/").endswith("/issues"):
            return FakeResponse(200, {"content-type": "application/json"}, page)
        return fake.honest(m, u, h, b)

    fake = FaultyFake(lists_issues, spec=whole, seed=1, api_keys=[KEY])
    with _runner(fake) as runner:
        result = runner.run("coverage")  # the part that sends undeclared methods
    assert result.passed, format_failures("coverage", result.failures, runner.secrets)
    assert "GET" not in {r.method for r in fake.requests}
    assert {"PUT", "DELETE"} <= {r.method for r in fake.requests}
    # The same server judged by a document holding POST /issues alone.
    create_only = copy.deepcopy(whole.document)
    create_only["paths"] = {"/issues": {"post": create_only["paths"]["/issues"]["post"]}}
    fake = FaultyFake(lists_issues, spec=Spec(create_only), seed=1, api_keys=[KEY])
    with _runner(fake) as runner:
        result = runner.run("coverage")
    (false_failure,) = {(f.check, f.request.method) for f in result.failures}
    assert false_failure == ("unsupported_method", "GET")


def test_pattern_only_server_is_named_plainly() -> None:
    fake = make_fake("pattern-only-datetime")(vendored_spec(), 1, KEY)
    with _runner(fake) as runner:
        result = runner.run("edge-cases")
    assert "Bearer [REDACTED]" in format_failures("edge-cases", result.failures, runner.secrets)
    messages = [f.message for f in result.failures if f.check == "datetime_rules"]
    assert messages
    assert "`pattern` and `format: date-time`" in messages[0]
    assert "disagree" in messages[0]
    assert "it follows the pattern, not the format" in messages[0]
    assert "'2026-01-01T10:00Z'" in messages[0]


def _sent(fake: FakeAntimetal) -> list[tuple[str, str, bytes]]:
    return [(r.method, r.path, r.body) for r in fake.requests]


@pytest.mark.parametrize("part", ["coverage", "fuzz-positive", "fuzz-negative", "edge-cases"])
def test_same_seed_sends_the_same_requests(part: str) -> None:
    runs = []
    for _ in range(2):
        fake = FakeAntimetal(api_keys=[KEY], seed=3)
        with _runner(fake, seed=42) as runner:
            runner.run(part)
        runs.append(_sent(fake))
    assert runs[0] == runs[1]
    assert len(runs[0]) >= 10


def test_another_seed_sends_other_fuzz_requests() -> None:
    bodies = []
    for seed in (1, 2):
        fake = FakeAntimetal(api_keys=[KEY], seed=3)
        with _runner(fake, seed=seed) as runner:
            runner.run("fuzz-positive")
        bodies.append(_sent(fake))
    assert bodies[0] != bodies[1]


def test_no_random_ids_in_requests(conformant: FakeAntimetal) -> None:
    with _runner(conformant) as runner:
        runner.run("examples")
    for request in conformant.requests:
        assert not any("schemathesis" in name for name in request.headers)


def test_live_budget_caps_and_tags_issue_creating_requests(conformant: FakeAntimetal) -> None:
    with _runner(conformant, live_budget=3, tag="pytest-antimetal") as runner:
        result = runner.run("edge-cases")
    assert result.passed, format_failures("edge-cases", result.failures)
    # 1 issue created, then the 2 ignored-auth probes (they would create issues on a server
    # that ignores auth, so they count against the budget).
    assert len(conformant.issues) == 1
    assert [r.status for r in conformant.requests].count(401) == 2
    assert result.stats.skipped["live budget reached"] > 10
    created = [r for r in conformant.requests if r.status == 201]
    tags = [(r.json or {}).get("context", {}).get("tags", []) for r in created]
    assert all("pytest-antimetal" in t for t in tags)
    assert runner.stats.created == [1]
    # Inputs that must be refused count too (a server that accepts them creates an issue for
    # each): nothing beyond the budget is sent.
    assert len(conformant.requests) == 3


def test_time_budget_stops_early(conformant: FakeAntimetal) -> None:
    with _runner(conformant, time_budget=1e-9) as runner:
        result = runner.run("edge-cases")
    assert result.stats.requests == 0
    assert result.stats.skipped["time budget reached"] == 1


def test_settings_repr_hides_the_key(conformant: FakeAntimetal) -> None:
    with _runner(conformant) as runner:
        assert KEY not in repr(runner.settings)


def test_smaller_max_length_changes_the_inputs() -> None:
    document = copy.deepcopy(vendored_spec().document)
    schema = document["components"]["schemas"]["CreateIssueDto"]
    schema["properties"]["title"]["maxLength"] = 40
    spec = Spec(document, source="<changed>")
    fake = FakeAntimetal(spec=spec, api_keys=[KEY], seed=1)
    with _runner(fake) as runner:
        result = runner.run("edge-cases")
    assert result.passed, format_failures("edge-cases", result.failures)
    titles = {
        len(r.json["title"])
        for r in fake.requests
        if isinstance(r.json, dict) and isinstance(r.json.get("title"), str)
    }
    assert {40, 41} <= titles
    assert 500 not in titles


def test_unknown_part_is_an_error(conformant: FakeAntimetal) -> None:
    with _runner(conformant) as runner, pytest.raises(ValueError, match="unknown part"):
        runner.run("nope")


@pytest.mark.parametrize("part", ["examples", "coverage"])
def test_cached_cases_send_the_same_requests(part: str, tmp_path: Path) -> None:
    runs = []
    for _ in range(2):  # the first run generates and stores, the second loads
        fake = FakeAntimetal(api_keys=[KEY], seed=3)
        with _runner(fake, seed=9, cache_dir=tmp_path) as runner:
            result = runner.run(part)
        assert result.passed, format_failures(part, result.failures)
        runs.append(_sent(fake))
    assert len(list(tmp_path.glob(f"{part}-*.json"))) == 1
    assert runs[0] == runs[1]


def test_unreadable_cache_is_regenerated(tmp_path: Path) -> None:
    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(fake, cache_dir=tmp_path) as runner:
        runner.run("examples")
    (cached,) = tmp_path.glob("examples-*.json")
    cached.write_bytes(b"not a pickle")
    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(fake, cache_dir=tmp_path) as runner:
        result = runner.run("examples")
    assert result.passed
    assert result.stats.requests >= 1


def test_a_run_leaves_the_collector_alone(conformant: FakeAntimetal) -> None:
    before = gc.get_threshold()
    # Not 0: CPython 3.12 starts with objects in the permanent generation (375 on 3.12.1).
    frozen = gc.get_freeze_count()
    with _runner(conformant) as runner:
        for part in ("examples", "fuzz-negative"):
            runner.run(part)
            assert gc.get_threshold() == before
            assert gc.get_freeze_count() == frozen
            assert gc.isenabled()


_FORBIDDEN = ("os.fork", "os.forkpty", "gc.freeze", "gc.set_threshold", "gc.disable")


def test_no_module_forks_tunes_the_collector_or_reaches_into_hypothesis() -> None:
    """A plugin must not change how a user's interpreter forks, collects or imports."""
    import ast

    import pytest_antimetal

    package = Path(pytest_antimetal.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(package)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if f"{node.value.id}.{node.attr}" in _FORBIDDEN:
                    found.append(f"{where} {node.value.id}.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "hypothesis.internal"
            ):
                found.append(f"{where} {node.module}")
    assert found == []


@pytest.mark.parametrize("part", ["fuzz-positive", "fuzz-negative"])
def test_a_fuzzing_part_is_its_items_in_order(part: str) -> None:
    """pytest-xdist runs the items of a fuzzing part on different workers: together they
    send what the whole part sends."""
    whole = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(whole, seed=5, max_examples=11) as runner:
        runner.run(part)
    items = [name for name in ITEMS if name.startswith(f"{part}-")]
    assert len(items) == 2
    shares = []
    for name in items:
        fake = FakeAntimetal(api_keys=[KEY], seed=3)
        with _runner(fake, seed=5, max_examples=11) as runner:
            result = runner.run(name)
        assert result.passed, format_failures(name, result.failures)
        shares.append(_sent(fake))
    sent = _sent(whole)
    assert sent[: len(shares[0])] == shares[0]  # the first item, then the second
    rest = sent[len(shares[0]) :]
    assert rest
    assert set(rest) <= set(shares[1])  # (the second item alone also probes ignored_auth)
    assert shares[0] != shares[1]


def test_constrained_spec_gives_no_false_positives() -> None:
    """A shorter title and a patterned environment: the (correct) fake passes the edge cases."""
    document = copy.deepcopy(vendored_spec().document)
    schema = document["components"]["schemas"]["CreateIssueDto"]
    schema["properties"]["title"]["maxLength"] = 10
    schema["properties"]["environment"]["pattern"] = "^[a-z]+$"
    spec = Spec(document, source="<changed>")
    fake = FakeAntimetal(spec=spec, api_keys=[KEY], seed=1)
    with _runner(fake) as runner:
        result = runner.run("edge-cases")
    assert result.passed, format_failures("edge-cases", result.failures)
    assert len(fake.issues) > 10


# -- the case cache holds nothing executable ---------------------------------------------


class _Planted:
    """A pickle that, once loaded, leaves a mark on disk (as a planted CI cache would run code)."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.mark),))


@pytest.mark.parametrize("planted", ["pickle", "garbage", "json-of-another-shape"])
@pytest.mark.parametrize("part", ["examples", "coverage"])
def test_a_planted_cache_file_is_never_run_and_is_regenerated(
    tmp_path: Path, part: str, planted: str
) -> None:
    import json
    import pickle

    cache = tmp_path / "cache"
    first = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(first, cache_dir=cache) as runner:
        runner.run(part)
    files = [p for p in cache.rglob("*") if p.is_file() and p.name.startswith(part)]
    assert files, "the first run keeps its cases"
    mark = tmp_path / "planted-code-ran"
    content = {
        "pickle": pickle.dumps(_Planted(mark)),
        "garbage": b"\x80\x04garbage{[" + bytes(range(256)),
        "json-of-another-shape": json.dumps({"format": 4, "cases": [{"method": 1}]}).encode(),
    }[planted]
    for path in files:  # wherever the cache lives, whatever it is called
        path.write_bytes(content)
    second = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(second, cache_dir=cache) as runner:
        result = runner.run(part)
    assert not mark.exists(), "a planted cache file ran code"
    assert result.passed, format_failures(part, result.failures)
    assert _sent(second) == _sent(first)  # regenerated: the same requests
    for path in files:  # and the planted file replaced by the regenerated cases
        assert path.read_bytes() != content


def test_no_module_of_the_package_uses_pickle() -> None:
    import ast

    import pytest_antimetal

    package = Path(pytest_antimetal.__file__).parent
    users = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] in ("pickle", "_pickle", "cPickle", "dill") for n in names):
                users.append(f"{path.relative_to(package)}:{node.lineno}")
    assert users == []


# -- the live budget counts every request that can create ---------------------------------

VALID_BODY = b'{"title": "t", "description": "d", "environment": "e"}'
_SAFE = SAFE_METHODS


class AcceptEverything:
    """A server fault for the live budget: every POST gets a 201 (an issue created), valid or
    not, with or without a key; other methods get the fake's honest answer. Records every
    request it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def __call__(
        self, fake: Any, method: str, url: str, headers: Any, body: bytes
    ) -> Any:  # FaultyFake, FakeResponse
        self.sent.append((method.upper(), body))
        if method.upper() != "POST":
            return fake.honest(method, url, headers, body)
        valid = {"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"}
        return fake.honest("POST", url, valid, VALID_BODY)

    @property
    def unsafe(self) -> list[tuple[str, bytes]]:
        """The requests that could have changed the server (every method but the safe ones)."""
        return [(m, b) for m, b in self.sent if m not in _SAFE]

    def fake(self, key: str = KEY) -> FakeAntimetal:
        from tests.helpers.planted_faults import FaultyFake

        return FaultyFake(self, spec=vendored_spec(), seed=1, api_keys=[key])


def _taggable(body: object) -> bool:
    """An object whose ``context`` and ``context.tags`` are absent or of the right type: the tag
    can be added without changing what the request tests."""
    if not isinstance(body, dict):
        return False
    context = body.get("context", {})
    return isinstance(context, dict) and isinstance(context.get("tags", []), list)


def _tags(body: bytes) -> list[Any]:
    import json

    data = json.loads(body)
    return list(data["context"]["tags"])


def test_live_budget_counts_every_request_that_can_create() -> None:
    import json

    server = AcceptEverything()
    with _runner(server.fake(), live_budget=3, tag="pytest-antimetal", max_examples=5) as runner:
        results = [runner.run(part) for part in PARTS]
    # Whatever each request was meant to test (positive, negative, edge case, malformed, auth
    # probe): at most the budget reaches a server that accepts them all, so at most 3 issues.
    assert len(server.unsafe) == 3
    assert runner.stats.budget_used == 3
    assert len(runner.stats.created) == 3
    skipped = sum(r.stats.skipped["live budget reached"] for r in results)
    assert skipped > 100
    for _, body in server.unsafe:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # the malformed inputs
            continue
        if _taggable(data):
            assert "pytest-antimetal" in _tags(body)


def test_every_object_body_is_tagged_and_tagging_changes_no_verdict() -> None:
    import json

    fake = FakeAntimetal(api_keys=[KEY], seed=2)
    with _runner(fake, live_budget=100_000, tag="pytest-antimetal", max_examples=15) as runner:
        for part in PARTS:
            result = runner.run(part)
            # Negative inputs stay negative with the tag (it is only added where absent).
            assert result.passed, format_failures(part, result.failures)
    bodies = [r.body for r in fake.requests if r.method == "POST"]
    objects = []
    for body in bodies:
        try:
            objects.append(json.loads(body))
        except (ValueError, RecursionError):  # the malformed inputs
            continue
    taggable = [o for o in objects if _taggable(o)]
    assert len(taggable) > 100
    untagged = [
        o for o in taggable if "pytest-antimetal" not in o.get("context", {}).get("tags", [])
    ]
    assert untagged == []
    assert runner.stats.budget_used == len([r for r in fake.requests if r.method not in _SAFE])


def test_send_and_check_one_request() -> None:
    """What a re-send (shrinking) uses: one request, every check on its answer."""
    from pytest_antimetal.contract.runner import PartResult
    from pytest_antimetal.contract.sending import Outgoing

    def request(runner: ContractRunner, title: str) -> Outgoing:
        headers = {**runner.builder.auth_headers(), "Content-Type": "application/json"}
        body = {"title": title, "description": "d", "environment": "e"}
        url = runner.builder.url
        return Outgoing(
            "re-sent", "positive", "POST", url, headers, json.dumps(body).encode(), body
        )

    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(fake) as runner:
        result = PartResult("re-sent")
        received = runner.send_and_check(request(runner, "ok"), result)
    assert received is not None and received.status == 201
    # Every own check that applies to the operation (createIssue has no bounded parameters).
    own = [check for check in OWN_CHECKS if applies(check, runner.rules)]
    assert result.passed and result.stats.checks >= len(own) >= 6
    faulty = make_fake("title-echo")(vendored_spec(), 1, KEY)
    with _runner(faulty) as runner:
        result = PartResult("re-sent")
        runner.send_and_check(request(runner, "a title the fault changes"), result)
    assert "request_reflected" in {failure.check for failure in result.failures}
