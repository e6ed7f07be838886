"""One redaction path: every output channel masks headers and parses ``Bearer`` the same way.

Client logs, the fake's recorded requests, contract reports and the cassette
scrubber all call :mod:`pytest_antimetal.secrets`; these tests pin that one rule
and check each channel follows it.
"""

from __future__ import annotations

import json

import pytest

from pytest_antimetal.secrets import (
    CREDENTIAL_HEADERS,
    REDACTED_BEARER,
    bearer_token,
    masked_credential,
    redacted_headers,
)

KEY = "sk-live-0123456789abcdefWXYZ"
SENT = {
    "Authorization": f"bearer {KEY}",
    "Proxy-Authorization": "Basic dXNlcjpwYXNzd29yZA==",
    "Cookie": "sid=s3cr3t-session; theme=dark",
    "X-Api-Key": "xk-0123456789",
    "X-Echo": f"echo {KEY}",
}
SHOWN = {
    "Authorization": REDACTED_BEARER,
    "Proxy-Authorization": "Basic [REDACTED]",
    "Cookie": "[REDACTED]",  # never "sid=s3cr3t-session; [REDACTED]"
    "X-Api-Key": "[REDACTED]",
    "X-Echo": "echo [REDACTED]",
}


@pytest.mark.parametrize(
    ("value", "lenient", "strict"),
    [
        (f"Bearer {KEY}", KEY, KEY),
        (f"BEARER {KEY}  ", KEY, KEY),
        (f"  bearer   {KEY}  ", KEY, None),  # the fake's wire form has no leading space
        (f"Bearer\t{KEY}", None, None),
        ("Bearer a b", "a b", None),  # redaction takes all of it; the fake refuses it
        ("Bearer tok;en", "tok;en", None),
        ("Basic dXNlcjpwYXNz", None, None),
        ("Bearer", None, None),
        ("", None, None),
    ],
)
def test_one_bearer_parser(value: str, lenient: str | None, strict: str | None) -> None:
    assert bearer_token(value) == lenient
    assert bearer_token(value, strict=True) == strict


def test_one_header_rule() -> None:
    assert redacted_headers(SENT, [KEY]) == SHOWN
    assert {name.lower() for name in SENT} - {"x-echo"} == CREDENTIAL_HEADERS
    # A made-up invalid key is shown as sent, so a reproduction sends it too.
    public = redacted_headers({"Authorization": "Bearer invalid"}, public=["Bearer invalid"])
    assert public == {"Authorization": "Bearer invalid"}
    # The first half of a malformed key holding a space is no "scheme".
    assert masked_credential("Authorization", "sk-12 3456") == "[REDACTED]"
    assert masked_credential("authorization", "Digest abc") == "Digest [REDACTED]"
    # A blank credential holds nothing: shown (and reproduced) as sent.
    assert masked_credential("Authorization", "") == ""
    assert masked_credential("Cookie", "a=b", "<X>") == "<X>"


def test_the_fake_records_requests_by_the_same_rule() -> None:
    from pytest_antimetal.fake import FakeAntimetal

    fake = FakeAntimetal(api_keys=[KEY])
    headers = {**SENT, "Authorization": f"Bearer {KEY}", "content-type": "application/json"}
    body = json.dumps({"title": "t", "description": "d", "environment": "prod"}).encode()
    assert fake.handle("POST", "/issues", headers, body).status == 201
    recorded = fake.requests[0].headers
    expected = {k.lower(): v for k, v in SHOWN.items() if k != "X-Echo"}
    assert {k: recorded[k] for k in expected} == expected


def test_contract_reports_show_headers_by_the_same_rule() -> None:
    from pytest_antimetal.contract.report import SentRequest, redact_headers

    assert redact_headers(SENT, [KEY]) == SHOWN
    shown = SentRequest.redacted("POST", "http://x.test/issues", SENT, b"", secrets=[KEY])
    assert shown.headers == SHOWN


def test_the_cassette_scrubber_masks_the_same_headers() -> None:
    import vcr.request

    from pytest_antimetal.cassettes.scrub import AUTH_PLACEHOLDER, PLACEHOLDER, Scrubber

    request = vcr.request.Request("POST", "https://x.test/issues", b"", dict(SENT))
    scrubbed = Scrubber({}).scrub_request(request, [KEY]).headers
    assert scrubbed == {
        "Authorization": AUTH_PLACEHOLDER,
        "Proxy-Authorization": f"Basic {PLACEHOLDER}",
        "Cookie": PLACEHOLDER,
        "X-Api-Key": PLACEHOLDER,
        "X-Echo": f"echo {PLACEHOLDER}",
    }


def test_the_client_logs_headers_by_the_same_rule(caplog: pytest.LogCaptureFixture) -> None:
    import httpx

    from pytest_antimetal import AntimetalClient

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"message": "no"})

    client = AntimetalClient(
        api_key=KEY,
        base_url="http://x.test",
        transport=httpx.MockTransport(handler),
        max_retries=0,
    )
    extra = {k: v for k, v in SENT.items() if k != "Authorization"}
    with (
        caplog.at_level("DEBUG", logger="pytest_antimetal"),
        client,
        pytest.raises(Exception),  # noqa: B017, PT011 - the log is the point
    ):
        client.issues.create(title="t", description="d", environment="prod", extra_headers=extra)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "s3cr3t" not in logged and "xk-0123456789" not in logged and KEY not in logged
    assert "'cookie': '[REDACTED]'" in logged and "'x-echo': 'echo [REDACTED]'" in logged
    assert f"'authorization': '{REDACTED_BEARER}'" in logged
