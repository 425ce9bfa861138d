// The page of a billing run follows its progress while it runs (without JavaScript, a
// refresh link says how), and announces its end to screen readers.
(function () {
  "use strict";

  var container = document.getElementById("run-status");
  var announce = document.getElementById("run-announce");
  if (!container) return;

  function status() { return container.querySelector("[data-running]"); }

  function poll() {
    var current = status();
    if (!current || current.getAttribute("data-running") !== "true") return;
    fetch(current.getAttribute("data-url"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        container.innerHTML = html;
        var now = status();
        if (now && now.getAttribute("data-running") === "true") {
          window.setTimeout(poll, 2000);
        } else if (now) {
          if (announce) announce.textContent = now.getAttribute("data-announce");
          // The invoices below were written meanwhile: show them.
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 2000);
})();
