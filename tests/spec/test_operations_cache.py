"""``Spec.operations()`` resolves the document's ``$ref``s once per :class:`Spec` and hands out
the same objects every time; nothing the package does with them changes them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pytest_antimetal.contract.parts import PARTS
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.factory import IssueFactory
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.spec import VENDORED_SPEC_PATH, Spec, SpecError, loading

KEY = "amk-operations-cache-key-0123456789"


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    real: Callable[..., Any] = loading.resolve_refs

    def resolve_refs(node: Any, document: Any, *rest: Any) -> Any:
        calls.append(node)
        return real(node, document, *rest)

    monkeypatch.setattr(loading, "resolve_refs", resolve_refs)
    return calls


def test_operations_are_resolved_once_and_the_same_objects_handed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counting(monkeypatch)
    spec = Spec.from_path(VENDORED_SPEC_PATH)
    first = list(spec.operations())
    paid = len(calls)
    assert paid == len(spec.document["paths"])  # one resolution of each path item
    second = list(spec.operations())
    assert second == first
    assert all(a is b for a, b in zip(first, second, strict=True))
    # Everything that walks the operations reads the same resolution.
    assert spec.operation("POST", "/issues") is next(o for o in first if o.label == "POST /issues")
    assert spec.methods_for("/issues/{id}") == ["GET", "DELETE", "PATCH"]
    assert spec.api_version_default
    assert len(calls) == paid
    # Another Spec of the same document resolves its own, equal to the first.
    other = Spec(spec.document)
    assert list(other.operations()) == first
    assert len(calls) == 2 * paid


def test_a_broken_ref_under_one_path_fails_only_a_walk_that_reaches_it() -> None:
    # The cache is per path item, filled as walks reach it: a document with one dangling $ref
    # still serves the operations before it (the client and the factory look theirs up by
    # method and path), and every walk that reaches the broken one still fails.
    spec = Spec(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/issues": {"post": {"operationId": "createIssue", "responses": {}}},
                "/broken": {"get": {"$ref": "#/components/schemas/Missing"}},
            },
        }
    )
    for _ in range(2):
        assert spec.operation("post", "/issues").operation_id == "createIssue"
        with pytest.raises(SpecError, match="Missing"):
            list(spec.operations())


def test_nothing_a_contract_run_does_changes_the_shared_operations() -> None:
    # The resolved operations are shared, not copied per caller: the fake, the factory and
    # every part of a contract run over every operation read them and must leave them as
    # they were (a caller that changed one would change it for everyone after it).
    spec = Spec.from_path(VENDORED_SPEC_PATH)
    before = copy.deepcopy(list(spec.operations()))
    fake = FakeAntimetal(spec=spec, api_keys=[KEY], seed=1)
    IssueFactory(spec=spec, seed=1).build()
    settings = ContractSettings(
        spec=spec,
        base_url=fake.base_url,
        api_key=KEY,
        transport=fake.transport,
        seed=1,
        max_examples=2,
        clock=fake.clock,
    )
    with ContractRunner(settings) as runner:
        for op in before:
            for part in PARTS:
                runner.run(part, op.operation_id)
        runner.run("sequences")
        assert runner.stats.requests > 100
    assert list(spec.operations()) == before
