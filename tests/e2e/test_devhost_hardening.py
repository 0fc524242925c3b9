"""What an attacker sends at the HTTP edge: forged log lines, oversized request lines and headers.

Issue 17, points 3 and 9. Runs the product app in devhost and talks to it over a raw socket where
an HTTP client library would refuse to send the request.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for

pytestmark = pytest.mark.e2e

FORGED = "FORGED-LOG-LINE level=ERROR user=admin"


def _raw(dh: DevhostProcess, request: bytes) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(dh.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, body


def test_control_characters_in_a_path_cannot_forge_log_lines(start_devhost: StartDevhost) -> None:
    dh = start_devhost()
    api = ApiClient(dh.url)
    forged = api.get(f"/api/products/abc%0a{FORGED.replace(' ', '%20')}")
    nul = api.get("/api/products/abc%00def")
    assert forged.status in (400, 404) and nul.status in (400, 404), (forged, nul)
    # devhost's log lines are written by a writer thread (devhost/logwriter.py): both requests'
    # lines are awaited, not only the first one's.
    wait_for(
        lambda: "abc\\x0aFORGED" in dh.log() and "abc\\x00def" in dh.log(),
        timeout=10,
        message="both escaped request lines in the log",
    )
    log = dh.log()
    assert not any(line.startswith("FORGED-LOG-LINE") for line in log.splitlines()), dh.log_tail()
    assert "\x00" not in log


def test_an_over_long_request_line_gets_414_problem_json_and_no_traceback(
    start_devhost: StartDevhost,
) -> None:
    dh = start_devhost(app="tests.e2e.apps.foundation_app:app")
    secret = "S3CR3T" * 2000  # 12 KB: over the 8 KB request-line limit
    status, headers, body = _raw(dh, f"GET /api/health?x={secret} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status == 414
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["status"] == 414 and problem["code"] == "uri_too_long"
    _assert_logged_quietly(dh)


def test_an_over_long_header_gets_431_problem_json_and_no_traceback(start_devhost: StartDevhost) -> None:
    dh = start_devhost(app="tests.e2e.apps.foundation_app:app")
    secret = "S3CR3T" * 2000
    status, headers, body = _raw(
        dh, f"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: {secret}\r\n\r\n".encode()
    )
    assert status == 431
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "headers_too_large"

    many = "".join(f"X-H{i}: v\r\n" for i in range(200))
    status, _, body = _raw(dh, f"GET /api/health HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())
    assert status == 431 and json.loads(body)["code"] == "headers_too_large"
    _assert_logged_quietly(dh)
    # The server is still healthy after refusing them.
    assert ApiClient(dh.url).get("/api/health").status == 200


def _assert_logged_quietly(dh: DevhostProcess) -> None:
    wait_for(lambda: "refused a malformed request" in dh.log(), timeout=10, message="the refusal log line")
    log = dh.log()
    assert "Traceback" not in log, dh.log_tail()
    assert "S3CR3T" not in log, "the refused bytes were echoed into the log"


def test_data_files_holding_customer_data_are_owner_only(start_devhost: StartDevhost, tmp_path: Path) -> None:
    """Issue 17, point 5: SQLite documents, the bus, durable history, sinks: 0600, not 0644."""
    dh = start_devhost(data_dir=tmp_path / "data")
    api = ApiClient(dh.url)
    token = api.dev_token(sub=unique("privacy"), email="privacy@example.com")
    r = api.patch("/api/me", {"displayName": "Private Person", "phone": "+1 555 0100"}, token=token)
    assert r.status == 200, r
    data_files = [
        p
        for p in (tmp_path / "data").rglob("*")
        if p.is_file() and p.name != "devhost.log"  # the log is the test harness's, not devhost's
    ]
    databases = [p for p in data_files if p.suffix in (".db", ".sqlite", ".sqlite3")]
    assert databases, f"expected SQLite files under the data dir, found {data_files}"
    loose = {
        str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777)
        for p in data_files
        if p.stat().st_mode & 0o077
    }
    assert not loose, f"readable by group or others: {loose}"


def test_private_file_helper_tightens_files_outside_devhost(tmp_path: Path) -> None:
    """The adapters create their files 0600 themselves (func start / tests run without devhost's umask)."""
    from shared.adapters.sqlite_documents import SqliteDocumentStore

    old = os.umask(0o022)
    try:
        SqliteDocumentStore(tmp_path / "docs.db").container("people", "/id").create(
            {"id": "p1", "email": "a@b.c"}
        )
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o077 == 0, (path.name, oct(path.stat().st_mode))
