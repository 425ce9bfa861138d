// Collection calendars: the « Imprimer » button of the year view, and the schedule form of
// the back office showing only the fields its frequency uses. Without JavaScript every
// field stays visible and the browser's own print command works.
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  var kind = document.getElementById("id_kind");
  if (!kind) return;
  var parity = document.getElementById("id_reference_date");
  var ordinal = document.getElementById("id_ordinal");
  function wrapper(input) { return input && input.closest(".field"); }
  function update() {
    var p = wrapper(parity), o = wrapper(ordinal);
    if (p) p.hidden = kind.value !== "biweekly";
    if (o) o.hidden = kind.value !== "monthly";
  }
  kind.addEventListener("change", update);
  update();
})();
