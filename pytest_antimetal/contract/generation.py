"""Case generation: the schemathesis adapter and the case cache.

:class:`CaseGenerator` is the one place that talks to schemathesis about *what to send*:
it loads the operation once, and gives the cases of its examples, coverage and fuzzing
phases. The examples and coverage phases are a pure function of the spec and the versions, so
their cases are kept between runs: :meth:`CaseGenerator.cached` stores them as JSON data (never
anything executable) under the pytest cache, and reads back only what parses and has
the right shape. The hand-written inputs live in :mod:`.edge_cases`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pytest_antimetal.spec import Spec

__all__ = ["CaseGenerator", "cases_json", "part_seed", "read_bounded"]

CACHE_FORMAT = 4  # 4: examples and coverage only; 3: JSON (was a pickle)
CACHE_MAX_BYTES = 64 * 1024 * 1024
"""A cache file above this is not read (the default budget's parts take well under 1 MB)."""


def part_seed(seed: int, name: str) -> int:
    """The seed of one part's stream: replaying one part alone sends the same requests."""
    return zlib.crc32(f"{seed}:{name}".encode())


class CaseGenerator:
    """schemathesis cases for one operation of *spec*; plain Python, no pytest."""

    def __init__(
        self,
        spec: Spec,
        method: str,
        path: str,
        *,
        cache_dir: Path | None = None,
        out_of_time: Callable[[], bool] = lambda: False,
    ) -> None:
        self.spec = spec
        self.method = method
        self.path = path
        self.cache_dir = cache_dir
        self.out_of_time = out_of_time
        self._schema: Any = None
        self._operation: Any = None
        self._checks_config: Any = None

    # -- the schemathesis operation ------------------------------------------

    @property
    def operation(self) -> Any:
        """schemathesis's ``APIOperation`` (loaded on first use)."""
        if self._operation is None:
            import schemathesis

            config = schemathesis.Config.from_dict(
                # Credentials are ours to send; generating broken ones hides body bugs.
                {"generation": {"with-security-parameters": False}}
            )
            document = copy.deepcopy(self.spec.document)  # from_dict mutates it
            self._schema = schemathesis.openapi.from_dict(document, config=config)
            self._operation = self._schema[self.path][self.method.upper()]
            self._checks_config = self._schema.config.checks_config_for(
                operation=self._operation, phase=None
            )
        return self._operation

    @property
    def checks_config(self) -> Any:
        """The operation's schemathesis checks configuration."""
        _ = self.operation
        return self._checks_config

    def case(self, **kwargs: Any) -> Any:
        """A schemathesis ``Case`` of the operation (for inputs written by hand)."""
        return self.operation.Case(**kwargs)

    # -- the phases ------------------------------------------------------------

    def examples(self) -> list[Any]:
        """The spec's examples (missing fields filled in); the same for every seed."""
        from schemathesis.generation.hypothesis.builder import generate_example_cases

        return list(
            generate_example_cases(
                test=lambda case: None, operation=self.operation, fill_missing=True
            )
        )

    def coverage(self) -> list[Any]:
        """schemathesis's coverage phase, positive and negative; the same for every seed."""
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
        return list(generator)

    def fuzz(self, positive: bool, seed: int, max_examples: int) -> list[Any]:
        """Up to *max_examples* cases Hypothesis draws from the operation with *seed*.

        Hypothesis also draws literals from the "local" (non-site-packages, non-test)
        modules imported at the time; see the README, 'Determinism'.
        """
        import hypothesis
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from schemathesis.generation import GenerationMode

        mode = GenerationMode.POSITIVE if positive else GenerationMode.NEGATIVE
        strategy = self.operation.as_strategy(generation_mode=mode)
        cases: list[Any] = []

        @hypothesis.seed(seed)
        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @given(case=strategy)
        def collect(case: Any) -> None:
            if not self.out_of_time():
                cases.append(case)

        collect()
        return cases

    # -- the cache -------------------------------------------------------------

    def cached(self, name: str, produce: Callable[[], list[Any]], **key: Any) -> list[Any]:
        """*produce*'s cases, kept under *name* and *key* (plus the spec and the versions).

        Only for what is a pure function of that key; a corrupt or stale file is ignored
        and replaced.
        """
        path = self._cache_path(name, key)
        if path is not None:
            data = read_bounded(path, CACHE_MAX_BYTES)
            cases = None if data is None else self.from_json(data)
            if cases is not None:
                return cases
        cases = produce()
        if path is not None and not self.out_of_time():
            try:
                encoded = cases_json(cases)
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                partial.write_bytes(encoded)
                os.replace(partial, path)
            except (OSError, TypeError, ValueError):  # a cache that cannot be written is no cache
                pass
        return cases

    def _cache_path(self, name: str, extra: Mapping[str, Any]) -> Path | None:
        if self.cache_dir is None:
            return None
        import hypothesis
        import schemathesis

        key = {
            "format": CACHE_FORMAT,
            "spec": self.spec.document,
            "versions": [schemathesis.__version__, hypothesis.__version__],
            "operation": [self.method, self.path],
            "part": name,
            **extra,
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode())
        return self.cache_dir / f"{name}-{digest.hexdigest()[:32]}.json"

    def from_json(self, data: bytes) -> list[Any] | None:
        """The cases in *data* (from :func:`cases_json`); ``None`` for anything else.

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
        if not isinstance(document, dict) or document.get("format") != CACHE_FORMAT:
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
                    self.case(
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
        except Exception:  # any field of the wrong shape (or a bad base64): not our cache
            return None
        return cases


def cases_json(cases: list[Any]) -> bytes:
    """*cases* as the JSON :meth:`CaseGenerator.from_json` reads: data only, so loading it can
    never run code."""
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
    return json.dumps({"format": CACHE_FORMAT, "cases": rows}, default=_json_only).encode()


def _json_only(value: Any) -> Any:
    if isinstance(value, Mapping):  # requests' CaseInsensitiveDict in the metadata
        return dict(value)
    raise TypeError(f"not JSON data: {type(value).__name__}")


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or ``None`` when it is missing, unreadable or larger than *limit*."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None
