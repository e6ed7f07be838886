"""The ``sequences`` part: a Hypothesis state machine over the whole API, checked against a model.

Every response of a stateful API can be schema-valid while the sequence is wrong: a created
issue missing from the list, a page repeating an item, a status change answered but not kept,
a deleted issue still readable, a conversation that forgets its id. This part drives create /
list (paged) / retrieve / by-number / update / delete / results / artifacts / query in
sequences Hypothesis draws, keeps a model of what this run created, and checks after every
step that the server agrees with it (the invariants are listed in :data:`INVARIANTS`).

Why a :class:`hypothesis.stateful.RuleBasedStateMachine` rather than schemathesis's stateful
engine fed with OpenAPI links from an overlay we ship:

* schemathesis's engine checks each response against its schema and a few generic
  properties; the invariants here (read back equals created, exactly once across pages, a
  ``PATCH`` kept, a conversation kept, a stream that adds up) need a model of the server's
  state, which links cannot express;
* it sends with its own transport: our :class:`~.sending.Sender` (the live budget, the run
  tag, the redaction, cassettes, the created-issues log) would be bypassed;
* an overlay of links is a second document to keep in step with every refresh of the
  vendor's, which declares none.

Hypothesis still does what made schemathesis attractive: it draws the sequences, runs them
deterministically for a seed, and shrinks a failing one to the shortest that still fails,
which the report shows as numbered steps.

Safety: every request that can create or change (``POST``, ``PATCH``, ``DELETE``) is taken
from the live budget first; only issues created by this part in this run are ever updated or
deleted; against a capped (live) target nothing is shrunk (each replay would create again) and
what is left of the part's issues is deleted at the end.

Modules: :mod:`.model` (operations, invariants, steps, the model's issues, the failure),
:mod:`.driver` (sending a step's requests, judging status and schema), :mod:`.machine` (the
rules and what every step checks), :mod:`.run` (running it, recording a failure, the
clean-up). Hypothesis is imported only when the part runs.
"""

from __future__ import annotations

from pytest_antimetal.contract.sequences.driver import Driver
from pytest_antimetal.contract.sequences.model import (
    INVARIANTS,
    OPERATIONS,
    PART,
    STEPS,
    Issue,
    SequenceFailed,
    Step,
)
from pytest_antimetal.contract.sequences.run import run_sequences

__all__ = [
    "INVARIANTS",
    "OPERATIONS",
    "PART",
    "STEPS",
    "Driver",
    "Issue",
    "SequenceFailed",
    "Step",
    "run_sequences",
]
