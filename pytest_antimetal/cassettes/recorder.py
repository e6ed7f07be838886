"""Wiring: our defaults, matcher, guard and bounded serializers on a ``vcr.VCR``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pytest_antimetal.cassettes.guard import GuardedPersister, SecretHit
from pytest_antimetal.cassettes.matcher import MATCHER_NAME, AntimetalMatcher, IndexOnLoad
from pytest_antimetal.cassettes.scrub import Scrubber

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = ["default_vcr_config", "install"]


def default_vcr_config(
    scrubber: Scrubber | None = None, matcher: AntimetalMatcher | None = None
) -> dict[str, Any]:
    """The ``vcr_config`` keys pytest-antimetal installs (never ``record_mode``).

    A user's ``vcr_config`` may extend them (e.g. add ``filter_headers``) or
    override any of them; :class:`GuardedPersister` still refuses to save a key.
    """
    config: dict[str, Any] = {
        "decode_compressed_response": True,
        "match_on": (MATCHER_NAME,),
        "before_save_interaction": [scrubber or Scrubber()],
    }
    if matcher is not None:
        config["after_load_interaction"] = [IndexOnLoad(matcher)]
    return config


def install(
    vcr: Any,
    *,
    spec: Spec | None = None,
    base_urls: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    on_refusal: Callable[[str, list[SecretHit]], None] | None = None,
) -> Any:
    """Install the defaults, the matcher and the guard on a ``vcr.VCR`` instance.

    Instance attributes are defaults: keyword arguments of ``use_cassette``
    (pytest-recording passes the merged ``vcr_config``) override them.
    """
    scrubber = Scrubber(environ)
    matcher = AntimetalMatcher.from_spec(spec, base_urls, secrets=scrubber.env_secrets)
    vcr.register_matcher(MATCHER_NAME, matcher)
    for name, value in default_vcr_config(scrubber, matcher).items():
        setattr(vcr, name, value)
    if not isinstance(vcr.persister, GuardedPersister):
        vcr.register_persister(
            GuardedPersister(vcr.persister, secrets=scrubber.env_secrets, on_refusal=on_refusal)
        )
    # Cassettes are read as untrusted documents: safe tags, bounded size and alias expansion.
    from pytest_antimetal.cassettes.format import BoundedSerializer

    for name, json_format in (("yaml", False), ("json", True)):
        inner = vcr.serializers.get(name)
        if inner is not None and not isinstance(inner, BoundedSerializer):
            vcr.register_serializer(name, BoundedSerializer(inner, json_format=json_format))
    return vcr
