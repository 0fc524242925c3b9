"""Health checks run in parallel, each bounded by the timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from shared.http import health


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(health, "_checks", {})
    yield


def test_no_checks_is_ok() -> None:
    assert health.run_checks() == ("ok", {})


def test_ok_error_and_details() -> None:
    health.register_check("documents", lambda: "sqlite")
    health.register_check("bus", lambda: None)

    def broken() -> None:
        raise ConnectionError("amqp://user:secret@host")

    health.register_check("models", broken)
    status, checks = health.run_checks()
    assert status == "degraded"
    assert checks["documents"]["detail"] == "sqlite" and checks["documents"]["status"] == "ok"
    assert "detail" not in checks["bus"]
    assert checks["models"] == {**checks["models"], "status": "error", "detail": "ConnectionError"}
    assert all(isinstance(entry["latencyMs"], float) for entry in checks.values())


def test_async_checks() -> None:
    async def probe() -> str:
        return "async ok"

    health.register_check("async", probe)
    assert health.run_checks()[1]["async"]["detail"] == "async ok"


def test_a_hung_check_is_cut_off_by_the_timeout() -> None:
    # The hung check would block for a minute; run_checks must return after its 0.5 s timeout.
    # The bound is far below the hang (so it proves the cut-off) and far above the timeout (so a
    # loaded CI machine cannot fail it). The event frees the pool worker once the test is done.
    hang_seconds = 60.0
    release = threading.Event()
    health.register_check("hung", lambda: release.wait(hang_seconds))
    health.register_check("fine", lambda: None)
    try:
        started = time.perf_counter()
        status, checks = health.run_checks(timeout=0.5)
        elapsed = time.perf_counter() - started
    finally:
        release.set()
    assert elapsed < hang_seconds / 6
    assert status == "degraded"
    assert checks["hung"]["status"] == "error" and "timed out" in checks["hung"]["detail"]
    assert checks["fine"]["status"] == "ok"


def test_unregister() -> None:
    health.register_check("x", lambda: None)
    health.unregister_check("x")
    assert health.run_checks() == ("ok", {})
