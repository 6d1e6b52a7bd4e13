/* Character counters for long text fields. Without JavaScript the help text still says the
   limit and the server checks it; with it, the count shows as you type and is announced to
   screen readers a moment after typing stops. */
(function () {
  "use strict";
  function setUp(area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    var limit = parseInt(area.getAttribute("maxlength") || out.getAttribute("data-limit"), 10);
    var format = out.getAttribute("data-format") || "__COUNT__ / __LIMIT__";
    var over = out.getAttribute("data-over") || "";
    var live = document.getElementById(out.id + "_live");
    var timer = null;
    function text() {
      var count = area.value.replace(/\r\n/g, "\n").length;
      var message = format.replace("__COUNT__", count.toLocaleString()).replace("__LIMIT__", limit.toLocaleString());
      if (count > limit) message += " " + over;
      out.classList.toggle("counter--over", count > limit);
      return message;
    }
    function update() {
      out.textContent = text();
      if (live) {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { live.textContent = out.textContent; }, 800);
      }
    }
    out.hidden = false;
    var described = (area.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(out.id) < 0) described.push(out.id);
    area.setAttribute("aria-describedby", described.join(" "));
    out.textContent = text();
    area.addEventListener("input", update);
  }
  function init() {
    var areas = document.querySelectorAll("textarea[data-counter]");
    for (var i = 0; i < areas.length; i++) setUp(areas[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
