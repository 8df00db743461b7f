"""Real-browser fixtures: the app served by uvicorn, a tender page on another origin, and Chromium.

Playwright drives Debian's Chromium (`make browser` installs it; `playwright install` cannot
download browsers here). Every page a test opens is watched for CSP violations, uncaught script
errors and failed sub-resources; the `page` fixture fails the test if it saw any.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
APP_CSS = ROOT / "web" / "static" / "govuk" / "app.css"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if find_chromium() is None:
        return "Chromium not found at /usr/bin/chromium or on PATH (run `make browser`)"
    if not AXE_JS.exists() or not APP_CSS.exists():
        return "front-end assets missing: run `make assets` (npm ci + sass) first"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if Path(item.path).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


# --- servers ----------------------------------------------------------------------------------


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _serve(asgi_app) -> Iterator[str]:
    import uvicorn

    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        asgi_app, log_level="warning", access_log=False, lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ticker = threading.Event()
    for _ in range(400):  # up to 20 s: poll for uvicorn's "started" flag
        if server.started or not thread.is_alive():
            break
        ticker.wait(0.05)
    if not server.started:
        raise RuntimeError("the test server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def app_url(built_settings) -> Iterator[str]:
    """The real app (fixture library, real model) served by uvicorn on a free port."""
    from web.app import create_app

    yield from _serve(create_app(built_settings))


@pytest.fixture(scope="session")
def xss_url(xss_settings) -> Iterator[str]:
    """The app serving the hostile-content library (tests/fixtures/xss)."""
    from web.app import create_app

    yield from _serve(create_app(xss_settings))


@pytest.fixture(scope="session")
def tender_url(app_url: str) -> Iterator[str]:
    """A different origin serving test tender pages that embed the widget and the iframe."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    template = (HERE / "tender.html").read_text("utf-8")

    async def tender(request):
        return HTMLResponse(template.replace("{{APP}}", app_url))

    yield from _serve(Starlette(routes=[Route("/tender.html", tender)]))


# --- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What a page did wrong: CSP violations, script errors, failed sub-resources."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    allow_failed: list[re.Pattern] = field(default_factory=list)

    def problems(self) -> list[str]:
        failed = [f for f in self.failed if not any(p.search(f) for p in self.allow_failed)]
        return (
            [f"CSP violation: {c}" for c in self.csp]
            + [f"script error: {e}" for e in self.errors]
            + [f"failed sub-resource: {f}" for f in failed]
        )


CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__svkbReportCsp(JSON.stringify({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, page: location.href}));
}, true);
"""


class _Watched:
    """A browser context shared by the session; each test gets a fresh Watch and a fresh page."""

    def __init__(self, browser, **kwargs):
        self.watch = Watch()
        self.context = browser.new_context(viewport={"width": 1100, "height": 900}, **kwargs)
        self.context.set_default_timeout(10_000)
        self.context.expose_binding(
            "__svkbReportCsp", lambda _src, data: self.watch.csp.append(data)
        )
        self.context.add_init_script(CSP_LISTENER)
        self.context.on("page", self._on_page)
        self.context.on("response", self._on_response)

    def _on_console(self, msg) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.watch.csp.append(text)
        elif msg.type == "error" and not text.startswith("Failed to load resource"):
            self.watch.errors.append(text)

    def _on_page(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.watch.errors.append(str(exc)))

    def _on_response(self, response) -> None:
        req = response.request
        if response.status >= 400 and not req.is_navigation_request():
            self.watch.failed.append(f"{response.status} {req.method} {response.url}")

    def page(self, watch_box: dict) -> Iterator:
        self.watch = watch_box["watch"] = Watch()
        pg = self.context.new_page()
        yield pg
        pg.close()
        problems = self.watch.problems()
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def js_context(browser):
    """The session's JavaScript-enabled browser context."""
    watched = _Watched(browser)
    yield watched
    watched.context.close()


@pytest.fixture(scope="session")
def nojs_context(browser):
    """The session's context with JavaScript disabled: the no-JavaScript path."""
    watched = _Watched(browser, java_script_enabled=False)
    yield watched
    watched.context.close()


@pytest.fixture
def watch_box() -> dict:
    return {}


@pytest.fixture
def page(js_context, watch_box):
    """A fresh JavaScript page; the test fails on any CSP violation, script error or failed
    sub-resource (a stylesheet, script or API call answering 4xx/5xx)."""
    yield from js_context.page(watch_box)


@pytest.fixture
def nojs_page(nojs_context, watch_box):
    """A fresh page with JavaScript disabled, watched the same way."""
    yield from nojs_context.page(watch_box)


@pytest.fixture
def allow_failed(watch_box) -> Callable[[str], None]:
    """Let a test expect a failed sub-resource (e.g. a deliberately broken API)."""

    def allow(pattern: str) -> None:
        watch_box["watch"].allow_failed.append(re.compile(pattern))

    return allow


# --- checks -----------------------------------------------------------------------------------


def screenshot(page, name: str) -> Path:
    """A full-page PNG under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_AXE_SOURCE: str | None = None


def run_axe(page, name: str = "") -> None:
    """Run axe-core's WCAG 2.2 A/AA rules; fail with a readable list of violations.

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
    CSP stays in force for everything the page itself does.
    """
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE_JS.read_text("utf-8")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_AXE_SOURCE + "\n;undefined")
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, iframes: false, resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )
    if result:
        lines = [f"axe found {len(result)} WCAG A/AA violation(s) on {name or page.url}:"]
        for v in result:
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for n in v["nodes"][:10]:
                lines.append(
                    f"    {json.dumps(n['target'])}: {(n['summary'] or '').splitlines()[-1:]}"
                )
        pytest.fail("\n".join(lines), pytrace=False)


def assert_security_headers(response, embeddable: bool = False) -> None:
    assert response is not None, "no response"
    headers = response.all_headers()
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors" in csp, f"CSP without frame-ancestors on {response.url}: {csp!r}"
    assert "script-src 'self'" in csp, csp
    assert headers.get("x-content-type-options") == "nosniff", response.url
    if embeddable:
        assert "x-frame-options" not in headers, "embed pages must be frameable"
    else:
        assert "frame-ancestors 'none'" in csp, csp
        assert headers.get("x-frame-options") == "DENY", response.url


@pytest.fixture
def axe() -> Callable[..., None]:
    return run_axe


@pytest.fixture
def shot() -> Callable[[object, str], Path]:
    return screenshot


@pytest.fixture
def security_headers() -> Callable[..., None]:
    return assert_security_headers
