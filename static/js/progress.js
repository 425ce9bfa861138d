// The page of a long job (an import, a billing run) follows its progress: the element
// marked data-progress holds the job's status part, which the server also serves alone (its
// data-url) and which says data-running="true" while the job goes on. The end is announced
// to screen readers (data-progress-announce names the live region), and the page reloads
// when data-progress-reload is set (what the job wrote shows below). Without JavaScript, the
// status part offers a refresh link.
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("[data-progress]"), function (container) {
    var announce = document.getElementById(container.getAttribute("data-progress-announce"));
    var interval = parseInt(container.getAttribute("data-progress-interval"), 10) || 2000;
    var reload = container.hasAttribute("data-progress-reload");

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
            window.setTimeout(poll, interval);
          } else if (now) {
            if (announce) announce.textContent = now.getAttribute("data-announce");
            if (reload) window.location.reload();
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }

    window.setTimeout(poll, interval);
  });
})();
