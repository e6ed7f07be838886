"""The contract suite without pytest: generate, send, check, report.

:class:`ContractRunner` generates requests for ``POST /issues`` with
schemathesis (examples, coverage and fuzzing phases, positive and negative),
adds the hand-written inputs of :mod:`.edge_cases`, sends everything with
httpx (to a base URL or an in-process transport such as the fake's), and runs
schemathesis's response checks plus the project's own (:mod:`.checks`).

The request sequence of a part is a pure function of the spec, the seed and
the example budget (no clock, no random ids), so a replay sends the same
requests in the same order, as cassettes need. That also makes the work
divisible: :meth:`ContractRunner.prefetch` lets forked workers generate the
fuzzing parts while the earlier parts run, and the requests do not change.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import gc
import hashlib
import json
import os
import signal
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.checks import (
    OWN_CHECKS,
    CheckFailed,
    ContractRules,
    Exchange,
    RunState,
)
from pytest_antimetal.contract.edge_cases import EdgeInput, edge_inputs, malformed_inputs
from pytest_antimetal.contract.grouping import Entry, EntryBook
from pytest_antimetal.contract.reach import is_connect_error
from pytest_antimetal.contract.report import (
    Failure,
    ReceivedResponse,
    RunStats,
    SentRequest,
)
from pytest_antimetal.contract.spec_rules import Intent, get_path
from pytest_antimetal.secrets import APIKey, bearer
from pytest_antimetal.spec import Spec
from pytest_antimetal.spec.formats import classify_datetime, now_utc

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "PARTS",
    "SCHEMATHESIS_CHECKS",
    "ContractRunner",
    "ContractSettings",
    "PartResult",
]

PARTS = ("examples", "coverage", "edge-cases", "malformed", "fuzz-positive", "fuzz-negative")
"""The suite's items, in run order (the fuzzing parts last: their cases take longest to
generate, and workers generate them while the other parts run)."""

_GENERATED_PARTS = ("examples", "coverage", "fuzz-positive", "fuzz-negative")

# Generating cases allocates many short-lived objects: with the default threshold (700) the
# collector ran ~500 times per run and took about a tenth of its time.
_GC_THRESHOLD = 50_000

DEFAULT_MAX_EXAMPLES = 50

SCHEMATHESIS_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
)
"""schemathesis checks that apply to one operation (``ignored_auth`` is re-done over httpx)."""

# Checks that read the case's generation metadata; hand-written inputs have none.
_META_CHECKS = frozenset(
    {"negative_data_rejection", "positive_data_acceptance", "missing_required_header"}
)

USER_AGENT = "pytest-antimetal contract suite"
_CACHE_FORMAT = 3  # 3: JSON (was a pickle); 2: generation no longer reads local modules' literals
_CACHE_MAX_BYTES = 64 * 1024 * 1024
"""A cache file above this is not read (the default budget's parts take well under 1 MB)."""
INVALID_KEY = "pytest-antimetal-invalid-key-0000"
_PUBLIC_CREDENTIALS = (f"Bearer {INVALID_KEY}",)
_UNREACHABLE_AFTER = 3
"""Connection failures in a row (with no answer between) after which a target that did answer
earlier counts as unreachable."""


@dataclass
class ContractSettings:
    """Everything one run needs; plain values, no pytest."""

    spec: Spec
    base_url: str
    api_key: APIKey = field(repr=False)
    """Masked when printed; a ``str`` given here is wrapped at once."""
    transport: httpx.BaseTransport | None = None
    """An in-process transport (the fake's); ``None`` sends over the network."""
    max_examples: int = DEFAULT_MAX_EXAMPLES
    time_budget: float | None = None
    seed: int = 0
    live_budget: int | None = None
    """At most this many requests that can create (``None``: no cap; loopback and fakes).

    Every request whose method is not safe counts (POST, PUT, PATCH, DELETE), whatever it
    was meant to test: a server that wrongly accepts an invalid body creates an issue too."""
    budget_claim: Callable[[], bool] | None = None
    """Takes one unit of a budget shared with other processes (xdist workers); ``False`` when
    it is spent. ``None``: this runner counts against ``live_budget`` alone."""
    tag: str | None = None
    """Added to ``context.tags`` of every object body of a request that can create (live
    targets), where the body leaves room for it (see :func:`_tagged`)."""
    clock: Callable[[], datetime] = now_utc
    replay: Callable[[str], str] | None = None
    """Builds the command that replays a part (shown with every failure)."""
    key_is_public: bool = False
    """The key is the fake's well-known one: reproductions show it instead of hiding it."""
    reproduce_setup: str = ""
    """What to run before a failure's curl (starting a local fake), shown with it."""
    cache_dir: Path | None = None
    """Where generated cases are kept between runs (``None``: generate every time)."""
    method: str = "post"
    path: str = "/issues"
    max_failures_per_check: int = 20
    workers: int = 2
    """At most this many forked processes generate fuzzing cases ahead (0: none); see
    :meth:`ContractRunner.prefetch`."""

    def __post_init__(self) -> None:
        if isinstance(self.api_key, str):
            self.api_key = APIKey(self.api_key)

    def __repr__(self) -> str:
        return (
            f"ContractSettings(base_url={self.base_url!r}, api_key='[REDACTED]', "
            f"max_examples={self.max_examples}, seed={self.seed})"
        )


@dataclass
class PartResult:
    """What one part of the suite found."""

    part: str
    failures: list[Failure] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    notes: list[str] = field(default_factory=list)
    book: EntryBook = field(default_factory=EntryBook)
    """Every failure, grouped by root cause (``failures`` keeps the first few per check)."""

    unreachable: str = ""
    """Why the target could not be connected to (the part stopped; nothing was sent)."""

    @property
    def entries(self) -> list[Entry]:
        return self.book.entries()

    @property
    def passed(self) -> bool:
        return not self.failures and not self.unreachable


@dataclass(frozen=True)
class _Outgoing:
    """A request about to be sent, with what the checks need to judge its response."""

    label: str
    intent: Intent
    method: str
    url: str
    headers: dict[str, str]
    content: bytes
    body: Any
    case: Any = None
    """The schemathesis Case, when there is one."""

    @property
    def creates(self) -> bool:
        """Whether the request can create (or change) something: every method but the safe
        ones, whatever the request was meant to test."""
        return _can_create(self.method)


class _BudgetExhausted(Exception):
    pass


class ContractRunner:
    """Runs the suite's parts against one target; keeps state across parts."""

    def __init__(self, settings: ContractSettings, client: httpx.Client | None = None) -> None:
        import httpx

        self.settings = settings
        self.rules = ContractRules.from_spec(settings.spec, settings.method, settings.path)
        self.state = RunState(clock=settings.clock)
        self.stats = RunStats()
        self._client = client or httpx.Client(
            transport=settings.transport, timeout=30.0, follow_redirects=False
        )
        self._owns_client = client is None
        self._creating_sent = 0
        self._auth_probed = False
        self._deadline: float | None = None
        self._schema: Any = None
        self._operation: Any = None
        self._checks: list[Any] | None = None
        self._checks_config: Any = None
        self._workers: dict[str, tuple[int, int]] = {}
        self._unreachable = ""
        self._connected = False
        self._connect_failures = 0

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        self._stop_workers()
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ContractRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def secrets(self) -> tuple[str, ...]:
        # Bare for the reports' redaction only (they match text); never stored or printed.
        return () if self.settings.key_is_public else (self.settings.api_key.get_secret_value(),)

    @property
    def _public(self) -> tuple[str, ...]:
        if self.settings.key_is_public:
            return (*_PUBLIC_CREDENTIALS, bearer(self.settings.api_key))
        return _PUBLIC_CREDENTIALS

    # -- schemathesis ----------------------------------------------------

    @property
    def operation(self) -> Any:
        if self._operation is None:
            import schemathesis

            config = schemathesis.Config.from_dict(
                {
                    # Credentials are ours to send; generating broken ones hides body bugs.
                    "generation": {"with-security-parameters": False},
                }
            )
            document = copy.deepcopy(self.settings.spec.document)  # from_dict mutates it
            self._schema = schemathesis.openapi.from_dict(document, config=config)
            self._operation = self._schema[self.settings.path][self.settings.method.upper()]
            self._checks_config = self._schema.config.checks_config_for(
                operation=self._operation, phase=None
            )
        return self._operation

    def _schemathesis_checks(self) -> list[Any]:
        if self._checks is None:
            from schemathesis.checks import CHECKS, load_all_checks

            load_all_checks()
            self._checks = list(CHECKS.get_by_names(list(SCHEMATHESIS_CHECKS)))
        return self._checks

    def _part_seed(self, part: str) -> int:
        # Each part draws from its own stream: replaying one part alone sends the same requests.
        return zlib.crc32(f"{self.settings.seed}:{part}".encode())

    def _fuzz_cases(self, mode: str) -> list[Any]:
        import hypothesis
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from schemathesis.generation import GenerationMode

        generation_mode = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
        strategy = self.operation.as_strategy(generation_mode=generation_mode)
        cases: list[Any] = []

        @hypothesis.seed(self._part_seed(f"fuzz-{mode}"))
        @settings(
            max_examples=self.settings.max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @given(case=strategy)
        def collect(case: Any) -> None:
            if not self._out_of_time():
                cases.append(case)

        collect()
        return cases

    def _coverage_cases(self) -> Iterator[Any]:
        from schemathesis.generation import GenerationMode
        from schemathesis.generation.drivers import CoverageGenerator
        from schemathesis.generation.feedback import FeedbackSources
        from schemathesis.generation.overrides import Override

        op = self.operation
        generator = CoverageGenerator(
            operation=op,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=self._schema.config.generation_for(operation=op, phase="coverage"),
            auth_storage=None,
            override=Override(),
            feedback=FeedbackSources(),
        )
        yield from generator

    def _example_cases(self) -> list[Any]:
        from schemathesis.generation.hypothesis.builder import generate_example_cases

        return list(
            generate_example_cases(
                test=lambda case: None, operation=self.operation, fill_missing=True
            )
        )

    def _generate(self, part: str) -> list[Any]:
        with _spec_only_constants():
            if part == "examples":
                return self._example_cases()
            if part == "coverage":
                return list(self._coverage_cases())
            return self._fuzz_cases(part.split("-")[1])

    def _cache_path(self, part: str) -> Path | None:
        # Without the isolation from local modules, what generation gives depends on more than
        # the key says: such cases are not worth keeping.
        if self.settings.cache_dir is None or not _local_constants_isolated():
            return None
        import hypothesis
        import schemathesis

        key = {
            "format": _CACHE_FORMAT,
            "spec": self.settings.spec.document,
            "versions": [schemathesis.__version__, hypothesis.__version__],
            "operation": [self.settings.method, self.settings.path],
            "part": part,
            # Examples and coverage do not depend on the seed or the budget.
            "seed": self._part_seed(part) if part.startswith("fuzz") else None,
            "budget": self.settings.max_examples if part.startswith("fuzz") else None,
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode())
        return self.settings.cache_dir / f"{part}-{digest.hexdigest()[:32]}.json"

    def _from_json(self, data: bytes) -> list[Any] | None:
        """The cases in *data* (from :func:`_cases_json`); ``None`` for anything else.

        The cache lives in ``.pytest_cache``, which CI shares between branches: a file there
        is untrusted input. It is parsed as JSON data only (nothing in it can run) and
        checked field by field; a file that does not parse, or has another shape, counts as
        absent.
        """
        from schemathesis.core import NOT_SET
        from schemathesis.generation.meta import CaseMetadata

        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict) or document.get("format") != _CACHE_FORMAT:
            return None
        rows = document.get("cases")
        if not isinstance(rows, list):
            return None
        cases = []
        try:
            for row in rows:
                method, media_type, body = row["method"], row["media_type"], row["body"]
                meta = row["meta"]
                containers = [row[k] for k in ("path_parameters", "headers", "cookies", "query")]
                if (
                    not isinstance(method, str)
                    or not (media_type is None or isinstance(media_type, str))
                    or not all(isinstance(c, dict) for c in containers)
                    or not isinstance(body, dict)
                    or not (meta is None or isinstance(meta, dict))
                ):
                    return None
                if "json" in body:
                    value: Any = body["json"]
                elif isinstance(body.get("base64"), str):
                    value = base64.b64decode(body["base64"], validate=True)
                elif body == {"absent": True}:
                    value = NOT_SET
                else:
                    return None
                path_parameters, headers, cookies, query = containers
                cases.append(
                    self.operation.Case(
                        method=method,
                        path_parameters=path_parameters,
                        headers=headers,
                        cookies=cookies,
                        query=query,
                        body=value,
                        media_type=media_type,
                        _meta=None if meta is None else CaseMetadata.from_dict(meta),
                    )
                )
        except Exception:  # any field of the wrong shape: not our cache
            return None
        return cases

    def _generated(self, part: str) -> list[Any]:
        """The part's cases, generated once per (spec, versions, seed, budget) and cached.

        Generation is deterministic for those inputs, so a cached list (or one a
        background worker generated) is exactly what generating here would give; the
        cache only saves time (a corrupt or stale file is ignored).
        """
        path = self._cache_path(part)
        if path is not None:
            cached = _read_bounded(path, _CACHE_MAX_BYTES)
            cases = None if cached is None else self._from_json(cached)
            if cases is not None:
                return cases
        cases = self._background_cases(part)
        if cases is None:
            cases = self._generate(part)
        if path is not None and not self._out_of_time():
            try:
                data = _cases_json(cases)
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                partial.write_bytes(data)
                os.replace(partial, path)
            except (OSError, TypeError, ValueError):  # a cache that cannot be written is no cache
                pass
        return cases

    # -- background generation -------------------------------------------

    def prefetch(self, parts: Iterable[str]) -> list[str]:
        """Start generating the fuzzing parts among *parts* (in run order) in worker processes.

        Generating cases is CPU-bound Python (the GIL rules out threads), so a fuzzing
        part that is not cached gets a forked worker while this process runs the parts
        before it; :meth:`run` then takes the worker's cases, which are the cases
        generating here would give (same spec, seed and budget; generation reads nothing
        else). A fuzzing part that runs first stays here: waiting for a worker would gain
        nothing. Workers are used only where forking is safe and useful (Linux, no other
        threads, more than one CPU), at most ``ContractSettings.workers`` of them, on the
        parts needed last; a worker that fails is replaced by generating here. Returns
        the parts handed out.
        """
        parts = list(parts)
        if len(parts) < 2 or not self.settings.workers or not _can_fork():
            return []  # nothing to overlap with, or no safe fork
        pending = [
            p
            for p in parts[1:]
            if p.startswith("fuzz-") and p not in self._workers and not self._is_cached(p)
        ]
        fuzz = pending[-self.settings.workers :]
        if not fuzz:
            return []
        _ = self.operation  # schemathesis loaded once, before the fork, shared by the workers
        self._start_deadline()
        # Frozen objects are left alone by the collector, so the workers' collections do not
        # touch (and copy) the memory they share with this process.
        with _frozen():
            for part in fuzz:
                self._fork(part)
        return fuzz

    def _is_cached(self, part: str) -> bool:
        # A file that is there but not valid is regenerated here: no worker for it (rare).
        path = self._cache_path(part)
        return path is not None and path.is_file()

    def _fork(self, part: str) -> None:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: generate, send the rows, leave without any cleanup
            code = 1
            try:
                os.close(read_end)
                gc.set_threshold(_GC_THRESHOLD, *gc.get_threshold()[1:])
                data = _cases_json(self._generate(part))
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._workers[part] = (pid, read_end)

    def _background_cases(self, part: str) -> list[Any] | None:
        """The cases a worker generated for *part*; ``None``: no worker, or it failed."""
        worker = self._workers.pop(part, None)
        if worker is None:
            return None
        pid, fd = worker
        with os.fdopen(fd, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        return self._from_json(data)

    def _stop_workers(self) -> None:
        for pid, fd in self._workers.values():
            os.close(fd)  # a worker still writing gets EPIPE and exits
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self._workers.clear()

    # -- requests --------------------------------------------------------

    def _url(self) -> str:
        return self.settings.base_url.rstrip("/") + self.settings.path

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": bearer(self.settings.api_key)}

    def _from_case(self, case: Any, label: str) -> _Outgoing | None:
        mode = case.meta.generation.mode.value if case.meta is not None else "unknown"
        intent: Intent = (
            "positive" if mode == "positive" else "negative" if mode == "negative" else "unknown"
        )
        body = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else None
        if intent == "positive" and isinstance(body, dict):
            for dt in self.rules.request_datetimes:
                value = get_path(body, dt.path)
                if isinstance(value, str) and classify_datetime(value, dt.pattern) != "both":
                    # Valid means both rules hold; the spec's two rules disagree on this value.
                    return None
        if self.settings.tag and _can_create(case.method) and isinstance(body, dict):
            body = _tagged(body, self.settings.tag)
            case.body = body
        kwargs = case.as_transport_kwargs(
            base_url=self.settings.base_url, headers=self._auth_headers()
        )
        headers = {
            k: str(v)
            for k, v in kwargs.get("headers", {}).items()
            if k.lower() not in ("x-schemathesis-testcaseid", "user-agent", "connection")
        }
        headers["User-Agent"] = USER_AGENT
        content: bytes
        if "json" in kwargs:
            content = json.dumps(kwargs["json"]).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(kwargs.get("data"), bytes):
            content = kwargs["data"]
        elif isinstance(kwargs.get("data"), str):
            content = kwargs["data"].encode()
        elif "data" in kwargs or "files" in kwargs:
            import httpx

            built = httpx.Request(
                "POST", "http://x", data=kwargs.get("data"), files=kwargs.get("files")
            )
            content = built.read()
            headers["Content-Type"] = built.headers.get("Content-Type", "")
        else:
            content = b""
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if "json" not in content_type.lower():
            body = None  # not a JSON request: the server must not read it as one
        url = str(kwargs["url"])
        params = kwargs.get("params") or {}
        if params:
            from urllib.parse import urlencode

            url = f"{url}?{urlencode(params, doseq=True)}"
        return _Outgoing(
            label=label,
            intent=intent,
            method=str(kwargs["method"]).upper(),
            url=url,
            headers=headers,
            content=content,
            body=body,
            case=case,
        )

    def _from_edge(self, item: EdgeInput, label: str) -> _Outgoing:
        headers = {"User-Agent": USER_AGENT, **self._auth_headers(), **item.extra_headers}
        if item.content_type is not None:
            headers["Content-Type"] = item.content_type
        body = item.body
        tag = self.settings.tag if _can_create(self.settings.method) else None
        if tag and (isinstance(body, dict) or item.raw is not None):
            if isinstance(body, dict):
                body = _tagged(body, tag)
            item = EdgeInput(
                item.label,
                item.intent,
                body,
                None if item.raw is None else _tagged_raw(item.raw, tag),
                item.content_type,
                item.extra_headers,
                item.ascii_only,
            )
        # A Case lets schemathesis's response checks judge hand-written inputs too.
        case = self.operation.Case(
            method=self.settings.method.upper(),
            body=body if item.raw is None else item.raw,
            media_type=item.content_type or "application/octet-stream",
            headers={k: v for k, v in headers.items() if k.lower() == "content-type"},
        )
        return _Outgoing(
            label=label,
            intent=item.intent,
            method=self.settings.method.upper(),
            url=self._url(),
            headers=headers,
            content=item.content(),
            body=body if item.raw is None else None,
            case=case,
        )

    def _start_deadline(self) -> None:
        budget = self.settings.time_budget
        if budget is not None and self._deadline is None:
            self._deadline = time.monotonic() + budget

    def _out_of_time(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def _may_create(self) -> bool:
        """Take one request that can create from the budget; ``False`` when it is spent."""
        cap = self.settings.live_budget
        if cap is None:
            return True
        if self._creating_sent >= cap:
            return False
        if self.settings.budget_claim is not None and not self.settings.budget_claim():
            return False
        self._creating_sent += 1
        return True

    def _send(self, out: _Outgoing, result: PartResult) -> tuple[Any, ReceivedResponse] | None:
        import httpx

        if out.creates:
            if not self._may_create():
                result.stats.skipped["live budget reached"] += 1
                return None
            if self.settings.live_budget is not None:
                result.stats.budget_used += 1
        request = self._client.build_request(
            out.method, out.url, headers=out.headers, content=out.content
        )
        try:
            response = self._client.send(request)
        except (httpx.HTTPError, Exception) as exc:  # an in-process app may raise anything
            if is_connect_error(exc):
                # Not sent. Before any answer (or for a whole part), the target is unreachable.
                self._connect_failures += 1
                if not self._connected or self._connect_failures >= _UNREACHABLE_AFTER:
                    self._unreachable = f"{self.settings.base_url}: {type(exc).__name__}: {exc}"
                    return None
            else:
                result.stats.requests += 1
            shown = SentRequest.redacted(
                out.method,
                out.url,
                dict(request.headers),
                out.content,
                secrets=self.secrets,
                public=self._public,
            )
            message = f"no response: {type(exc).__name__}: {exc}"
            self._fail(
                result, out, check="no_response", message=message, shown=shown, received=None
            )
            return None
        result.stats.requests += 1
        self._connected, self._connect_failures = True, 0
        received = ReceivedResponse(response.status_code, dict(response.headers), response.content)
        return response, received

    # -- checking --------------------------------------------------------

    def _fail(
        self,
        result: PartResult,
        out: _Outgoing,
        *,
        check: str,
        message: str,
        shown: SentRequest,
        received: ReceivedResponse | None,
        details: str = "",
    ) -> None:
        result.stats.failures[check] += 1
        replay = self.settings.replay(result.part) if self.settings.replay else ""
        failure = Failure(
            check,
            message,
            out.label,
            shown,
            received,
            details=details,
            replay=replay,
            setup=self.settings.reproduce_setup,
            body_dir=self._body_dir,
        )
        result.book.add(failure, result.part, self.secrets)  # counted whether kept or not
        if result.stats.failures[check] <= self.settings.max_failures_per_check:
            result.failures.append(failure)

    def _check(
        self,
        out: _Outgoing,
        response: Any,
        received: ReceivedResponse,
        result: PartResult,
        sent_at: datetime,
        *,
        extra: Iterable[Callable[[Exchange], None]] = (),
    ) -> None:
        shown = SentRequest.redacted(
            out.method,
            out.url,
            dict(response.request.headers),
            out.content,
            secrets=self.secrets,
            public=self._public,
        )
        if out.creates and 200 <= received.status < 300:
            # Accepted: something was created (or changed), whatever the request was meant to
            # test; listed by its number when the answer gives one.
            body = received.json()
            identity = body.get("number", body.get("uuid")) if isinstance(body, dict) else None
            result.stats.created.append(identity if isinstance(identity, (int, str)) else "?")
        if out.case is not None:
            self._run_schemathesis_checks(out, response, received, result, shown)
        exchange = Exchange(out.label, out.intent, out.method, out.body, sent_at, received)
        checks: list[Callable[[Exchange], None]] = [
            functools.partial(_run_own, check, rules=self.rules, state=self.state)
            for check in OWN_CHECKS
        ]
        checks.extend(extra)
        for check in checks:
            result.stats.checks += 1
            try:
                check(exchange)
            except CheckFailed as failed:
                note = self._datetime_note(out)
                self._fail(
                    result,
                    out,
                    check=failed.check,
                    message=failed.message,
                    shown=shown,
                    received=received,
                    details="\n".join(x for x in (failed.details, note) if x),
                )

    def _run_schemathesis_checks(
        self,
        out: _Outgoing,
        response: Any,
        received: ReceivedResponse,
        result: PartResult,
        shown: SentRequest,
    ) -> None:
        from requests.structures import CaseInsensitiveDict
        from schemathesis.checks import CheckContext, run_checks
        from schemathesis.core.transport import Response

        _ = self.operation
        checks = self._schemathesis_checks()
        if out.case.meta is None:
            checks = [c for c in checks if c.__name__ not in _META_CHECKS]
        if received.status == 404 and self._undeclared(out.method):
            # The spec documents no 405, and NestJS/Express answer an unrouted method with
            # 404: both are conformant. A 405 must still carry `Allow` (RFC 9110).
            checks = [c for c in checks if c.__name__ != "unsupported_method"]
        ctx = CheckContext(
            override=None,
            auth=None,
            headers=CaseInsensitiveDict(out.headers),
            config=self._checks_config,
            transport_kwargs={"base_url": self.settings.base_url},
            response_checks=None,
        )
        failed: list[tuple[str, Any]] = []
        wrapped = _as_schemathesis_response(Response, response)
        run_checks(
            case=out.case,
            response=wrapped,
            ctx=ctx,
            checks=checks,
            on_failure=lambda name, collected, failure: failed.append((name, failure)),
        )
        result.stats.checks += len(checks)
        note = self._datetime_note(out)
        for name, failure in failed:
            message = str(getattr(failure, "title", "") or failure)
            text = str(getattr(failure, "message", "") or "")
            first = text.strip().splitlines()[0] if text.strip() else ""
            line = f"{message}: {first}" if first and first not in message else message
            self._fail(
                result,
                out,
                check=name,
                message=line,
                shown=shown,
                received=received,
                details="\n".join(x for x in (text, note) if x),
            )

    @property
    def _body_dir(self) -> Path | None:
        cache = self.settings.cache_dir
        return None if cache is None else cache / "bodies"

    def _undeclared(self, method: str) -> bool:
        return method.upper() not in self.settings.spec.methods_for(self.settings.path)

    def _datetime_note(self, out: _Outgoing) -> str:
        """Say so when a failing input's timestamp satisfies only one of the spec's two rules."""
        if not isinstance(out.body, dict):
            return ""
        for dt in self.rules.request_datetimes:
            value = get_path(out.body, dt.path)
            if isinstance(value, str):
                verdict = classify_datetime(value, dt.pattern)
                if verdict in ("pattern-only", "format-only"):
                    return (
                        f"note: {dt.dotted}={value!r} satisfies only the spec's "
                        f"{verdict.split('-')[0]}: the spec's `pattern` and `format: date-time` "
                        "disagree on it"
                    )
        return ""

    def _ignored_auth(self, out: _Outgoing, result: PartResult) -> None:
        """After an accepted request, the same request without / with a wrong key must fail.

        Against a capped (live) target the probes count against the budget and run once
        per run: a server that ignores auth would create an issue for each.
        """
        capped = self.settings.live_budget is not None
        if capped and self._auth_probed:
            return
        self._auth_probed = True
        for label, auth in (("without credentials", None), ("with an invalid key", INVALID_KEY)):
            headers = {k: v for k, v in out.headers.items() if k.lower() != "authorization"}
            if auth is not None:
                headers["Authorization"] = f"Bearer {auth}"
            probe = _Outgoing(
                f"{out.label} - resent {label}",
                "negative",
                out.method,
                out.url,
                headers,
                out.content,
                out.body,
                None,
            )
            sent_at = self.settings.clock()
            got = self._send(probe, result)
            if got is None:
                continue
            response, received = got

            def enforced(ex: Exchange, label: str = label) -> None:
                if ex.response.status not in (401, 403):
                    raise CheckFailed(
                        "ignored_auth",
                        f"the accepted request resent {label} got HTTP {ex.response.status}, "
                        "expected 401/403: the server does not enforce its bearer security",
                    )

            self._check(probe, response, received, result, sent_at, extra=(enforced,))

    # -- parts -----------------------------------------------------------

    def _outgoing(self, part: str) -> Iterator[_Outgoing]:
        schema = self.settings.spec.operation(
            self.settings.method, self.settings.path
        ).request_schema()
        if part == "edge-cases":
            for item in edge_inputs(schema or {}):
                yield self._from_edge(item, f"edge case: {item.label}")
        elif part == "malformed":
            for item in malformed_inputs(schema or {}):
                yield self._from_edge(item, f"malformed: {item.label}")
        else:
            raise ValueError(f"unknown part {part!r} (expected one of {', '.join(PARTS)})")

    def run(self, part: str) -> PartResult:
        """Run one part of the suite; failures are collected, never raised."""
        with _lean_gc():
            return self._run(part)

    def _run(self, part: str) -> PartResult:
        result = PartResult(part)
        if self._unreachable:  # found by an earlier part: nothing would connect
            result.unreachable = self._unreachable
            return result
        self._start_deadline()
        probed_auth = False
        expectation = _edge_expectation if part in ("edge-cases", "malformed") else None
        skipped_datetime = 0
        for out in self._outgoing_counted(part, result):
            if out is None:
                skipped_datetime += 1
                continue
            if self._out_of_time():
                result.stats.skipped["time budget reached"] += 1
                break
            sent_at = self.settings.clock()
            got = self._send(out, result)
            if got is None:
                if self._unreachable:
                    result.unreachable = self._unreachable
                    break
                continue
            response, received = got
            extra = [functools.partial(expectation, part=part)] if expectation else []
            self._check(out, response, received, result, sent_at, extra=extra)
            if (
                not probed_auth
                and out.intent == "positive"
                and received.status == self.rules.success_status
            ):
                probed_auth = True
                self._ignored_auth(out, result)
        if skipped_datetime:
            result.stats.skipped[
                "valid-looking timestamps the spec's pattern and format disagree on"
            ] += skipped_datetime
        self.stats.merge(result.stats.as_dict())
        return result

    def _outgoing_counted(self, part: str, result: PartResult) -> Iterator[_Outgoing | None]:
        # _from_case returns None for the cases dropped by the date-time rule.
        if part in _GENERATED_PARTS:
            yield from self._cases_with_drops(part)
        else:
            yield from self._outgoing(part)

    def _cases_with_drops(self, part: str) -> Iterator[_Outgoing | None]:
        source = self._generated(part)
        for i, case in enumerate(source):
            label = f"{part} #{i + 1}"
            if part == "coverage" and case.meta is not None:
                data = getattr(case.meta.phase, "data", None)
                text = getattr(data, "description", "")
                label = f"{label} ({case.meta.generation.mode.value}) {text}".rstrip()
            elif case.meta is not None:
                label = f"{label} ({case.meta.generation.mode.value})"
            yield self._from_case(case, label)


class _ConstantsPatch:
    """The one patch of Hypothesis's local constants, shared by nested and concurrent users."""

    lock = threading.Lock()
    users = 0
    original: Callable[[], Any] | None = None


@functools.cache
def _local_constants_isolated() -> bool:
    """Whether this Hypothesis lets the suite leave local modules' literals out (see below)."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:
        return False
    return (
        callable(getattr(providers, "_get_local_constants", None))
        and hasattr(getattr(providers, "CONSTANTS_CACHE", None), "cache")
        and callable(Constants)
    )


@contextlib.contextmanager
def _spec_only_constants() -> Iterator[None]:
    """Generate from the spec alone, not from the literals of the user's modules.

    Hypothesis mixes string and number literals it finds in "local" modules (anything
    outside site-packages: the user's tests and code, an editable install) into what it
    draws. For the contract suite that makes one seed generate different requests
    depending on which modules happen to be imported (a cassette recorded in one checkout
    would not replay in another, and the case cache could not be keyed), and filtering
    the literals against every draw's constraints took a fifth of generation. Hypothesis's
    own constants (boundary numbers, tricky strings) are kept. Private API: on a Hypothesis
    without it, generation goes on unchanged (and the case cache key says so). Nested and
    concurrent uses share one patch, removed when the last one ends.
    """
    if not _local_constants_isolated():
        yield
        return
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    empty = Constants()
    patch = _ConstantsPatch
    with patch.lock:
        if patch.users == 0:
            patch.original = providers._get_local_constants
            providers._get_local_constants = lambda: empty
        patch.users += 1
        # Cached per constraint (per thread): entries made with the user's literals must not
        # be reused, and ours must not outlive this block.
        providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        with patch.lock:
            patch.users -= 1
            if patch.users == 0 and patch.original is not None:
                providers._get_local_constants = patch.original
                patch.original = None
            providers.CONSTANTS_CACHE.cache.clear()


@contextlib.contextmanager
def _lean_gc() -> Iterator[None]:
    """Fewer, cheaper collections while a part runs; the caller's settings restored after.

    What exists before the part (pytest, plugins, the user's objects) is frozen, so the
    collections that do run scan only what the part allocates.
    """
    threshold = gc.get_threshold()
    with _frozen():
        gc.set_threshold(_GC_THRESHOLD, *threshold[1:])
        try:
            yield
        finally:
            gc.set_threshold(*threshold)


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """Existing objects moved out of the collector's sight, unless someone froze some already
    (unfreezing would then undo their freeze too)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _can_fork() -> bool:
    # Forking a process with other threads can deadlock the child (and warns from 3.12);
    # macOS and Windows have no safe fork; on one CPU a worker only adds work.
    return (
        sys.platform == "linux"
        and threading.active_count() == 1
        and len(os.sched_getaffinity(0)) > 1
    )


def _cases_json(cases: list[Any]) -> bytes:
    """*cases* as the JSON :meth:`ContractRunner._from_json` reads (the case cache, and what a
    worker sends back): data only, so loading it can never run code."""
    from schemathesis.core import NotSet

    def body(value: Any) -> dict[str, Any]:
        if isinstance(value, NotSet):
            return {"absent": True}
        if isinstance(value, bytes):
            return {"base64": base64.b64encode(value).decode("ascii")}
        return {"json": value}

    rows = [
        {
            "method": case.method,
            "path_parameters": case.path_parameters,
            "headers": dict(case.headers),
            "cookies": case.cookies,
            "query": case.query,
            "body": body(case.body),
            "media_type": case.media_type,
            "meta": None if case.meta is None else case.meta.to_dict(),
        }
        for case in cases
    ]
    # A value JSON cannot hold (a tuple would come back a list) makes no cache: TypeError.
    return json.dumps({"format": _CACHE_FORMAT, "cases": rows}, default=_json_only).encode()


def _json_only(value: Any) -> Any:
    if isinstance(value, Mapping):  # requests' CaseInsensitiveDict in the metadata
        return dict(value)
    raise TypeError(f"not JSON data: {type(value).__name__}")


def _read_bounded(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or ``None`` when it is missing, unreadable or larger than *limit*."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def _as_schemathesis_response(cls: Any, response: httpx.Response) -> Any:
    """schemathesis's ``Response`` for an httpx one (its own converter needs ``elapsed``,
    which a response from an in-process transport does not have)."""
    import requests
    from requests.structures import CaseInsensitiveDict

    # Filled in directly: `Request.prepare()` re-parses and re-encodes what httpx already
    # built, and cost more than all of our own checks together.
    request = requests.PreparedRequest()
    request.method = response.request.method
    request.url = str(response.request.url)
    request.headers = CaseInsensitiveDict(response.request.headers.items())
    request.body = response.request.content
    headers: dict[str, list[str]] = {}
    for key, value in response.headers.multi_items():
        headers.setdefault(key, []).append(value)
    return cls(
        status_code=response.status_code,
        headers=headers,
        content=response.content,
        request=request,
        elapsed=0.0,
        message=response.reason_phrase,
        encoding=response.encoding,
        http_version=response.http_version,
        verify=True,
    )


def _run_own(
    check: Callable[[Exchange, ContractRules, RunState], None],
    ex: Exchange,
    *,
    rules: ContractRules,
    state: RunState,
) -> None:
    check(ex, rules, state)


def _edge_expectation(ex: Exchange, part: str) -> None:
    status = ex.response.status
    name = "malformed_input" if part == "malformed" else "edge_cases"
    if ex.intent == "positive" and not 200 <= status < 300:
        raise CheckFailed(name, f"{ex.case}: a valid request was refused with HTTP {status}")
    if ex.intent == "negative" and not 400 <= status < 500:
        raise CheckFailed(name, f"{ex.case}: an invalid request got HTTP {status}, expected a 4xx")
    if ex.intent == "unknown" and status >= 500:
        raise CheckFailed(name, f"{ex.case}: HTTP {status} (a server error) for a client's input")


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "QUERY"})
"""RFC 9110's safe methods (and QUERY's draft): requests that change nothing on the server."""


def _can_create(method: str) -> bool:
    return method.upper() not in _SAFE_METHODS


def _tagged(body: dict[str, Any], tag: str) -> dict[str, Any]:
    """*body* with *tag* appended to ``context.tags``, so created issues are recognisable.

    The tag goes only where it changes nothing the request tests: ``context`` and
    ``context.tags`` are added when absent and extended when an object and a list, and left
    as they are otherwise (a ``null`` or a string there is what an invalid input tests).
    """
    out = copy.deepcopy(body)
    context = out.setdefault("context", {})
    if isinstance(context, dict):
        tags = context.setdefault("tags", [])
        if isinstance(tags, list) and tag not in tags:
            tags.append(tag)
    return out


_BOM = b"\xef\xbb\xbf"


def _tagged_raw(raw: bytes, tag: str) -> bytes:
    """A malformed input's bytes with *tag* in it, when they hold a JSON object that a lax
    server could take (a wrong or missing Content-Type, a BOM, a ``NaN``); as they are
    otherwise. What made them malformed is kept: the BOM, the ``NaN``, invalid UTF-8 (read
    and written back byte for byte as Latin-1)."""
    prefix = _BOM if raw.startswith(_BOM) else b""
    try:
        value = json.loads(raw[len(prefix) :].decode("latin-1"))
    except (ValueError, RecursionError):  # not JSON: nothing could take it as an issue
        return raw
    if not isinstance(value, dict):
        return raw
    return prefix + json.dumps(_tagged(value, tag), ensure_ascii=False).encode("latin-1")
