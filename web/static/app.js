// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Search filters: apply as soon as a box is ticked (the "Apply filters" button stays for keyboard users).
const form = document.getElementById("search-form");
if (form) {
  form.querySelectorAll(".govuk-checkboxes__input").forEach((box) => {
    box.addEventListener("change", () => form.requestSubmit());
  });
}
