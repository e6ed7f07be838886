"""``client.artifacts``: ``GET /artifacts`` (the evidence documents of a result).

``retrieve(ids)`` takes any number of ids and sends them in batches of the
document's ``maxItems`` (100) as repeated ``id`` query parameters, one request per
batch, each retried like any ``GET``. Each item comes back as the model its
``type`` names (the document's ``oneOf`` with a ``type`` discriminator). Unknown
ids: the document states no 404 for this operation, so a server is expected to
leave them out; the client returns what the server sent, in its order, and does
not invent placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from pytest_antimetal.models import Artifact, artifact_schemas, parse_artifact
from pytest_antimetal.resources._resource import AsyncAPIResource, SyncAPIResource

if TYPE_CHECKING:
    from pytest_antimetal._base_client import _BaseClient

__all__ = ["DEFAULT_BATCH_SIZE", "Artifacts", "AsyncArtifacts"]

ARTIFACTS = "/artifacts"
DEFAULT_BATCH_SIZE = 100  # the document's maxItems, when the run's spec does not say


def batch_size(client: _BaseClient[Any]) -> int:
    """The ``maxItems`` of the ``id`` parameter in the run's spec (else 100)."""
    operation = client._operation("GET", ARTIFACTS)
    for param in operation.parameters if operation else ():
        if param.get("in") == "query" and param.get("name") == "id":
            value = param.get("schema", {}).get("maxItems")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return DEFAULT_BATCH_SIZE


def batches(client: _BaseClient[Any], ids: Iterable[str]) -> list[list[str]]:
    """*ids* once each, in order, cut into batches of :func:`batch_size`."""
    if isinstance(ids, str):
        ids = [ids]  # one id, not its characters
    unique: dict[str, None] = {}
    for item in ids:
        if not isinstance(item, str) or not item:
            raise TypeError(f"artifact ids must be non-empty strings, got {item!r}")
        unique.setdefault(item, None)
    ordered = list(unique)
    size = batch_size(client)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def _request(
    client: _BaseClient[Any],
    batch: list[str],
    extra_headers: Mapping[str, str] | None,
    timeout: float | httpx.Timeout | None,
) -> httpx.Request:
    return client._build_request(
        "GET",
        ARTIFACTS,
        params=[("id", item) for item in batch],
        extra_headers=extra_headers,
        timeout=timeout,
    )


def _parse(client: _BaseClient[Any], response: httpx.Response) -> list[Artifact]:
    schema = client._response_schema("GET", ARTIFACTS)
    by_type = artifact_schemas(schema.get("items"))

    def build(body: Any) -> list[Artifact]:
        if not isinstance(body, list):
            raise ValueError(f"expected a JSON array, got {type(body).__name__}")
        return [parse_artifact(item, by_type) for item in body]

    return client._parse(response, "the artifact list", build)


class Artifacts(SyncAPIResource):
    """``client.artifacts``."""

    def retrieve(
        self,
        ids: Iterable[str],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> list[Artifact]:
        """``GET /artifacts?id=...``: the artifacts with these ids, typed by ``type``.

        Batches of 100 ids (one request each); a repeated id is asked for once; no
        ids, no request.
        """
        client = self._client
        found: list[Artifact] = []
        for batch in batches(client, ids):
            response = client._send(_request(client, batch, extra_headers, timeout))
            found += _parse(client, response)
        return found


class AsyncArtifacts(AsyncAPIResource):
    """``client.artifacts`` of the async client."""

    async def retrieve(
        self,
        ids: Iterable[str],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> list[Artifact]:
        """``GET /artifacts``; see :meth:`Artifacts.retrieve`."""
        client = self._client
        found: list[Artifact] = []
        for batch in batches(client, ids):
            response = await client._send(_request(client, batch, extra_headers, timeout))
            found += _parse(client, response)
        return found
