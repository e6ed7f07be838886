"""The contract suite for ``POST /issues`` (``pytest --antimetal-contract``).

Nothing here is imported unless the suite is asked for; the heavy libraries
(schemathesis, hypothesis, httpx) are imported inside the modules that need them.
"""

from __future__ import annotations
