"""What the drift check calls breaking is what the fake and the factory start enforcing.

The fake and the factory derive from the spec: swapping in a document the diff
classifies as breaking changes their behaviour with no code change.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_antimetal.drift import diff_documents
from pytest_antimetal.factory import IssueFactory
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.spec import Spec, vendored_spec


@pytest.fixture
def changed_spec() -> Spec:
    """The vendored spec with a smaller title maxLength and a new required field."""
    document = vendored_spec().document
    changed = Spec(document, source="changed")  # Spec keeps its own deep copy
    create = changed.document["components"]["schemas"]["CreateIssueDto"]
    create["properties"]["title"]["maxLength"] = 20
    create["properties"]["team"] = {"type": "string", "minLength": 1}
    create["required"].append("team")
    return changed


def _post(fake: FakeAntimetal, payload: dict[str, object]) -> httpx.Response:
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as client:
        return client.post(
            "/issues", json=payload, headers={"Authorization": f"Bearer {fake.api_key}"}
        )


def test_the_diff_classifies_the_change_as_breaking(changed_spec: Spec) -> None:
    result = diff_documents(vendored_spec().document, changed_spec.document)
    assert {c.id for c in result.changes if c.level.value == "breaking"} == {
        "request-property-max-length-decreased",
        "new-required-request-property",
    }


def test_the_factory_follows_the_changed_spec(changed_spec: Spec) -> None:
    payload = IssueFactory(spec=changed_spec, seed=1).build()
    assert "team" in payload
    assert len(payload["title"]) <= 20
    assert "team" not in IssueFactory(seed=1).build()


def test_the_fake_enforces_the_changed_spec(changed_spec: Spec) -> None:
    old_payload = IssueFactory(seed=2).build(title="A title longer than twenty characters")
    assert _post(FakeAntimetal(), old_payload).status_code == 201
    assert _post(FakeAntimetal(spec=changed_spec), old_payload).status_code == 400
    new_payload = IssueFactory(spec=changed_spec, seed=2).build()
    assert _post(FakeAntimetal(spec=changed_spec), new_payload).status_code == 201
