"""``antimetal-contract diff`` and ``pull``, end to end through the dispatcher."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_antimetal import cli
from pytest_antimetal.cli import main
from pytest_antimetal.spec import VENDORED_SPEC_PATH, parse_document
from tests.drift.test_rules import base_doc, create_props, post, schemas


@pytest.fixture(autouse=True)
def _subcommands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the lead registers them in cli.SUBCOMMANDS (no-op once registered).
    if "diff" not in cli.SUBCOMMANDS:
        monkeypatch.setitem(cli.SUBCOMMANDS, "diff", ("pytest_antimetal.drift.cli", "diff"))
    if "pull" not in cli.SUBCOMMANDS:
        monkeypatch.setitem(cli.SUBCOMMANDS, "pull", ("pytest_antimetal.drift.pull", "pull"))


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """OLD and NEW documents where NEW makes `severity` required (one breaking change)."""
    new = base_doc()
    schemas(new)["Create"]["required"].append("severity")
    post(new)["summary"] = "Open an issue"
    return _write(tmp_path / "old.json", base_doc()), _write(tmp_path / "new.json", new)


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes]] = {}  # noqa: RUF012 - set per server below

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def http_server() -> Iterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    """A loopback HTTP server: (base URL, routes dict to fill with path -> (status, body))."""
    routes: dict[str, tuple[int, bytes]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_diff_json_shape_and_exit_status(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"changes", "summary"}
    notes = out["summary"].pop("notes")
    assert out["summary"] == {
        "counts": {"breaking": 1, "warning": 0, "info": 1},
        "total": 2,
        "breaking": True,
    }
    assert notes == [
        "info.version is still '2026-03-17' although 1 breaking change landed: clients "
        "pinning '2026-03-17' (as Antimetal-Version) get the new behaviour"
    ]
    breaking = [c for c in out["changes"] if c["level"] == "breaking"]
    assert breaking == [
        {
            "id": "request-property-became-required",
            "level": "breaking",
            "operation": "POST /issues",
            "location": "/components/schemas/Create/properties/severity",
            "message": "request body property 'severity' became required",
        }
    ]
    for change in out["changes"]:
        assert set(change) == {"id", "level", "operation", "location", "message"}


def test_diff_exit_zero_without_breaking_and_fail_on(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = pair
    assert main(["diff", str(old), str(old)]) == 0
    assert "0 breaking, 0 warnings, 0 info" in capsys.readouterr().out
    relaxed = base_doc()
    create_props(relaxed)["title"]["maxLength"] = 1000
    relaxed_path = _write(old.parent / "relaxed.json", relaxed)
    assert main(["diff", str(old), str(relaxed_path)]) == 0
    assert main(["diff", str(old), str(relaxed_path), "--fail-on", "warning"]) == 0
    assert main(["diff", str(old), str(relaxed_path), "--fail-on", "info"]) == 1


def test_diff_text_report(pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair
    main(["diff", str(old), str(new)])
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("1 breaking, 0 warnings, 1 info")
    assert "BREAKING POST /issues: request body property 'severity' became required" in out
    assert "[request-property-became-required] at /components/schemas/Create" in out


def test_diff_markdown_and_github(
    pair: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair
    main(["diff", str(old), str(new), "--format", "markdown"])
    markdown = capsys.readouterr().out
    assert markdown.startswith("### Antimetal API spec drift: breaking changes")
    assert "#### Breaking (1)\n\n##### `POST /issues`\n" in markdown
    assert "`request-property-became-required`" in markdown
    main(["diff", str(old), str(new), "--format", "github"])
    lines = capsys.readouterr().out.splitlines()
    # NEW is a local file: annotations point at its lines (a one-line JSON file here).
    assert lines[0].startswith("::error file=")
    assert ",line=1,title=Spec drift%3A request-property-became-required::" in lines[0]
    assert "POST /issues: request body property 'severity' became required" in lines[0]
    assert "title=Spec drift%3A api-description-changed::" in lines[1]
    assert lines[1].startswith("::notice file=")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("openapi: [unclosed", "not valid JSON or YAML"),
        ("just: a mapping\n", "not an OpenAPI document"),
    ],
)
def test_diff_unreadable_document_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert main(["diff", str(VENDORED_SPEC_PATH), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("antimetal-contract diff: error: ")
    assert expected in lines[0]
    assert "Traceback" not in captured.err


def test_diff_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["diff", "a.yaml", "b.yaml", "--fail-on", "catastrophic"])
    assert excinfo.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_diff_reads_urls(
    http_server: tuple[str, dict[str, tuple[int, bytes]]],
    pair: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, routes = http_server
    old, new = pair
    routes["/old.json"] = (200, old.read_bytes())
    routes["/new.yaml"] = (200, yaml.safe_dump(json.loads(new.read_text())).encode())
    assert main(["diff", f"{base}/old.json", f"{base}/new.yaml", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["counts"]["breaking"] == 1
    assert main(["diff", f"{base}/old.json", f"{base}/missing.json"]) == 2
    assert "HTTP 404" in capsys.readouterr().err


def test_diff_unreachable_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) on loopback is closed on any sane test machine.
    assert main(["diff", str(VENDORED_SPEC_PATH), "http://127.0.0.1:9/openapi.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot fetch" in err


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("https://exa mple.com/x", "contains ' '"),
        ("http://127.0.0.1:abc/x", "Port could not be cast"),
        ("http://127.0.0.1:99999/x", "Port out of range"),
        ("http:///openapi.json", "no host"),
    ],
)
def test_diff_malformed_url_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], url: str, reason: str
) -> None:
    # Exit 1 would tell CI "breaking change found": a typo must be a usage error.
    assert main(["diff", str(VENDORED_SPEC_PATH), url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"antimetal-contract diff: error: {url}: not a valid URL (")
    assert reason in lines[0]
    assert "Traceback" not in captured.err


def test_is_url_ignores_the_scheme_case() -> None:
    from pytest_antimetal.drift.source import is_url

    assert is_url("HTTPS://bff.antimetal.com/openapi.json")
    assert is_url("Http://127.0.0.1:9/x")
    assert not is_url("spec/https-notes.yaml")


def test_diff_reads_an_upper_case_url(
    http_server: tuple[str, dict[str, tuple[int, bytes]]],
    pair: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, routes = http_server
    old, new = pair
    routes["/new.json"] = (200, new.read_bytes())
    upper = base.replace("http://", "HTTP://")
    assert main(["diff", str(old), f"{upper}/new.json", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["counts"]["breaking"] == 1


def test_fetch_turns_http_protocol_errors_into_one_line() -> None:
    # A server that closes mid-body raises http.client.IncompleteRead (no OSError).
    import socket

    from pytest_antimetal.drift.source import fetch_text
    from pytest_antimetal.spec import SpecError

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            with pytest.raises(SpecError, match=r"^http://127\.0\.0\.1:\d+/x: cannot fetch \("):
                fetch_text(f"http://127.0.0.1:{port}/x", timeout=5)
        finally:
            thread.join()


# -- pull -------------------------------------------------------------------


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """A spec/ directory holding a copy of the vendored document."""
    directory = tmp_path / "spec"
    directory.mkdir()
    (directory / "antimetal-openapi.yaml").write_bytes(VENDORED_SPEC_PATH.read_bytes())
    return directory


def _breaking_copy() -> dict[str, Any]:
    doc = parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))
    doc["components"]["schemas"]["CreateIssueDto"]["required"].append("severity")
    return doc


def test_pull_writes_yaml_and_prints_the_diff(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write(tmp_path / "published.json", _breaking_copy())
    assert main(["pull", "--source", str(source), "--spec-dir", str(spec_dir)]) == 0
    captured = capsys.readouterr()
    assert "request-property-became-required" in captured.out
    assert "antimetal-openapi.yaml" in captured.err
    written = (spec_dir / "antimetal-openapi.yaml").read_text(encoding="utf-8")
    assert not written.lstrip().startswith("{")  # YAML, not JSON
    assert "version: '2026-03-17'" in written  # stays a string when read back
    assert parse_document(written) == _breaking_copy()


def test_pull_keeps_a_yaml_source_byte_for_byte(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A comment and a new summary: an unchanged document is not rewritten at all.
    text = "# vendor comment\n" + VENDORED_SPEC_PATH.read_text(encoding="utf-8").replace(
        "summary: Create a new issue", "summary: Open an issue", 1
    )
    source = tmp_path / "published.yaml"
    source.write_text(text, encoding="utf-8")
    assert main(["pull", "--source", str(source), "--spec-dir", str(spec_dir)]) == 0
    assert (spec_dir / "antimetal-openapi.yaml").read_text(encoding="utf-8") == text
    assert "0 breaking" in capsys.readouterr().out


def test_pull_dry_run_and_fail_on_do_not_write(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (spec_dir / "antimetal-openapi.yaml").read_bytes()
    source = _write(tmp_path / "published.json", _breaking_copy())
    args = ["pull", "--source", str(source), "--spec-dir", str(spec_dir)]
    assert main([*args, "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().err
    assert main([*args, "--fail-on", "breaking"]) == 1
    assert "not written" in capsys.readouterr().err
    assert (spec_dir / "antimetal-openapi.yaml").read_bytes() == before


def test_pull_refuses_a_document_without_post_issues(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _breaking_copy()
    del doc["paths"]["/issues"]
    source = _write(tmp_path / "published.json", doc)
    assert main(["pull", "--source", str(source), "--spec-dir", str(spec_dir)]) == 2
    assert "has no POST /issues" in capsys.readouterr().err


def test_pull_from_url_into_an_empty_directory(
    http_server: tuple[str, dict[str, tuple[int, bytes]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, routes = http_server
    routes["/openapi.json"] = (200, json.dumps(_breaking_copy()).encode())
    target_dir = tmp_path / "fresh"
    assert main(["pull", "--source", f"{base}/openapi.json", "--spec-dir", str(target_dir)]) == 0
    assert "does not exist yet" in capsys.readouterr().err
    written = (target_dir / "antimetal-openapi.yaml").read_text(encoding="utf-8")
    assert parse_document(written) == _breaking_copy()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_pull_keeps_the_existing_file_mode(spec_dir: Path, tmp_path: Path) -> None:
    target = spec_dir / "antimetal-openapi.yaml"
    target.chmod(0o644)
    source = _write(tmp_path / "published.json", _breaking_copy())
    assert main(["pull", "--source", str(source), "--spec-dir", str(spec_dir)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert parse_document(target.read_text(encoding="utf-8")) == _breaking_copy()
    target.chmod(0o640)
    assert main(["pull", "--source", str(VENDORED_SPEC_PATH), "--spec-dir", str(spec_dir)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_pull_gives_a_new_file_the_umask_mode(tmp_path: Path) -> None:
    source = _write(tmp_path / "published.json", _breaking_copy())
    old_umask = os.umask(0o027)
    try:
        assert main(["pull", "--source", str(source), "--spec-dir", str(tmp_path / "new")]) == 0
    finally:
        os.umask(old_umask)
    written = tmp_path / "new" / "antimetal-openapi.yaml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o640
    assert not [p for p in written.parent.iterdir() if p.name.endswith(".tmp")]
