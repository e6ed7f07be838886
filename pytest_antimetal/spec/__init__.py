"""The one layer that knows what the OpenAPI document says.

=====================  ==========================================================
module                 owns
=====================  ==========================================================
:mod:`.loading`        :class:`Spec` / :class:`Operation`, :func:`load_spec`
:mod:`.parsing`        bounded reading (size, depth, aliases): :class:`SpecError`
:mod:`.refs`           ``$ref`` resolution and the checks :func:`load_spec` runs
:mod:`.facts`          readings of the document's prose ("defaults to X")
:mod:`.formats`        date-time and ``pattern`` semantics: RFC 3339, the
                       spec's ``pattern``, instants in wire form
:mod:`.minimal`        the smallest valid value for a schema
:mod:`.nodes`          a schema node's type and length bounds, read alike by every builder
:mod:`.validation`     request/response bodies against a schema (OAS 3.0 -> draft 4)
:mod:`.lint`           where a document contradicts itself
=====================  ==========================================================

Importing this package loads :mod:`.loading`, :mod:`.parsing` and :mod:`.refs`
only (standard library: YAML and JSON Schema are imported where a document is
parsed or a body validated), so the plugin stays cheap when unused.
"""

from __future__ import annotations

# Every name of .loading, listed once (there).
from pytest_antimetal.spec import loading as _loading
from pytest_antimetal.spec.loading import *  # noqa: F403

__all__ = list(_loading.__all__)
