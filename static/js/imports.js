// The back office's « Imports »: a file too big is refused before it is sent (the page of a
// running import follows its progress through progress.js).
(function () {
  "use strict";

  var input = document.querySelector("[data-import-form] input[type=file][data-max-bytes]");
  if (input) {
    input.form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      if (!file || file.size <= max) return;
      event.preventDefault();
      var id = input.id + "_error";
      var message = document.getElementById(id);
      if (!message) {
        message = document.createElement("p");
        message.className = "error";
        message.id = id;
        input.parentNode.appendChild(message);
        input.parentNode.classList.add("field-error");
      }
      var mb = function (n) { return (n / 1024 / 1024).toFixed(1).replace(".", ",") + " Mo"; };
      message.textContent = "Le fichier est trop volumineux (" + mb(file.size) + ") : " +
        mb(max) + " au plus. Rien n'a été importé.";
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
      input.setAttribute("aria-invalid", "true");
      input.focus();
    });
  }
})();
