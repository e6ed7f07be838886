"""The response builders: every value valid against the vendor's whole document, over many seeds."""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from pytest_antimetal.builders import (
    OMIT,
    AgentReplyBuilder,
    ArtifactBuilder,
    ResultsBuilder,
    artifact_schemas,
)
from pytest_antimetal.spec import Spec, SpecError
from pytest_antimetal.spec.validation import to_draft4
from tests.helpers.sessions import SHARED_VENDOR

FULL = SHARED_VENDOR / "openapi.mintlify.json"
pytestmark = [
    pytest.mark.skipif(not FULL.is_file(), reason="the vendor's whole document is absent"),
    pytest.mark.filterwarnings("error"),
]
SPEC = Spec.from_path(FULL) if FULL.is_file() else None
SEEDS = range(150)

# An RFC 3339 check of our own (jsonschema ships none without extra packages): a value
# must satisfy both its pattern (checked by jsonschema) and its format.
_RFC3339 = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z\Z"
)
_CHECKER = jsonschema.FormatChecker()
_CHECKER.checks("date-time")(lambda v: not isinstance(v, str) or bool(_RFC3339.match(v)))
_VALIDATORS: dict[str, Any] = {}


def spec() -> Spec:
    assert SPEC is not None
    return SPEC


def errors(name: str, value: Any) -> list[str]:
    """What the document's schema *name* says is wrong with *value* (draft 4, formats on)."""
    if name not in _VALIDATORS:
        root = {"$ref": f"#/components/schemas/{name}", **to_draft4(spec().document)}
        _VALIDATORS[name] = jsonschema.Draft4Validator(root, format_checker=_CHECKER)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _VALIDATORS[name].iter_errors(value)
    ]


def assert_valid(name: str, value: Any) -> None:
    problems = errors(name, value)
    assert not problems, f"{name}: {problems[:5]}\n{json.dumps(value)[:2000]}"


TYPES = {t: n for t, n in artifact_schemas(SPEC).items()} if SPEC is not None else {}


# -- validity over many seeds ------------------------------------------------------------------


def test_the_validator_rejects_what_the_schema_rejects() -> None:
    # The oracle could fail: a wrong enum, a 10:00Z date-time (pattern yes, RFC 3339 no).
    results = ResultsBuilder(spec(), seed=1).build()
    broken = copy.deepcopy(results)
    broken["rootCause"]["relevantEvidence"][0]["confidence"] = "certain"
    assert errors("IssueResultsDto", broken)
    artifact = ArtifactBuilder(spec(), seed=1).build(type="log")
    assert errors("LogArtifactDto", {**artifact, "createdAt": "2026-01-01T10:00Z"})


@pytest.mark.parametrize("seed", SEEDS)
def test_results_in_every_shape_are_valid(seed: int) -> None:
    builder = ResultsBuilder(spec(), seed=seed)
    assert_valid("IssueResultsDto", builder.build())
    assert_valid("IssueResultsDto", builder.pending())
    assert_valid("IssueResultsDto", builder.failed("the cluster was unreachable"))


@pytest.mark.parametrize("seed", SEEDS)
def test_artifacts_of_every_type_are_valid(seed: int) -> None:
    builder = ArtifactBuilder(spec(), seed=seed)
    for kind, schema in TYPES.items():
        artifact = builder.build(type=kind)
        assert artifact["type"] == kind
        assert_valid(schema, artifact)
        assert artifact["createdAt"] <= artifact["updatedAt"]


@pytest.mark.parametrize("seed", SEEDS)
def test_agent_replies_and_their_chunks_are_valid(seed: int) -> None:
    agent = AgentReplyBuilder(spec(), seed=seed)
    reply = agent.build()
    assert_valid("QueryResponseDto", reply)
    chunks = agent.chunks(reply)
    for chunk in chunks:
        assert_valid("QueryChunkDto", chunk)
    assert "".join(c.get("text", "") for c in chunks) == reply["answer"]
    assert chunks[-1] == {"conversation_id": reply["conversation_id"]}
    assert [c["artifact"] for c in chunks if "artifact" in c] == reply["artifacts"]
    assert agent.assemble(chunks) == reply


# -- what the schema cannot say ----------------------------------------------------------------


def test_results_evidence_resolves_to_artifacts_of_the_named_type() -> None:
    for seed in range(40):
        results = ResultsBuilder(spec(), seed=seed).build()
        ids = ResultsBuilder.document_ids(results)
        assert ids, results
        artifacts = ArtifactBuilder(spec(), seed=seed).build_many(ids)
        for doc_id, artifact in zip(ids, artifacts, strict=True):
            kind, provider, _ = doc_id.split(":")
            assert (artifact["id"], artifact["type"], artifact["provider"]) == (
                doc_id,
                kind,
                provider,
            )
            assert_valid(TYPES[kind], artifact)
        cited = [a for e in results["rootCause"]["relevantEvidence"] for a in e["artifacts"]]
        assert cited and all(a["dataType"] == a["documentId"].split(":")[0] for a in cited)


def test_results_graphs_link_their_own_nodes_and_the_timeline_is_in_order() -> None:
    for seed in range(40):
        results = ResultsBuilder(spec(), seed=seed).build()
        for tree, ends in (("causalTree", ("source", "target")), ("causalTreeV2", ("from", "to"))):
            ids = [n["id"] for n in results[tree]["nodes"]]
            assert len(set(ids)) == len(ids) > 0
            for edge in results[tree]["edges"]:
                assert {edge[ends[0]], edge[ends[1]]} <= set(ids), (tree, edge, ids)
        stamps = [e["timestamp"] for e in results["timeline"] if e["timestamp"] is not None]
        assert stamps == sorted(stamps)


def test_document_ids_given_are_the_ones_cited() -> None:
    ids = ["log:loki:aaa", "trace:datadog:bbb"]
    results = ResultsBuilder(spec(), seed=3).build(document_ids=ids)
    assert set(ResultsBuilder.document_ids(results)) == set(ids)
    assert_valid("IssueResultsDto", results)


def test_no_results_yet_is_nulls_and_empty_forms_not_nulls() -> None:
    pending = ResultsBuilder(spec(), seed=1).pending()
    assert pending["rootCause"] is None and pending["sessionUuid"] is None
    assert pending["causalTree"] == {"nodes": [], "edges": []}
    assert pending["causalTreeV2"] == {"nodes": [], "edges": []}
    assert pending["timeline"] == []
    assert ResultsBuilder.document_ids(pending) == []


def test_failed_results_say_why_within_the_schema() -> None:
    failed = ResultsBuilder(spec(), seed=1).failed("cluster unreachable")
    assert failed["rootCause"] is None
    [event] = failed["timeline"]
    assert (event["title"], event["description"]) == ("Investigation failed", "cluster unreachable")
    assert_valid("IssueResultsDto", failed)


# -- determinism, clock ------------------------------------------------------------------------


def test_same_seed_same_values_other_seed_other_values() -> None:
    def everything(seed: int | None = None, rnd: bool = False) -> Any:
        def source() -> dict[str, Any]:
            return {"random": random.Random(seed)} if rnd else {"seed": seed}

        return (
            ResultsBuilder(spec(), **source()).build(),
            ArtifactBuilder(spec(), **source()).build(),
            AgentReplyBuilder(spec(), **source()).chunks(),
        )

    assert everything(5) == everything(5) == everything(5, rnd=True)
    assert everything(5) != everything(6)


def test_timestamps_come_from_the_clock() -> None:
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    results = ResultsBuilder(spec(), seed=2, clock=lambda: now).build()
    stamps = [e["timestamp"] for e in results["timeline"] if e["timestamp"]]
    assert stamps and all("2031-05-06T00:00:00Z" < s <= "2031-05-06T07:08:09.000Z" for s in stamps)
    artifact = ArtifactBuilder(spec(), seed=2, clock=lambda: now).build()
    assert artifact["updatedAt"].startswith("2031-05-06")


# -- overrides ---------------------------------------------------------------------------------


def test_overrides_are_applied_in_either_spelling() -> None:
    builder = ResultsBuilder(spec(), seed=1)
    results = builder.build(root_cause="Pool size 5 after deploy 1234.", timeline=[])
    assert results["rootCause"]["rootCauseSummary"] == "Pool size 5 after deploy 1234."
    assert results["timeline"] == []
    with pytest.raises(ValueError, match="sessionUuid: is required"):
        builder.build(session_uuid=OMIT)  # required (if nullable): leaving it out is invalid
    assert builder.build(rootCause=None)["rootCause"] is None
    reply = AgentReplyBuilder(spec(), seed=1).build(
        answer="It was DNS.", conversation_id="0b0e5a34-25a1-4f3c-9a51-2c0b8c9f8e11"
    )
    assert reply["answer"] == "It was DNS."
    log = ArtifactBuilder(spec(), seed=1).build("log:loki:abc", summary=None)
    assert (log["id"], log["type"], log["provider"], log["summary"]) == (
        "log:loki:abc",
        "log",
        "loki",
        None,
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ResultsBuilder(spec()).build(root_cuase="x"),
            "IssueResultsDto has no field 'root_cuase'",
        ),
        (lambda: ResultsBuilder(spec()).build(timeline="soon"), "timeline: must be of type array"),
        (lambda: AgentReplyBuilder(spec()).build(conversation_id="not-a-uuid"), "conversation_id"),
        (lambda: ArtifactBuilder(spec()).build(type="video"), "unknown artifact type 'video'"),
        (
            lambda: ArtifactBuilder(spec()).build(type="log", provider="splunk"),
            "provider: must be one of",
        ),
        (
            lambda: ArtifactBuilder(spec()).build(type="file", colour="red"),
            "FileArtifactDto has no field",
        ),
    ],
)
def test_a_wrong_override_is_a_clear_value_error(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


# -- derived from the document, not copied -----------------------------------------------------


def test_types_and_fields_follow_the_document() -> None:
    document = copy.deepcopy(spec().document)
    log = document["components"]["schemas"]["LogArtifactDto"]
    log["properties"]["region"] = {"type": "string", "enum": ["eu-west-1"]}
    log["required"].append("region")
    items = document["paths"]["/artifacts"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    union = items["schema"]["items"]
    del union["discriminator"]["mapping"]["topology"]
    union["oneOf"] = [o for o in union["oneOf"] if "Topology" not in o["$ref"]]
    changed = Spec(document)
    builder = ArtifactBuilder(changed, seed=1)
    assert "topology" not in builder.types and "log" in builder.types
    assert builder.build(type="log")["region"] == "eu-west-1"
    assert set(ArtifactBuilder(spec()).types) == {
        "metric",
        "trace",
        "log",
        "file",
        "event",
        "topology",
    }


def test_a_document_without_the_schemas_is_one_clear_error() -> None:
    one_operation = Spec({"openapi": "3.0.0", "info": {"version": "1"}, "paths": {}})
    for builder in (ResultsBuilder, ArtifactBuilder, AgentReplyBuilder):
        with pytest.raises(SpecError, match="needs the vendor's whole document"):
            builder(one_operation)


# -- hypothesis --------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results=ResultsBuilder(SPEC).strategy() if SPEC else ResultsBuilder.strategy)  # type: ignore[arg-type]
def test_results_strategy_is_valid(results: dict[str, Any]) -> None:
    assert_valid("IssueResultsDto", results)


@settings(max_examples=30, deadline=None)
@given(artifact=ArtifactBuilder(SPEC).strategy() if SPEC else ArtifactBuilder.strategy)  # type: ignore[arg-type]
def test_artifact_strategy_is_valid(artifact: dict[str, Any]) -> None:
    assert_valid(TYPES[artifact["type"]], artifact)


@settings(max_examples=30, deadline=None)
@given(
    chunks=AgentReplyBuilder(SPEC).chunks_strategy(answer="It was DNS.")
    if SPEC
    else AgentReplyBuilder.strategy
)  # type: ignore[arg-type]
def test_chunk_strategy_is_valid(chunks: list[dict[str, Any]]) -> None:
    for chunk in chunks:
        assert_valid("QueryChunkDto", chunk)
    assert "".join(c.get("text", "") for c in chunks) == "It was DNS."


def test_importing_the_builders_loads_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import pytest_antimetal.builders\n"
        "from pytest_antimetal.builders import ResultsBuilder\n"
        "heavy = ('hypothesis', 'jsonschema', 'jsonschema_rs', 'yaml', 'httpx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
