"""The redaction helper every output channel shares (errors and cassettes)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from pytest_antimetal.secrets import DEFAULT_PLACEHOLDER, redact, secret_variants

KEY = "amk-canary/XXXX+0123456789"  # '/' and '+' so that the encodings differ from the raw key


def test_variants_cover_url_json_and_html_spellings() -> None:
    forms = secret_variants(KEY)
    assert forms[0] == KEY
    assert quote(KEY, safe="") in forms  # amk-canary%2FXXXX%2B0123456789
    assert "amk-canary%2fXXXX%2b0123456789" in forms  # lower-case hex from some proxies
    assert "amk-canary\\/XXXX+0123456789" in forms  # JSON with escaped slashes
    assert len(forms) == len(set(forms))


def test_non_ascii_secret_has_both_json_spellings() -> None:
    forms = secret_variants("clé-123")
    assert "cl\\u00e9-123" in forms and "clé-123" in forms
    assert "cl%C3%A9-123" in forms


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_secret_masks_nothing(blank: str) -> None:
    assert secret_variants(blank) == []
    assert redact("some text", [blank]) == "some text"


@pytest.mark.parametrize(
    "spelled",  # raw, URL-encoded, lower-case hex, JSON with \\/
    [
        KEY,
        quote(KEY, safe=""),
        "amk-canary%2fXXXX%2b0123456789",
        json.dumps(KEY).replace("/", "\\/")[1:-1],
    ],
)
def test_every_spelling_is_redacted_in_str_and_bytes(spelled: str) -> None:
    text = f"unknown key {spelled}; retry"
    assert redact(text, [KEY]) == f"unknown key {DEFAULT_PLACEHOLDER}; retry"
    assert redact(text.encode(), [KEY]) == f"unknown key {DEFAULT_PLACEHOLDER}; retry".encode()


def test_longer_secret_containing_another_is_replaced_whole() -> None:
    short, long = "abc123456789", "abc123456789-extended"
    assert redact(f"{long} {short}", [short, long], "<K>") == "<K> <K>"


def test_placeholder_is_never_rewritten() -> None:
    # One pass: a secret that occurs inside the placeholder does not mangle it.
    assert (
        redact("key=ANTIMETAL", ["ANTIMETAL"], "<ANTIMETAL_API_KEY>") == "key=<ANTIMETAL_API_KEY>"
    )


def test_text_without_secrets_is_unchanged() -> None:
    assert redact("nothing to see", []) == "nothing to see"
    assert redact("nothing to see", ["other-secret-1234"]) == "nothing to see"


def test_cassettes_mask_with_the_same_helper() -> None:
    import vcr.request

    from pytest_antimetal.cassettes import scrub

    # The scrubber and the matcher mask with redact(), every spelling included.
    uri = f"https://x.test/issues?token={quote(KEY, safe='')}"
    request = vcr.request.Request("GET", uri, None, {})
    masked = scrub.Scrubber({}).scrub_request(request, [KEY]).uri
    assert masked == f"https://x.test/issues?token={scrub.PLACEHOLDER}"
    assert masked == redact(uri, [KEY], scrub.PLACEHOLDER)


def test_path_style_url_encoding_is_redacted() -> None:
    from urllib.parse import quote

    from pytest_antimetal.redact import redact

    key = "amk-canary/KEY+123=="
    lower_hex = quote(key).replace("%2B", "%2b").replace("%3D", "%3d")
    text = f"echo {quote(key)} and {lower_hex}"
    assert redact(text, [key]) == "echo [REDACTED] and [REDACTED]"
