/*
 * Social Value Knowledge Base: the social value plan's summary, for tender templates.
 *
 *   <script src="https://kb.example/widget.js" data-title="Housing repairs" data-cpv="50700000"
 *           data-region="north-east" data-limit="3" async></script>
 *
 * data-title | data-title-selector (CSS selector of an element holding the title),
 * data-description | data-description-selector, data-cpv (space or comma separated), data-region,
 * data-value (e.g. 2m), data-limit (1-5 outcomes), data-target (CSS selector of the element to
 * render into). Shows the plan's top outcomes with one line each and links to the full plan.
 * Renders inside a Shadow DOM; never injects HTML from the API; on any failure shows a plain link.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, document.baseURI).origin;
  var data = script.dataset;

  function textOf(selector) {
    if (!selector) return "";
    try {
      var el = document.querySelector(selector);
      return el ? (el.textContent || "").trim() : "";
    } catch (e) {
      return "";
    }
  }

  var title = (data.title || textOf(data.titleSelector) || "").slice(0, 300);
  var description = (data.description || textOf(data.descriptionSelector) || "").slice(0, 5000);
  var cpv = (data.cpv || "").split(/[\s,]+/).filter(Boolean).slice(0, 20);
  var region = data.region || null;
  var value = (data.value || "").slice(0, 40) || null;
  var limit = Math.max(1, Math.min(parseInt(data.limit || "3", 10) || 3, 5));

  var host = document.createElement("div");
  host.className = "svkb-widget";
  var target = data.target ? document.querySelector(data.target) : null;
  if (target) target.appendChild(host);
  else script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var css =
    ":host{display:block;font-family:arial,sans-serif;color:#0b0c0c;line-height:1.4}" +
    ".box{border-left:5px solid #1d70b8;padding:8px 12px;background:#f3f2f1}" +
    "h2{font-size:19px;margin:0 0 8px}ol{margin:0;padding-left:20px}li{margin-bottom:8px}" +
    "a{color:#1d70b8}a:focus{outline:3px solid #fd0;background:#fd0;color:#0b0c0c}" +
    ".meta,.why,.foot{font-size:14px;color:#505a5f;margin:2px 0}";
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function link(href, text) {
    var a = el("a", null, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  function planUrl(result) {
    if (result && result.links && result.links.page) return base + result.links.page;
    var q = new URLSearchParams();
    if (title) q.set("title", title);
    if (description) q.set("description", description);
    if (cpv.length) q.set("cpv", cpv.join(" "));
    if (value) q.set("value", value);
    if (region) q.set("region", region);
    return base + "/plan?" + q.toString();
  }

  var box = el("div", "box");
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", "Social value for this procurement");
  root.appendChild(box);

  function fallback() {
    box.textContent = "";
    box.appendChild(el("h2", null, "Social value for this procurement"));
    var p = el("p");
    p.appendChild(link(planUrl(null), "Write a social value plan for this procurement"));
    box.appendChild(p);
  }

  var LEVELS = { close: "Close match", partial: "Partial match", none: "No close match" };

  function render(result) {
    var outcomes = (result && result.outcomes) || [];
    if (!outcomes.length) return fallback();
    var url = planUrl(result);
    box.textContent = "";
    box.appendChild(el("h2", null, "Social value: outcomes to prioritise"));
    if (result.match && LEVELS[result.match.level]) {
      box.appendChild(el("p", "meta", LEVELS[result.match.level] + ". " + result.match.message));
    }
    var list = el("ol");
    outcomes.slice(0, limit).forEach(function (o) {
      var li = el("li");
      li.appendChild(link(url + "#outcome-" + encodeURIComponent(o.slug), o.label));
      if (o.why && o.why.length) li.appendChild(el("p", "why", o.why[0]));
      list.appendChild(li);
    });
    box.appendChild(list);
    var foot = el("p", "foot");
    foot.appendChild(link(url, "Read the full social value plan"));
    box.appendChild(foot);
  }

  if (!title && !description && !cpv.length) return fallback();
  box.appendChild(el("p", "meta", "Loading the social value plan…"));
  var controller = "AbortController" in window ? new AbortController() : null;
  var timer = setTimeout(function () { if (controller) controller.abort(); }, 8000);
  fetch(base + "/api/v1/plan", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title: title, description: description, cpv: cpv, value: value, region: region }),
    signal: controller ? controller.signal : undefined,
    credentials: "omit",
  })
    .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
    .then(render)
    .catch(fallback)
    .finally(function () { clearTimeout(timer); });
})();
