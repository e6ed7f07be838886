"""``pytest --antimetal-spec-drift[=SOURCE]``: one test item comparing the run's spec
(the vendored one unless ``--antimetal-spec`` names another) with the vendor's
current document.

:mod:`pytest_antimetal.plugin` registers :class:`DriftPlugin` only when the
option is given, so none of this is imported otherwise (the old path
:mod:`pytest_antimetal.drift.pytest_plugin` re-exports it for one release).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.drift.source import is_url

__all__ = [
    "ITEM_NAME",
    "DriftFailure",
    "DriftItem",
    "DriftPlugin",
    "project_cassettes",
    "resolve_source",
]

ITEM_NAME = "antimetal-spec-drift"


class DriftFailure(Exception):
    """The item failed for a reason the message says in full (no traceback needed)."""


def resolve_source(config: pytest.Config) -> str:
    """SOURCE from the command line, else ini ``antimetal_drift_source``.

    A relative path on the command line is taken from the invocation directory;
    one from the ini file, from the ini file's folder (as ``antimetal_spec`` is,
    see :func:`pytest_antimetal.runconfig.run_spec_path`).
    """
    option = config.getoption("antimetal_spec_drift")
    if option and item_named_as_source(config):
        option = ""  # `--antimetal-spec-drift antimetal-spec-drift`: the node id, not a file
    if option:
        source, base = str(option), config.invocation_params.dir
    else:
        source = str(config.getini("antimetal_drift_source"))
        base = config.inipath.parent if config.inipath is not None else config.rootpath
    if not source:
        raise pytest.UsageError("--antimetal-spec-drift: no source given and ini is empty")
    return source if is_url(source) else str(base / source)


def project_cassettes(config: pytest.Config) -> list[Path]:
    """The project's cassette directory when it holds cassettes, else nothing.

    Ini ``antimetal_cassette_dir`` (from the ini file's folder), else
    ``cassettes/`` under the rootdir: the same place the cassette check reads.
    With cassettes, the drift item judges only what they use.
    """
    from pytest_antimetal.drift.usage import CASSETTE_SUFFIXES

    ini = str(config.getini("antimetal_cassette_dir") or "")
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    folder = base / ini if ini else config.rootpath / "cassettes"
    if not folder.is_dir():
        return []
    has_any = any(p.suffix in CASSETTE_SUFFIXES and p.is_file() for p in folder.rglob("*"))
    return [folder] if has_any else []


def item_named_as_source(config: pytest.Config) -> bool:
    """Whether ``--antimetal-spec-drift antimetal-spec-drift`` took the node id as SOURCE.

    The option's value is optional, so argparse hands it the next word. A word
    equal to the item's node id that names no file is the node id.
    """
    option = config.getoption("antimetal_spec_drift")
    if option != ITEM_NAME:
        return False
    return not (config.invocation_params.dir / ITEM_NAME).exists()


class DriftItem(pytest.Item):
    """Fails with the classified report when SOURCE breaks the run's spec.

    The run's spec is :func:`pytest_antimetal.runconfig.run_spec`: the user's
    ``--antimetal-spec`` / ini ``antimetal_spec``, else the vendored document.
    """

    def __init__(self, *, source: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source

    def runtest(self) -> None:
        from pytest_antimetal.drift.accept import AcceptError, AcceptFile
        from pytest_antimetal.drift.gate import evaluate
        from pytest_antimetal.drift.model import Level
        from pytest_antimetal.drift.report import render_text
        from pytest_antimetal.drift.source import load_source
        from pytest_antimetal.drift.usage import UsageError
        from pytest_antimetal.runconfig import run_spec
        from pytest_antimetal.spec import SpecError

        try:
            old = run_spec(self.config)
            new = load_source(self.source).spec
            result = evaluate(
                old.document,
                new.document,
                old_source=old.source,
                new_source=self.source,
                used_by=project_cassettes(self.config),
                accept=AcceptFile.discover(self.config.rootpath),
            )
        except (SpecError, pytest.UsageError, UsageError, AcceptError) as exc:
            raise DriftFailure(f"{ITEM_NAME}: {exc}") from None
        report = render_text(result)
        if result.errors:
            # The first line is what -ra's short summary shows.
            raise DriftFailure(f"{result.errors[0]}\n{report.rstrip()}")
        if result.breaking:
            count = result.count(Level.BREAKING)
            headline = f"{count} breaking change{'s' if count > 1 else ''} in {self.source}"
            raise DriftFailure(f"{headline}\n{report.rstrip()}")
        # Shown with -rP (and in JUnit XML): the warnings and info a pass hides.
        self.add_report_section("call", ITEM_NAME, report)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, DriftFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{ITEM_NAME}: run's spec vs {self.source}"


class DriftPlugin:
    """Adds the :class:`DriftItem` to the session's items."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.source = resolve_source(config)
        if item_named_as_source(config) and config.args_source is not pytest.Config.ArgsSource.ARGS:
            # Named alone (`pytest --antimetal-spec-drift antimetal-spec-drift`): as with
            # `pytest NODEID`, collect nothing else (pytest filled in testpaths or the
            # current directory because argparse took the only word).
            config.args[:] = []

    # tryfirst: added before -k/-m deselection runs, so those select it too.
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        from pytest_antimetal.runconfig import synthetic_item_wanted

        if not synthetic_item_wanted(config, ITEM_NAME):
            return
        items.append(
            DriftItem.from_parent(
                session,
                name=ITEM_NAME,
                nodeid=ITEM_NAME,
                source=self.source,
            )
        )
