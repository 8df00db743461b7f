// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// --- Search: filters update the results in place -------------------------------------------
// The page works as a plain GET form. With this script, ticking a filter (or pressing "Apply
// filters", following a "remove filter", sort or page link) fetches the same URL, swaps the
// regions the server marks with an id, keeps scroll and keyboard focus, updates the address
// with history.pushState and announces the new count in a live region.
const SWAPPED = ["search-errors", "filter-groups", "results"];
const form = document.querySelector("form[data-app-search]");
if (form && window.fetch && window.DOMParser && window.history && history.pushState) {
  enhanceSearch(form);
}

function searchUrl(form) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (typeof value === "string" && value.trim() !== "") params.append(key, value);
  }
  const query = params.toString();
  return form.getAttribute("action") + (query ? "?" + query : "");
}

function enhanceSearch(form) {
  const announce = document.getElementById("search-announce");
  const panel = document.getElementById("filters");
  const toggle = panel && panel.querySelector(".app-filter-toggle");
  let controller = null;
  let shown = location.pathname + location.search;
  history.replaceState({ svkbSearch: true }, "", location.href);

  if (toggle) {
    toggle.addEventListener("click", () => {
      const open = panel.classList.toggle("app-filter-panel--open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  async function update(url, { push = true, focus = "keep" } = {}) {
    if (controller) controller.abort();
    controller = new AbortController();
    const results = document.getElementById("results");
    const active = document.activeElement;
    const activeId = active && active.id;
    const openGroups = {};
    document.querySelectorAll("#filter-groups details[data-group]").forEach((d) => {
      openGroups[d.dataset.group] = d.open;
    });
    results.setAttribute("aria-busy", "true");
    let doc;
    try {
      const response = await fetch(url, {
        headers: { Accept: "text/html" },
        signal: controller.signal,
        credentials: "same-origin",
      });
      const type = response.headers.get("content-type") || "";
      if (!type.startsWith("text/html")) throw new Error("not a page");
      doc = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!doc.getElementById("results")) throw new Error("not the search page");
    } catch (error) {
      if (error.name === "AbortError") return;
      window.location.assign(url); // fall back to an ordinary page load
      return;
    }
    for (const id of SWAPPED) {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    }
    // Groups the visitor opened or closed stay as they were.
    document.querySelectorAll("#filter-groups details[data-group]").forEach((d) => {
      if (d.dataset.group in openGroups && d.dataset.group !== "years") {
        d.open = openGroups[d.dataset.group] || d.open;
      }
    });
    const freshToggle = doc.querySelector(".app-filter-toggle");
    if (toggle && freshToggle) toggle.textContent = freshToggle.textContent;
    document.title = doc.title;
    const q = document.getElementById("q");
    const freshQ = doc.getElementById("q");
    if (!push && q && freshQ) q.value = freshQ.value; // back and forward restore the text too
    if (push) history.pushState({ svkbSearch: true }, "", url);
    shown = location.pathname + location.search;
    initAll({ scope: document.getElementById("search-errors") });

    const errors = document.querySelector("#search-errors .govuk-error-summary");
    const count = document.getElementById("result-count");
    if (errors) {
      errors.setAttribute("tabindex", "-1");
      errors.focus();
    } else if (focus === "results" && count) {
      count.focus();
    } else if (activeId && document.getElementById(activeId)) {
      document.getElementById(activeId).focus({ preventScroll: true });
    } else if (active && active !== document.body && !document.contains(active)) {
      // The focused option is no longer offered: keep the keyboard in the filter panel.
      document.getElementById("filters").focus({ preventScroll: true });
    }
    if (announce && count) {
      const problem = errors ? "There is a problem with your search. " : "";
      announce.textContent = problem + count.textContent.trim().replace(/\s+/g, " ");
    }
  }

  form.addEventListener("change", (event) => {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.type === "checkbox") update(searchUrl(form));
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    update(searchUrl(form));
  });
  form.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (!link.getAttribute("href").startsWith("/search?") && link.getAttribute("href") !== "/search") return;
    const target = new URL(link.href, location.href);
    event.preventDefault();
    update(target.pathname + target.search, { focus: "results" });
  });
  window.addEventListener("popstate", () => {
    const now = location.pathname + location.search;
    if (now !== shown) update(now, { push: false, focus: "results" });
  });
}

// --- Suggest a case study: keep a draft in this browser --------------------------------------
// The answers are saved to localStorage as they are typed (nothing is sent anywhere). On a fresh
// form the draft is put back, with a notice and a button to clear it.
const DRAFT_KEY = "svkb-suggest-draft";
const draftForm = document.querySelector("form[data-app-draft]");
if (draftForm) enhanceDraft(draftForm);

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked: the form still works, without a draft
  }
}

function fieldsOf(form) {
  return [...form.elements].filter(
    (el) => el.name && !["hidden", "submit", "button", "file"].includes(el.type),
  );
}

// Answers from other parts of the form, carried as hidden fields (not the "part" marker).
function carriedOf(form) {
  return [...form.elements].filter((el) => el.type === "hidden" && el.name && el.name !== "part");
}

function saveDraft(form, store) {
  const answers = [];
  for (const el of carriedOf(form)) answers.push([el.name, el.value]);
  for (const el of fieldsOf(form)) {
    if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
    answers.push([el.name, el.value]);
  }
  store.setItem(DRAFT_KEY, JSON.stringify({ saved: new Date().toISOString(), answers }));
}

function restoreDraft(form, draft) {
  const byName = new Map();
  for (const [name, value] of draft.answers) {
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(value);
  }
  for (const el of fieldsOf(form)) {
    const values = byName.get(el.name);
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = Boolean(values && values.includes(el.value));
      if (el.checked) {
        const group = el.closest("details");
        if (group) group.open = true;
      }
    } else if (values) {
      el.value = values[0];
    }
  }
  // Answers to questions in other parts travel on as hidden fields, as the server does it.
  const here = new Set(fieldsOf(form).map((el) => el.name));
  carriedOf(form).forEach((el) => el.remove());
  for (const [name, values] of byName) {
    if (here.has(name) || name === "part") continue;
    for (const value of values) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
  }
}

function draftNotice(form, saved, onClear) {
  const box = document.createElement("div");
  box.className = "govuk-inset-text app-draft-notice";
  box.setAttribute("role", "status");
  const text = document.createElement("p");
  text.className = "govuk-body";
  const when = new Date(saved);
  text.textContent =
    "Your answers from " +
    when.toLocaleString("en-GB", { dateStyle: "long", timeStyle: "short" }) +
    " have been put back. They are kept in this browser only.";
  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0";
  clear.textContent = "Clear the form and the saved draft";
  clear.addEventListener("click", () => {
    onClear();
    box.remove();
  });
  box.append(text, clear);
  form.prepend(box);
}

function enhanceDraft(form) {
  const store = storage();
  if (!store) return;
  let timer = null;
  const save = () => {
    clearTimeout(timer);
    timer = setTimeout(() => saveDraft(form, store), 300);
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  if (form.hasAttribute("data-app-draft-restore")) {
    let draft = null;
    try {
      draft = JSON.parse(store.getItem(DRAFT_KEY) || "null");
    } catch {
      draft = null;
    }
    if (draft && Array.isArray(draft.answers) && draft.answers.length) {
      restoreDraft(form, draft);
      draftNotice(form, draft.saved, () => {
        store.removeItem(DRAFT_KEY);
        carriedOf(form).forEach((el) => el.remove());
        for (const el of fieldsOf(form)) {
          if (el.type === "checkbox" || el.type === "radio") el.checked = false;
          else if (el.tagName === "SELECT") el.selectedIndex = 0;
          else el.value = el.name === "last_reviewed" ? el.defaultValue : "";
        }
        form.querySelector("input, textarea, select")?.focus();
      });
    }
  } else {
    saveDraft(form, store); // the answers just checked are the latest draft
  }
}
