// Tells the page that frames this one its height, so /static/embed-resize.js there can fit the
// frame to its content (no scrollbar inside a fixed frame). Sends a number only.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function send() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h !== last) {
      last = h;
      window.parent.postMessage({ svkbEmbedHeight: h }, "*");
    }
  }
  send();
  window.addEventListener("load", send);
  if ("ResizeObserver" in window) new ResizeObserver(send).observe(document.documentElement);
})();
