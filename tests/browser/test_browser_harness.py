"""The checks themselves: a green suite must mean axe and the CSP watcher actually work."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_axe_reports_a_violation(page, app_url, axe):
    page.goto(app_url + "/about")
    page.evaluate(
        """() => { const img = document.createElement('img');
                   img.src = '/static/favicon.svg';
                   document.querySelector('main').append(img); }"""
    )
    with pytest.raises(pytest.fail.Exception, match=r"image-alt") as failure:
        axe(page, "about, with an image without alt text")
    assert "critical" in str(failure.value) and "img" in str(failure.value)


def test_csp_blocks_and_reports_inline_script(page, app_url, watch_box):
    page.goto(app_url + "/about")
    ran = page.evaluate(
        """() => new Promise((resolve) => {
               document.addEventListener('securitypolicyviolation', () => resolve(window.__inline === 1), {once: true});
               const s = document.createElement('script');
               s.textContent = 'window.__inline = 1';
               document.body.append(s);
           })"""
    )
    assert ran is False, "the CSP must block inline scripts"
    page.evaluate("1")  # let the violation report reach the test
    watch = watch_box["watch"]
    assert any("script-src" in v for v in watch.csp), watch.csp
    watch.csp.clear()  # expected here; any other test would fail on it


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_inline_style_attribute_is_reported(request, app_url, watch_box, js):
    """An inline style attribute breaks the CSP; the watcher catches it with or without script."""
    page = request.getfixturevalue("page" if js else "nojs_page")
    page.route(
        app_url + "/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"content-security-policy": "default-src 'self'; style-src 'self'"},
            body='<!DOCTYPE html><html lang="en"><title>probe</title><p style="color: red">x</p></html>',
        ),
    )
    page.goto(app_url + "/csp-probe")
    page.locator("p").wait_for()
    page.evaluate("1") if js else page.content()
    watch = watch_box["watch"]
    assert any("style-src" in v for v in watch.csp), watch.csp
    watch.csp.clear()
