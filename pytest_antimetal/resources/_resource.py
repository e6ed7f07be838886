"""The base of every resource: a handle on its client."""

from __future__ import annotations

from typing import Generic, TypeVar

from pytest_antimetal._base_client import AsyncAPIClient, SyncAPIClient

_ClientT = TypeVar("_ClientT", SyncAPIClient, AsyncAPIClient)


class APIResource(Generic[_ClientT]):
    """``client.<resource>``: methods that send through ``client``."""

    def __init__(self, client: _ClientT) -> None:
        self._client: _ClientT = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class SyncAPIResource(APIResource[SyncAPIClient]):
    """A resource of :class:`~pytest_antimetal.client.AntimetalClient`."""


class AsyncAPIResource(APIResource[AsyncAPIClient]):
    """A resource of :class:`~pytest_antimetal.client.AsyncAntimetalClient`."""
