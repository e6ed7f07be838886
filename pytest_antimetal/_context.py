"""Leaving a ``with`` block: the one ``__exit__`` (and ``__aexit__``) our context managers share.

The clients, the query stream managers and the fake server each say only what
leaving does (``_on_exit``). A leaf (standard library only), so every layer may
import it without pointing upward or sideways.
"""

from __future__ import annotations

from types import TracebackType

__all__ = ["OnAsyncExit", "OnExit"]


class OnExit:
    """Mixin: ``__exit__`` calls :meth:`_on_exit`, whatever the block raised (never suppressed)."""

    def _on_exit(self) -> None:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._on_exit()


class OnAsyncExit:
    """Mixin: ``__aexit__`` awaits :meth:`_on_exit`, whatever the block raised (not suppressed)."""

    async def _on_exit(self) -> None:
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._on_exit()
