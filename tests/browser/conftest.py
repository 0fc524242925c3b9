"""Browser tests: the storefront and the back office in Debian's Chromium, driven by Playwright.

    def test_x(page: Page, site: Site, axe: Axe) -> None:
        page.goto("/#/browse")                     # the page's base URL is the seeded devhost
        assert not [v for v in axe(page) if v["impact"] == "critical"]

- `site`: ONE seeded devhost per test run, shared by the xdist workers (shared_devhost.py): the
  demo catalog, first models and recommendation history, exactly as `make run` seeds them, plus an
  API client and dev tokens for setting up or checking state from outside the browser.
- `browser`: Chromium at /usr/bin/chromium (Playwright's `playwright install` downloads its own
  builds from a CDN, which these machines cannot reach), headless, flags for a sandboxed CI.
- `page`: a fresh context (own storage: nobody is signed in) per test; a JavaScript error on the
  page fails the test.
- `phone_page`: the same at 375 px wide.
- `axe(page)`: axe-core's violations for the current page (`[{id, impact, help, nodes}]`).
- `sign_in_as(page, persona, at="/")`: sign in through web/lib/auth.js (storefront or /admin/).

Install the browser and axe-core with `make browser-deps` (part of `make test`). A missing one is
an error here, never a skip: a browser suite that silently does not run proves nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.deps import AXE_JS, CHROMIUM
from tests.browser.shared_devhost import SharedDevhost
from tests.e2e.conftest import Launcher
from tests.e2e.helpers import ApiClient, wait_for

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Seeding trains the first models and imports a year of demo sales: minutes on a loaded machine.
SEED_TIMEOUT = float(os.environ.get("SC_BROWSER_SEED_TIMEOUT", "480"))
# Playwright's default waits, per action and per expectation. Generous: 2 shared cores.
ACTION_TIMEOUT_MS = 15_000
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# web/lib/auth.js PERSONAS (name and email claims), so API calls and the pages see the same profile.
DEMO_CLAIMS = {
    "demo-shopper-0001": {"name": "Dana Shopper", "email": "dana.shopper@example.com"},
    "demo-newcomer-0001": {"name": "Sam Newcomer", "email": "sam.newcomer@example.com"},
    "demo-support-0001": {"name": "Riley Support", "email": "riley.support@example.com"},
    "demo-admin-0001": {"name": "Alex Admin", "email": "alex.admin@example.com"},
}

Axe = Callable[..., list[dict[str, Any]]]


def pytest_itemcollected(item: pytest.Item) -> None:
    if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
        # pytest-timeout counts fixture setup: the first browser test also waits for seeding.
        item.add_marker(pytest.mark.timeout(SEED_TIMEOUT + 120))


@dataclass
class Site:
    url: str
    api: ApiClient
    data_dir: Path

    def token(self, sub: str, roles: list[str], **claims: str) -> str:
        return self.api.dev_token(sub, roles=roles, **claims)

    def customer_token(self, sub: str = "demo-shopper-0001") -> str:
        # The claims of web/lib/auth.js's persona: a profile is provisioned from the first token seen.
        return self.token(sub, ["customer"], **DEMO_CLAIMS.get(sub, {}))

    def admin_token(self, sub: str = "demo-admin-0001") -> str:
        return self.token(sub, ["admin"], **DEMO_CLAIMS.get(sub, {}))


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A seeded devhost serving web/ at / and the API at /api, for the whole session, shared by
    the xdist workers of the run (tests/browser/shared_devhost.py).

    SC_BROWSER_DEVHOST=http://127.0.0.1:7071 uses a devhost that is already running (`make run`)
    instead, to iterate on the pages without seeding again; its data dir is then unknown."""
    reuse = os.environ.get("SC_BROWSER_DEVHOST")
    if reuse:
        yield Site(reuse.rstrip("/"), ApiClient(reuse.rstrip("/"), timeout=30), Path())
        return
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base temp dir is <run dir>/popen-gwN: the run dir is shared.
    shared_dir = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = SharedDevhost(shared_dir, Launcher(tmp_path_factory.mktemp("browser-devhost")))
    failed_before = request.session.testsfailed
    lease = shared.acquire()
    try:
        api = ApiClient(lease.url, timeout=30)
        wait_for(
            lambda: api.get("/runtime/devhost/status").json()["seeded"],
            timeout=SEED_TIMEOUT,
            interval=0.5,
            message="devhost's first-start seeding (demo catalog, models, sales, recommendations)",
        )
        _warm_up(ApiClient(lease.url, timeout=120))
        yield Site(lease.url, api, lease.data_dir)
    finally:
        if request.session.testsfailed > failed_before:
            log = lease.data_dir / "devhost.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:]) if log.exists() else ""
            print(f"\n=== devhost output ({log}) ===\n{tail}")
        shared.release(lease)


def _warm_up(api: ApiClient) -> None:
    """The first search loads the embedding model and the first recommendation the model: done
    once here, with a long timeout, so the pages' first requests are not the slow ones."""
    for path in ("/api/search?q=kettle", "/api/search/suggest?q=ke", "/api/recommendations?limit=4"):
        r = api.get(path)
        assert r.status == 200, r


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is started, and a non-browser test that xdist runs on the same worker afterwards
# (`asyncio.run` in tests/unit, ...) would fail with "cannot be called from a running event loop".
# pytest tears a module fixture down before the next module's tests; a restart costs ~1 s.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install -y chromium)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    b = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


def _new_page(browser: Any, site: Site, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(base_url=site.url, viewport=viewport, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{exc.name}: {exc.message}"))
    return context, page, errors


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A desktop-sized page in a fresh context; uncaught JavaScript errors fail the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    context, pg, errors = _new_page(browser, site, DESKTOP)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def phone_page(browser: Any, site: Site) -> Iterator[Any]:
    """The same at a phone's width (375 px)."""
    context, pg, errors = _new_page(browser, site, PHONE)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make browser-deps` (npm ci of tests/browser/package.json)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source: str) -> Axe:
    """axe(page, include=None, tags=WCAG 2.1 A/AA) -> violations.

    The script is evaluated through the DevTools protocol, which the pages' Content-Security-Policy
    (script-src 'self') does not govern, so the pages are tested with their real CSP in force."""

    def run(
        page: Any,
        include: str | None = None,
        tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"),
    ) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source)
        result = page.evaluate(
            """async ([include, tags]) => {
                const r = await axe.run(include || document, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))}));
            }""",
            [include, list(tags)],
        )
        return list(result)

    return run


def settle(page: Any, seconds: float = 0.2) -> None:
    """Let a page finish what its last action started (fetches, re-render) before checking it."""
    page.wait_for_load_state("networkidle")
    time.sleep(seconds)


def sign_in_as(page: Any, persona: str | dict[str, Any], at: str = "/") -> None:
    """Sign in through web/lib/auth.js on the page at `at` ("/" storefront, "/admin/" back office:
    each keeps its own session): a PERSONAS key, or {sub, roles, name, email} for anyone else.
    The same dev-token flow the pages' own sign-in uses, without depending on their markup."""
    page.goto(at)
    page.evaluate(
        "p => import('/lib/auth.js').then(m => m.signIn(typeof p === 'string' ? p : {key: 'custom', ...p}))",
        persona,
    )
