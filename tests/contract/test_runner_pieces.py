"""The runner's pieces on their own, without a runner or a server: the live-target rules and
clean-up, the auth probes, failure recording; and the names the runner still exports."""

from __future__ import annotations

import json

import pytest

from pytest_antimetal.contract import runner
from pytest_antimetal.contract.auth_probe import INVALID_KEY, auth_probes
from pytest_antimetal.contract.checks import CheckFailed, Exchange
from pytest_antimetal.contract.failure_recorder import FailureRecorder
from pytest_antimetal.contract.live_safety import NOT_OURS, READ_ONLY, LiveSafety
from pytest_antimetal.contract.part_result import PartResult
from pytest_antimetal.contract.report import ReceivedResponse
from pytest_antimetal.contract.sending import Outgoing
from pytest_antimetal.contract.settings import ContractSettings
from pytest_antimetal.spec import vendored_spec
from pytest_antimetal.spec.formats import now_utc

KEY = "amk-runner-pieces-key-0123456789"
BASE = "http://api.example"


def _out(method: str, url: str, *, headers: dict[str, str] | None = None) -> Outgoing:
    return Outgoing("a request", "positive", method, url, headers or {}, b"{}", {}, None)


def _answer(status: int, body: object) -> ReceivedResponse:
    return ReceivedResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


def test_the_runner_still_exports_what_it_did_before_the_split() -> None:
    # Tests, the reports and users' scripts import these from contract.runner.
    from pytest_antimetal.contract import auth_probe, live_safety, operation_pieces, settings

    assert runner.ContractSettings is settings.ContractSettings
    assert runner.DEFAULT_MAX_EXAMPLES == settings.DEFAULT_MAX_EXAMPLES == 50
    assert runner.PartResult is PartResult
    assert runner.OperationPieces is operation_pieces.OperationPieces
    assert runner.INVALID_KEY == auth_probe.INVALID_KEY
    assert (runner.NOT_OURS, runner.READ_ONLY) == (live_safety.NOT_OURS, live_safety.READ_ONLY)
    for name in runner.__all__:
        assert hasattr(runner, name), name


def test_a_live_target_changes_only_what_this_run_created() -> None:
    live = LiveSafety(capped=True, read_only=False)
    patch = _out("PATCH", f"{BASE}/issues/abc-1")
    assert live.refusal(patch) == NOT_OURS
    assert live.refusal(_out("POST", f"{BASE}/issues")) is None  # the budget decides
    assert live.refusal(_out("GET", f"{BASE}/issues/abc-1")) is None

    live.note_answer(_out("POST", f"{BASE}/issues?x=1"), _answer(201, {"uuid": "abc-1"}))
    assert live.created == {"abc-1": f"{BASE}/issues"}
    assert live.refusal(patch) is None
    assert live.refusal(_out("DELETE", f"{BASE}/issues/abc-2")) == NOT_OURS


@pytest.mark.parametrize(
    ("method", "status", "body"),
    [
        ("POST", 200, {"uuid": "existing"}),  # may be something that existed: never ours
        ("PUT", 201, {"uuid": "put-1"}),
        ("POST", 201, {"uuid": "a/b"}),  # not one path segment
        ("POST", 201, {"uuid": 7}),
        ("POST", 201, ["not", "an", "object"]),
    ],
)
def test_only_a_201_to_a_post_naming_a_plain_id_counts_as_created(
    method: str, status: int, body: object
) -> None:
    live = LiveSafety(capped=True, read_only=False)
    live.note_answer(_out(method, f"{BASE}/issues"), _answer(status, body))
    assert live.created == {}


def test_anything_goes_to_an_uncapped_target_and_read_only_holds_back_every_change() -> None:
    assert LiveSafety(capped=False, read_only=False).refusal(_out("DELETE", f"{BASE}/x/1")) is None
    read_only = LiveSafety(capped=False, read_only=True)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert read_only.refusal(_out(method, f"{BASE}/issues")) == READ_ONLY
    assert read_only.refusal(_out("GET", f"{BASE}/issues")) is None


def test_the_clean_up_deletes_what_was_created_and_survives_a_bad_answer() -> None:
    live = LiveSafety(capped=True, read_only=False)
    for ident in ("gone", "raises", "refused", "deleted"):
        live.note_answer(_out("POST", f"{BASE}/issues"), _answer(201, {"uuid": ident}))
    live.note_answer(_out("POST", f"{BASE}/query"), _answer(201, {"id": "no-delete-op"}))
    sent: list[tuple[str, str, dict[str, str]]] = []

    def send(out: Outgoing) -> ReceivedResponse | None:
        sent.append((out.method, out.url, out.headers))
        ident = out.url.rpartition("/")[2]
        if ident == "raises":
            raise RuntimeError("a bad answer")
        return {"gone": _answer(404, {}), "refused": _answer(403, {})}.get(ident, _answer(204, {}))

    headers = {"Authorization": "Bearer x"}
    deleted, failed = live.clean_up(vendored_spec(), BASE, headers, send)
    assert deleted == ["gone", "deleted"]
    assert failed == ["raises", "refused"]
    assert [url for _, url, _ in sent] == [
        f"{BASE}/issues/{i}" for i in ("gone", "raises", "refused", "deleted")
    ]  # /query declares no DELETE: nothing is sent for it
    assert {(m, h is headers) for m, _, h in sent} == {("DELETE", True)}
    assert live.created == {
        "raises": f"{BASE}/issues",
        "refused": f"{BASE}/issues",
        "no-delete-op": f"{BASE}/query",
    }


def test_the_auth_probes_drop_then_spoil_the_credential_and_expect_401() -> None:
    out = _out("GET", f"{BASE}/issues", headers={"authorization": f"Bearer {KEY}", "X-A": "1"})
    probes = list(auth_probes(out))
    assert [p.headers for p, _ in probes] == [
        {"X-A": "1"},
        {"X-A": "1", "Authorization": f"Bearer {INVALID_KEY}"},
    ]
    assert all(p.intent == "negative" and p.case is None for p, _ in probes)
    for probe, expectation in probes:
        exchange = Exchange(probe.label, "negative", "GET", None, now_utc(), _answer(401, {}))
        expectation(exchange)  # 401: holds
        wrong = Exchange(probe.label, "negative", "GET", None, now_utc(), _answer(404, {}))
        with pytest.raises(CheckFailed, match=r"resent .* got HTTP 404, expected 401"):
            expectation(wrong)
    _, first_valid = next(iter(auth_probes(out, accepted=False)))
    with pytest.raises(CheckFailed, match=r"^a valid request resent without credentials"):
        first_valid(Exchange("x", "negative", "GET", None, now_utc(), _answer(200, {})))


def test_a_recorded_failure_hides_the_key_and_the_part_keeps_the_first_few() -> None:
    settings = ContractSettings(
        spec=vendored_spec(),
        base_url=BASE,
        api_key=KEY,
        max_failures_per_check=2,
        replay=lambda item: f"replay {item}",
    )
    recorder = FailureRecorder(settings)
    result = PartResult("edge-cases", operation="createIssue")
    out = _out("POST", f"{BASE}/issues?k={KEY}", headers={"Authorization": f"Bearer {KEY}"})
    shown = recorder.shown(out, dict(out.headers))
    assert KEY not in repr(shown)
    for n in range(3):
        recorder.fail(result, out, check="c", message=f"m{n}", shown=shown, received=None)
    assert result.stats.failures["c"] == 3
    assert [f.message for f in result.failures] == ["m0", "m1"]
    assert result.failures[0].replay == "replay createIssue::edge-cases"
    assert recorder.secrets == (KEY,)

    public = FailureRecorder(
        ContractSettings(spec=vendored_spec(), base_url=BASE, api_key=KEY, key_is_public=True)
    )
    assert public.secrets == ()
    assert f"Bearer {KEY}" in public.public and f"Bearer {INVALID_KEY}" in public.public


def test_an_outgoing_request_shows_no_headers_in_its_repr() -> None:
    # A `-l` traceback through the runner shows an Outgoing as a local: its headers hold the
    # credential as sent.
    from pytest_antimetal.contract.sending import Outgoing

    out = Outgoing(
        "x", "positive", "GET", "http://h/issues", {"Authorization": "Bearer s3"}, b"", None
    )
    assert "s3" not in repr(out) and "Authorization" not in repr(out)
    assert out.headers["Authorization"] == "Bearer s3"
