"""Cursor pages of list operations (``GET /issues``), sync and async.

The document names the parameters (``limit``, ``startingAfter``, ``endingBefore``)
and the answer's ``has_more``, ``after`` and ``before``, but not their semantics.
The client reads them as Stripe does (the natural reading, see the project's notes):
the next page is asked for with ``startingAfter`` = the id of the last item of this
page; a walk that began with ``ending_before`` goes the other way, with
``endingBefore`` = the id of the first item. ``has_more`` is about the direction of
travel. Iterating a page walks every page from it::

    for issue in client.issues.list(status="investigating"):
        ...
    async for issue in async_client.issues.list(status="investigating"):
        ...

A page's ``repr`` shows its items and cursor state, never the client (nor its key).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPage", "AsyncPageRequest", "SyncPage"]

_T = TypeVar("_T")

AFTER = "startingAfter"
BEFORE = "endingBefore"


class _BasePage(Generic[_T]):
    """What both page kinds hold: the items, the cursor fields and how to ask for more."""

    def __init__(
        self,
        *,
        data: list[_T],
        has_more: bool,
        after: str | None,
        before: str | None,
        params: Mapping[str, str],
        cursor_of: Callable[[_T], str],
        raw: dict[str, Any],
        request_id: str | None = None,
    ) -> None:
        self.data = data
        self.has_more = has_more
        self.after = after
        self.before = before
        self.raw = raw
        self.request_id = request_id
        self._params = dict(params)
        self._cursor_of = cursor_of

    def next_page_params(self) -> dict[str, str] | None:
        """The query parameters of the next page, ``None`` when this is the last."""
        if not self.has_more or not self.data:
            return None  # an empty page cannot name a cursor: stop rather than loop
        params = {k: v for k, v in self._params.items() if k not in (AFTER, BEFORE)}
        if BEFORE in self._params and AFTER not in self._params:
            params[BEFORE] = self._cursor_of(self.data[0])
        else:
            params[AFTER] = self._cursor_of(self.data[-1])
        return params

    def has_next_page(self) -> bool:
        return self.next_page_params() is not None

    def __len__(self) -> int:
        """Items on *this* page (iteration walks every page)."""
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(data={self.data!r}, has_more={self.has_more}, "
            f"after={self.after!r}, before={self.before!r})"
        )


class SyncPage(_BasePage[_T]):
    """One page of a sync list call; iterate it to walk every page from here."""

    def __init__(
        self, *, fetch: Callable[[Mapping[str, str]], SyncPage[_T]], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch

    def next_page(self) -> SyncPage[_T] | None:
        """The next page (one request), ``None`` after the last."""
        params = self.next_page_params()
        return None if params is None else self._fetch(params)

    def iter_pages(self) -> Iterator[SyncPage[_T]]:
        """This page, then each following page (one request each)."""
        page: SyncPage[_T] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[_T]:
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(_BasePage[_T]):
    """One page of an async list call; ``async for`` over it walks every page from here."""

    def __init__(
        self, *, fetch: Callable[[Mapping[str, str]], Awaitable[AsyncPage[_T]]], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[_T] | None:
        """The next page (one request), ``None`` after the last."""
        params = self.next_page_params()
        return None if params is None else await self._fetch(params)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[_T]]:
        """This page, then each following page (one request each)."""
        page: AsyncPage[_T] | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[_T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class AsyncPageRequest(Generic[_T]):
    """What the async ``list()`` returns before any request: ``await`` it for the first
    :class:`AsyncPage`, or ``async for`` over it to walk every item of every page."""

    def __init__(self, first: Callable[[], Awaitable[AsyncPage[_T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[_T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[_T]:
        page = await self._first()
        async for item in page:
            yield item

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (not sent yet)>"
