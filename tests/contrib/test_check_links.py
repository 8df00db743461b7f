"""`kb check-links`, against a mock transport: no network is used."""

from __future__ import annotations

import httpx

from kb.services.links import check_links, format_results, in_ci

FILE = """---
title: "Example Council: a case study with many sources"
sources:
  - title: Fine
    url: https://ok.example.org/page
    type: own
  - title: Moved
    url: https://ok.example.org/old
    type: own
  - title: Gone
    url: https://gone.example.org/report
    type: independent
  - title: HEAD refused
    url: https://nohead.example.org/doc
    type: own
  - title: Blocked
    url: https://blocked.example.org/
    type: own
  - title: Slow
    url: https://slow.example.org/
    type: own
  - title: Nowhere
    url: https://nowhere.example.org/
    type: own
  - title: Broken server
    url: https://broken.example.org/
    type: own
---
Body.
"""


def handler(request: httpx.Request) -> httpx.Response:
    host, path = request.url.host, request.url.path
    if host == "ok.example.org":
        if path == "/old":
            return httpx.Response(301, headers={"Location": "https://ok.example.org/page"})
        return httpx.Response(200, text="ok")
    if host == "gone.example.org":
        return httpx.Response(404)
    if host == "nohead.example.org":
        return httpx.Response(405) if request.method == "HEAD" else httpx.Response(200, text="pdf")
    if host == "blocked.example.org":
        return httpx.Response(403)
    if host == "slow.example.org":
        raise httpx.ReadTimeout("timed out", request=request)
    if host == "broken.example.org":
        return httpx.Response(503)
    raise httpx.ConnectError("Name or service not known", request=request)


def test_every_kind_of_result(tmp_path):
    path = tmp_path / "many-sources.md"
    path.write_text(FILE)
    results = {r.url: r for r in check_links([path], transport=httpx.MockTransport(handler))}
    status = {url.split("//")[1]: r.status for url, r in results.items()}
    assert status == {
        "ok.example.org/page": "ok",
        "ok.example.org/old": "redirected",
        "gone.example.org/report": "dead",
        "nohead.example.org/doc": "ok",
        "blocked.example.org/": "blocked",
        "slow.example.org/": "timeout",
        "nowhere.example.org/": "dead",
        "broken.example.org/": "error",
    }
    moved = results["https://ok.example.org/old"]
    assert moved.final_url == "https://ok.example.org/page"
    gone = results["https://gone.example.org/report"]
    assert gone.code == 404 and gone.citations[0].line == 11 and gone.citations[0].path == str(path)
    text = format_results(list(results.values()))
    assert f"{path}:11:5: dead 404: https://gone.example.org/report: not found" in text
    assert ": ok 200:" not in text  # working links are quiet unless --verbose
    assert ": ok 200: https://ok.example.org/page" in format_results(
        list(results.values()), verbose=True
    )
    assert text.splitlines()[-1].startswith("FAILED: 8 URL(s) checked")


def test_refuses_to_run_in_ci_unless_forced(run, settings, monkeypatch):
    assert (
        in_ci({"CI": "true"})
        and in_ci({"CI": "1"})
        and not in_ci({"CI": "false"})
        and not in_ci({})
    )
    calls = []

    def fake(paths, **kwargs):
        calls.append(paths)
        return []

    monkeypatch.setattr("kb.services.links.check_links", fake)
    monkeypatch.setenv("CI", "true")
    result = run("check-links")
    assert result.exit_code == 0 and calls == []
    assert "skipped, because CI is set" in result.output and "--force" in result.output
    result = run("check-links", "--force")
    assert result.exit_code == 0 and len(calls) == 1
    assert "OK: 0 URL(s) checked" in result.output


def test_cli_exit_code_and_json(run, tmp_path, monkeypatch):
    path = tmp_path / "many-sources.md"
    path.write_text(FILE)
    real = check_links
    monkeypatch.setattr(
        "kb.services.links.check_links",
        lambda paths, **kw: real(paths, **{**kw, "transport": httpx.MockTransport(handler)}),
    )
    result = run("check-links", path)
    assert result.exit_code == 1 and "dead 404" in result.output
    result = run("check-links", path, "--format", "json")
    assert result.exit_code == 1 and '"status": "timeout"' in result.output
    result = run("check-links", tmp_path / "missing.md")
    assert result.exit_code == 2


def test_works_inside_a_running_event_loop(tmp_path):
    import asyncio
    import threading

    path = tmp_path / "many-sources.md"
    path.write_text(FILE)

    async def inside():
        asyncio.get_running_loop()  # a loop is running here, as in a notebook or a server
        return check_links([path], transport=httpx.MockTransport(handler))

    out = []
    worker = threading.Thread(target=lambda: out.append(asyncio.run(inside())))
    worker.start()
    worker.join(30)
    results = out[0]
    assert len(results) == 8 and {r.status for r in results} >= {"ok", "dead"}
