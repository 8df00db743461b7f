"""Check that the sources' URLs still answer: `kb check-links`.

Each distinct URL is asked once (HEAD, then GET when the server refuses HEAD), following
redirects, with a timeout and a limit on requests at once (and per host, to be polite).
Results are classified so that a contributor knows what to do:

- ok: the page answered (2xx);
- redirected: it answered at another address, which the file could use instead;
- blocked: the site refused an automated request (401, 403, 429): check it in a browser;
- error: a server error or another client error (5xx, 4xx other than below);
- timeout: no answer in time;
- dead: not found or gone (404, 410), or the host cannot be reached.

Only "dead" fails the command. It needs the network, so it never runs in CI (where the network
is closed) unless forced: see ``in_ci``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from kb import __version__
from kb.content.files import read_limited

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 8
PER_HOST = 2
USER_AGENT = f"SocialValueKB-link-checker/{__version__} (+checks the sources cited by case studies)"
STATUSES = ("ok", "redirected", "blocked", "error", "timeout", "dead")


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """True when the CI variable says we are in continuous integration."""
    value = (environ if environ is not None else os.environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Citation:
    path: str
    line: int
    column: int


@dataclass
class LinkResult:
    url: str
    status: str  # one of STATUSES
    code: int | None = None
    final_url: str | None = None
    message: str = ""
    citations: list[Citation] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "dead"

    def to_json(self) -> dict:
        return {
            "url": self.url,
            "status": self.status,
            "code": self.code,
            "final_url": self.final_url,
            "message": self.message,
            "cited_in": [f"{c.path}:{c.line}:{c.column}" for c in self.citations],
        }


def collect_urls(paths: Sequence[Path]) -> dict[str, list[Citation]]:
    """URL -> where it is cited, from the `sources` of each file (files that do not parse are
    skipped: `kb validate` reports them)."""
    from kb.content.frontmatter import FrontMatterError, parse

    out: dict[str, list[Citation]] = {}
    for p in paths:
        try:
            parsed = parse(read_limited(Path(p)).decode("utf-8").removeprefix("\ufeff"))
        except (OSError, UnicodeDecodeError, FrontMatterError):
            continue
        sources = parsed.data.get("sources")
        if not isinstance(sources, list):
            continue
        for i, src in enumerate(sources):
            url = src.get("url") if isinstance(src, dict) else None
            if isinstance(url, str) and url.strip().startswith(("https://", "http://")):
                line, col = parsed.position(("sources", i, "url"))
                out.setdefault(url.strip(), []).append(Citation(str(p), line, col))
    return out


def classify(url: str, response: httpx.Response) -> LinkResult:
    code = response.status_code
    final = str(response.url)
    if 200 <= code < 300:
        if final.rstrip("/") != url.rstrip("/"):
            return LinkResult(url, "redirected", code, final, f"moved to {final}")
        return LinkResult(url, "ok", code, final)
    if code in (404, 410):
        return LinkResult(url, "dead", code, final, "not found" if code == 404 else "gone")
    if code in (401, 403, 429):
        return LinkResult(
            url, "blocked", code, final, "the site refused an automated check: open it in a browser"
        )
    return LinkResult(url, "error", code, final, f"HTTP {code}")


async def _check_one(client: httpx.AsyncClient, url: str) -> LinkResult:
    try:
        response = await client.head(url)
        if response.status_code >= 400:
            # Many servers answer HEAD badly (405, 403, 404 or 500 where GET works): ask again.
            async with client.stream("GET", url) as streamed:
                response = streamed
        return classify(url, response)
    except httpx.TimeoutException:
        return LinkResult(url, "timeout", message="no answer before the timeout")
    except httpx.TooManyRedirects:
        return LinkResult(url, "error", message="too many redirects")
    except httpx.ConnectError as exc:
        return LinkResult(url, "dead", message=f"cannot connect: {_reason(exc)}")
    except httpx.HTTPError as exc:
        return LinkResult(url, "error", message=f"{exc.__class__.__name__}: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:160]


async def check_urls_async(
    urls: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[LinkResult]:
    """Check each URL once; results in the order given."""
    limit = asyncio.Semaphore(max(1, concurrency))
    hosts: dict[str, asyncio.Semaphore] = {}

    async def run(client: httpx.AsyncClient, url: str) -> LinkResult:
        host = urlsplit(url).hostname or ""
        per_host = hosts.setdefault(host, asyncio.Semaphore(PER_HOST))
        async with limit, per_host:
            return await _check_one(client, url)

    async with httpx.AsyncClient(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/pdf,*/*;q=0.8"},
        transport=transport,
        max_redirects=10,
    ) as client:
        return list(await asyncio.gather(*(run(client, u) for u in urls)))


def _run(coro):
    """asyncio.run, also when this thread already runs an event loop (then in a worker thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def check_links(
    paths: Sequence[Path],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[LinkResult]:
    """Check every source URL cited in ``paths``."""
    cited = collect_urls(paths)
    results = _run(
        check_urls_async(list(cited), timeout=timeout, concurrency=concurrency, transport=transport)
    )
    for r in results:
        r.citations = cited[r.url]
    return results


def format_results(results: Sequence[LinkResult], *, verbose: bool = False) -> str:
    lines: list[str] = []
    for r in results:
        if r.status == "ok" and not verbose:
            continue
        code = f" {r.code}" if r.code else ""
        detail = f": {r.message}" if r.message else ""
        for c in r.citations:
            lines.append(f"{c.path}:{c.line}:{c.column}: {r.status}{code}: {r.url}{detail}")
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    verdict = "FAILED" if any(r.failed for r in results) else "OK"
    lines.append(f"{verdict}: {len(results)} URL(s) checked" + (f": {summary}" if summary else ""))
    if results and all(r.status in ("dead", "timeout") and not r.code for r in results):
        lines.append("No URL answered at all: is this machine connected to the internet?")
    return "\n".join(lines)
