// The plan page's copy buttons: progressive enhancement (without JavaScript the buttons stay
// hidden and the text can be selected as usual).
document.documentElement.classList.add("app-js");

function copyText(text, button) {
  const done = () => {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {});
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "absolute";
  area.style.left = "-9999px";
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); done(); } catch (e) { /* leave the text selectable */ }
  area.remove();
}

for (const button of document.querySelectorAll("[data-copy], [data-copy-text]")) {
  button.addEventListener("click", () => {
    const target = button.dataset.copy ? document.getElementById(button.dataset.copy) : null;
    const text = target ? target.textContent.trim() : button.dataset.copyText || "";
    if (text) copyText(text, button);
  });
}
