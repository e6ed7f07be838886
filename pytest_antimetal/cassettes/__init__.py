"""Safe, spec-aware VCR.py cassettes for Antimetal traffic.

One module a piece, plain logic usable without pytest:

* :mod:`~pytest_antimetal.cassettes.scrub` - :class:`Scrubber`, the
  ``before_save_interaction`` hook that replaces the key everywhere;
* :mod:`~pytest_antimetal.cassettes.guard` - :class:`GuardedPersister`: a cassette
  holding a secret is never written (fail closed);
* :mod:`~pytest_antimetal.cassettes.matcher` - :class:`AntimetalMatcher`: method,
  API-relative path, query, JSON body and ``Accept: text/event-stream``, so a cassette
  replays against any host;
* :mod:`~pytest_antimetal.cassettes.recorder` - :func:`install`, the three on a ``vcr.VCR``;
* :mod:`~pytest_antimetal.cassettes.check` - :func:`check_cassettes` against the spec,
  with :mod:`~pytest_antimetal.cassettes.files` (which files are cassettes),
  :mod:`~pytest_antimetal.cassettes.routes` (a recorded path to its operation),
  :mod:`~pytest_antimetal.cassettes.stream_schema` (the schema of a streamed event) and
  :mod:`~pytest_antimetal.cassettes.validators` (the spec's schemas, compiled once);
* :mod:`~pytest_antimetal.cassettes.format` - bounded, tag-safe reading of cassette files;
* :mod:`~pytest_antimetal.cassettes.sse` - a recorded ``text/event-stream`` body read as its events;
* :mod:`~pytest_antimetal.cassettes.wire` - header and body access shared by the above;
* :mod:`~pytest_antimetal.cassettes.plugin` (pytest) and
  :mod:`~pytest_antimetal.cassettes.cli` (``antimetal-contract cassettes``).

Names are imported lazily: the pytest plugin loads this package on every run,
and vcr, yaml and jsonschema load only when a cassette is used or checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_antimetal._lazy import lazy_exports

if TYPE_CHECKING:
    from pytest_antimetal.cassettes.check import Finding as Finding
    from pytest_antimetal.cassettes.check import check_cassettes as check_cassettes
    from pytest_antimetal.cassettes.files import CASSETTE_SUFFIXES as CASSETTE_SUFFIXES
    from pytest_antimetal.cassettes.files import find_cassettes as find_cassettes
    from pytest_antimetal.cassettes.guard import UNDECODABLE as UNDECODABLE
    from pytest_antimetal.cassettes.guard import CassetteSecretError as CassetteSecretError
    from pytest_antimetal.cassettes.guard import GuardedPersister as GuardedPersister
    from pytest_antimetal.cassettes.guard import SecretHit as SecretHit
    from pytest_antimetal.cassettes.guard import refusal_message as refusal_message
    from pytest_antimetal.cassettes.guard import scan_interaction as scan_interaction
    from pytest_antimetal.cassettes.matcher import MATCHER_NAME as MATCHER_NAME
    from pytest_antimetal.cassettes.matcher import AntimetalMatcher as AntimetalMatcher
    from pytest_antimetal.cassettes.matcher import IndexOnLoad as IndexOnLoad
    from pytest_antimetal.cassettes.recorder import default_vcr_config as default_vcr_config
    from pytest_antimetal.cassettes.recorder import install as install
    from pytest_antimetal.cassettes.scrub import AUTH_PLACEHOLDER as AUTH_PLACEHOLDER
    from pytest_antimetal.cassettes.scrub import PLACEHOLDER as PLACEHOLDER
    from pytest_antimetal.cassettes.scrub import Scrubber as Scrubber
    from pytest_antimetal.cassettes.wire import MAX_DECODED_BYTES as MAX_DECODED_BYTES

# public name -> module that defines it (relative to this package)
_EXPORTS: dict[str, str] = {
    "CASSETTE_SUFFIXES": ".files",
    "Finding": ".check",
    "check_cassettes": ".check",
    "find_cassettes": ".files",
    "UNDECODABLE": ".guard",
    "CassetteSecretError": ".guard",
    "GuardedPersister": ".guard",
    "SecretHit": ".guard",
    "refusal_message": ".guard",
    "scan_interaction": ".guard",
    "MATCHER_NAME": ".matcher",
    "AntimetalMatcher": ".matcher",
    "IndexOnLoad": ".matcher",
    "default_vcr_config": ".recorder",
    "install": ".recorder",
    "AUTH_PLACEHOLDER": ".scrub",
    "PLACEHOLDER": ".scrub",
    "Scrubber": ".scrub",
    "MAX_DECODED_BYTES": ".wire",
}

__all__ = [
    "AUTH_PLACEHOLDER",
    "CASSETTE_SUFFIXES",
    "MATCHER_NAME",
    "MAX_DECODED_BYTES",
    "PLACEHOLDER",
    "UNDECODABLE",
    "AntimetalMatcher",
    "CassetteSecretError",
    "Finding",
    "GuardedPersister",
    "IndexOnLoad",
    "Scrubber",
    "SecretHit",
    "check_cassettes",
    "default_vcr_config",
    "find_cassettes",
    "install",
    "refusal_message",
    "scan_interaction",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
