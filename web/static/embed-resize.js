/*
 * For tender pages that frame /embed/recommend: fits each such iframe to its content.
 *   <script src="https://kb.example/static/embed-resize.js" async></script>
 * Only messages from this service's own origin, and only from a frame on this page, are obeyed;
 * the height is clamped, so a frame cannot take over the page.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script ? new URL(script.src, document.baseURI).origin : null;
  window.addEventListener("message", function (event) {
    if (!origin || event.origin !== origin) return;
    var h = event.data && event.data.svkbEmbedHeight;
    if (typeof h !== "number" || !isFinite(h)) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.max(120, Math.min(Math.round(h), 4000)) + "px";
        frames[i].setAttribute("scrolling", "no");
      }
    }
  });
})();
