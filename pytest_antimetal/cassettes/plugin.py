"""pytest wiring for cassettes: VCR.py defaults for Antimetal traffic and the check item.

Registered on every run by :mod:`pytest_antimetal.plugin`, so it imports only
the standard library and pytest at module level; vcr, yaml and jsonschema are
imported when a cassette is actually used or checked.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Generator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from pytest_antimetal.runconfig import named_items, synthetic_item_wanted

if TYPE_CHECKING:
    from pytest_antimetal.cassettes.check import Finding
    from pytest_antimetal.cassettes.guard import SecretHit
    from pytest_antimetal.spec import Spec

__all__ = [
    "CHECK_ITEM_NAME",
    "PLUGIN_NAME",
    "CassetteCheckItem",
    "CassettePlugin",
]

PLUGIN_NAME = "antimetal-cassettes"
CHECK_ITEM_NAME = "antimetal-cassettes-check"
DEFAULT_CASSETTE_DIR = "cassettes"


class CassetteCheckFailed(Exception):
    """The cassettes check found problems (reported without a traceback)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(f"{len(findings)} finding(s)")


class CassetteCheckUnusable(Exception):
    """The check cannot run (e.g. nothing to check); the message is one line."""


class CassetteCheckItem(pytest.Item):
    """One test: recorded cassettes validated against the spec and scanned for secrets."""

    def __init__(self, *, paths: list[Path], spec: Spec | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.paths = paths
        self.spec = spec

    def runtest(self) -> None:
        from pytest_antimetal.cassettes.check import check_cassettes, empty_directory_problem

        problem = empty_directory_problem(self.paths)
        if problem is not None:
            raise CassetteCheckUnusable(problem)
        findings = check_cassettes(self.paths, self.spec)
        if findings:
            raise CassetteCheckFailed(findings)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CassetteCheckFailed):
            lines = [str(f) for f in excinfo.value.findings]
            header = f"antimetal cassettes check: {len(lines)} finding(s) in {_names(self.paths)}"
            return "\n".join([header, *lines])
        if isinstance(excinfo.value, CassetteCheckUnusable):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"antimetal cassettes check of {_names(self.paths)}"


def _names(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths)


_KEY_ENV = "ANTIMETAL_API_KEY"


@contextmanager
def _entered(
    outer: AbstractContextManager[Any], inner: AbstractContextManager[Any]
) -> Generator[Any, None, None]:
    with outer, inner as value:
        yield value


def _replay_failure(item: pytest.Item, error: BaseException) -> str | None:
    """Our text for VCR.py's "cannot play back" error, else ``None``.

    VCR.py's own text for a missing cassette suggests "record_mode='once' (the
    default)", but pytest-recording's default is ``none``: name the cassette and the
    command that records it instead.
    """
    from vcr.errors import CannotOverwriteExistingCassetteException

    seen: set[int] = set()
    while error is not None and id(error) not in seen:  # also when wrapped by the test
        if isinstance(error, CannotOverwriteExistingCassetteException):
            break
        seen.add(id(error))
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    if not isinstance(error, CannotOverwriteExistingCassetteException):
        return None
    cassette = error.cassette
    mode = getattr(cassette.record_mode, "value", cassette.record_mode)
    path = getattr(cassette, "_path", "?")
    nodeid = shlex.quote(item.nodeid)
    if getattr(error, "reason", "") == "cassette_not_found":
        given = item.config.getoption("record_mode", None) is not None
        how = (
            f"--record-mode={mode}"
            if given
            else f"record mode {mode!r} (pytest-recording's default)"
        )
        return (
            f"pytest-antimetal: no cassette to replay for {item.nodeid}: {path} does not "
            f"exist, and {how} only replays. Record it once: pytest --record-mode=once "
            f"{nodeid} (with {_KEY_ENV} set if it talks to a live server)"
        )
    return (
        f"{error}\n\npytest-antimetal: to record this test's cassette again: "
        f"pytest --record-mode=rewrite {nodeid}"
    )


class CassettePlugin:
    """VCR.py defaults (scrubbing, matcher, fail-closed guard) and ``--antimetal-check-cassettes``.

    Register once per run: ``config.pluginmanager.register(CassettePlugin(config), PLUGIN_NAME)``.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._refusals: list[tuple[str, list[SecretHit]]] = []
        self.check_paths = self._check_paths()
        named_items(config)  # before collection reads config.args

    # -- configuration -------------------------------------------------------------

    def _check_paths(self) -> list[Path] | None:
        value = self.config.getoption("antimetal_check_cassettes", None)
        if value is None:
            return None
        if value:
            path = Path(value)
            if not path.is_absolute():
                path = self.config.invocation_params.dir / path
            source = "--antimetal-check-cassettes"
        else:
            ini = self.config.getini("antimetal_cassette_dir")
            path = self.config.rootpath / (ini or DEFAULT_CASSETTE_DIR)
            source = "ini antimetal_cassette_dir" if ini else "default cassette dir"
        if not path.exists():
            raise pytest.UsageError(
                f"{source}: {path} does not exist (pass --antimetal-check-cassettes=PATH or "
                "set ini antimetal_cassette_dir)"
            )
        return [path]

    def spec(self) -> Spec:
        """The run's spec (:func:`pytest_antimetal.runconfig.run_spec`)."""
        from pytest_antimetal.runconfig import run_spec

        return run_spec(self.config)

    def base_urls(self) -> list[str]:
        """The run's live base URL, if any, so the matcher knows its host and path prefix.

        Empty for the fake and for a misconfigured target: that error belongs to
        the tests that need the target (see :mod:`pytest_antimetal.runconfig`),
        not to every ``@pytest.mark.vcr`` test. Replay under
        ``--record-mode=none`` needs no key, so its target is never an error.
        """
        from pytest_antimetal.runconfig import run_target, target_error

        if target_error(self.config) is not None:
            return []
        base_url = run_target(self.config).base_url
        return [base_url] if base_url else []

    def cassette_dir(self) -> Path:
        """Cassettes of run-wide items: under ini ``antimetal_cassette_dir``, else cassettes/."""
        configured = self.config.getini("antimetal_cassette_dir")
        base = self.config.inipath.parent if self.config.inipath else self.config.rootpath
        return base / (str(configured) if configured else DEFAULT_CASSETTE_DIR)

    def use_cassette(self, path: Path, record_mode: str, *, record_command: str = "") -> Any:
        """A VCR.py cassette context with our defaults, for items that are not test functions.

        pytest-recording's ``vcr`` fixture only serves test functions; the contract
        suite's items record and replay through this instead, with the same
        scrubbing, matcher and fail-closed guard, and pytest-recording's record modes:
        ``rewrite`` deletes the cassette and records it anew (VCR.py has no such mode).
        Replaying (``none``) a cassette that does not exist fails the item at once, with
        one line naming it and *record_command*, the command that records it.
        """
        import vcr as vcrpy

        from pytest_antimetal.cassettes.recorder import install

        if record_mode == "none" and not path.exists():
            how = f": {record_command}" if record_command else " with --record-mode=once"
            pytest.fail(
                f"pytest-antimetal: no cassette to replay: {path} does not exist "
                f"(--record-mode=none only replays). Record it once{how}",
                pytrace=False,
            )
        if record_mode == "rewrite":  # as pytest-recording does for test functions
            path.unlink(missing_ok=True)
            record_mode = "new_episodes"
        recorder = install(
            vcrpy.VCR(), spec=self.spec(), base_urls=self.base_urls(), on_refusal=self._refuse
        )
        return recorder.use_cassette(str(path), record_mode=record_mode)

    def network_guard(
        self, base_url: str | None, *, recording: bool
    ) -> AbstractContextManager[Any]:
        """pytest-recording's ``--block-network``, for items that are not test functions.

        Its ``block_network`` fixture only serves test functions. As there, the block
        holds unless a cassette is recording (*recording*), and ``--allowed-hosts``
        (comma-separated regexes) lets hosts through. A *base_url* whose host is blocked
        fails the item at once, before any request, with one line.
        """
        if recording or not self.config.getoption("block_network", False):
            return nullcontext()
        from pytest_recording.network import blocking_context, is_host_in_allowed_hosts

        raw = self.config.getoption("allowed_hosts", None)
        allowed = [h for h in str(raw).split(",") if h] if raw else None
        host = (urlsplit(base_url).hostname or "") if base_url else ""
        aliases = [host, *(("127.0.0.1", "::1") if host == "localhost" else ())]
        if host and not any(is_host_in_allowed_hosts(h, allowed) for h in aliases):
            pytest.fail(
                f"pytest-antimetal: --block-network blocks {host}, this run's target: "
                "replay cassettes with --record-mode=none, let the host through with "
                "--allowed-hosts, or drop --block-network",
                pytrace=False,
            )
        return blocking_context(allowed_hosts=allowed)

    def item_context(
        self, path: Path, *, base_url: str | None, record_command: str = ""
    ) -> AbstractContextManager[Any]:
        """Cassette and network block for an item that is not a test function.

        Under ``--record-mode`` the item's traffic goes through the cassette at *path*
        (:meth:`use_cassette`); ``--block-network`` holds as for test functions
        (:meth:`network_guard`): without a cassette, *base_url* is where requests go.
        """
        mode = self.config.getoption("record_mode", None)
        guard = self.network_guard(
            base_url if mode is None else None, recording=mode not in (None, "none")
        )
        if mode is None:
            return guard
        return _entered(guard, self.use_cassette(path, str(mode), record_command=record_command))

    # -- hooks -------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Replay never touches the network: under ``--record-mode=none`` a test that would
        send to the live target without a cassette fails before it sends anything."""
        if self.config.getoption("record_mode", None) != "none":
            return
        if item.get_closest_marker("vcr") is not None and not self.config.getoption(
            "disable_recording", False
        ):
            return
        from pytest_antimetal.runconfig import run_target, sends_to_live_target, target_error

        if not sends_to_live_target(item) or target_error(self.config) is not None:
            return
        target = run_target(self.config)
        if target.is_fake:
            return
        pytest.fail(
            f"pytest-antimetal: --record-mode=none replays cassettes, but {item.nodeid} has "
            f"none (no @pytest.mark.vcr): it would send requests to {target.base_url}. "
            "Mark it @pytest.mark.vcr and record its cassette once (pytest --record-mode=once "
            f"{shlex.quote(item.nodeid)}, with {_KEY_ENV} set), or give it the fake "
            "(@pytest.mark.antimetal_fake)",
            pytrace=False,
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_recording_configure(self, config: pytest.Config, vcr: Any) -> None:
        """Install our defaults on pytest-recording's VCR instance.

        pytest-recording then passes the user's merged ``vcr_config`` to
        ``use_cassette``, whose keyword arguments override instance defaults.
        """
        from pytest_antimetal.cassettes.recorder import install

        install(vcr, spec=self.spec(), base_urls=self.base_urls(), on_refusal=self._refuse)

    def _refuse(self, path: str, hits: list[SecretHit]) -> None:
        # Raising inside vcrpy's save would print its frames' arguments (the
        # unscrubbed cassette) in pytest's traceback: fail the test's teardown
        # report with our message instead.
        self._refusals.append((path, hits))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None and "vcr.errors" in sys.modules:
            message = _replay_failure(item, call.excinfo.value)
            if message is not None:
                report.longrepr = message
        if call.when == "teardown" and self._refusals:
            from pytest_antimetal.cassettes.guard import refusal_message

            # pytest-recording saves the cassette in the vcr fixture's teardown.
            report.outcome = "failed"
            report.longrepr = "\n".join(refusal_message(p, hits) for p, hits in self._refusals)
            self._refusals.clear()
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.check_paths is None or not synthetic_item_wanted(config, CHECK_ITEM_NAME):
            return
        items.append(
            CassetteCheckItem.from_parent(
                session,
                name=CHECK_ITEM_NAME,
                # Like antimetal-spec-drift: selectable as `pytest antimetal-cassettes-check`.
                nodeid=CHECK_ITEM_NAME,
                paths=self.check_paths,
                spec=self.spec(),
            )
        )
