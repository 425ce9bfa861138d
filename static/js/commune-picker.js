// The commune picker's live list (ARIA 1.2 combobox with a listbox popup), on top of a form
// that works without it: submitting the text gives the commune, or the matches as radio
// buttons, or « Aucune commune ne correspond à … » next to the field.
(function () {
  "use strict";
  var form = document.querySelector(".commune-finder");
  if (!form) return;
  var input = form.querySelector("#commune-q");
  var listbox = form.querySelector("#commune-listbox");
  var status = form.querySelector("#commune-status");
  var url = form.getAttribute("data-search-url");
  var authority = form.getAttribute("data-authority") || "";
  var showServed = form.hasAttribute("data-show-served");
  var results = [];
  var active = -1;
  var timer = null;
  var lastQuery = input.value.trim();

  // The pick travels as « commune », like a radio button of the list; empty, it is not sent.
  var keyField = document.createElement("input");
  keyField.type = "hidden";
  keyField.name = "commune";
  keyField.disabled = true;
  input.parentNode.appendChild(keyField);

  // A radio button picked after the live list wins: only one « commune » is sent.
  form.addEventListener("change", function (e) {
    if (e.target.type === "radio" && e.target.name === "commune") {
      keyField.value = "";
      keyField.disabled = true;
    }
  });

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "commune-listbox");

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function label(r) {
    return r.label + (showServed && !r.served ? " (non desservie)" : "");
  }

  function render() {
    listbox.innerHTML = "";
    results.forEach(function (r, i) {
      var li = document.createElement("li");
      li.id = "commune-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.textContent = label(r);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      listbox.appendChild(li);
    });
    if (results.length) {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", "commune-option-" + active);
      var el = document.getElementById("commune-option-" + active);
      if (el && el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(i) {
    var r = results[i];
    if (!r) return;
    input.value = r.label;
    keyField.value = r.key;
    keyField.disabled = false;
    form.querySelectorAll("input[type=radio][name=commune]").forEach(function (radio) {
      radio.checked = false;
    });
    lastQuery = r.label;
    close();
    status.textContent = r.label + " sélectionnée. Validez votre commune.";
  }

  function search() {
    var q = input.value.trim();
    if (q === lastQuery) return;
    lastQuery = q;
    keyField.value = "";
    keyField.disabled = true;
    if (q.length < 2) { results = []; render(); status.textContent = ""; return; }
    var query = "?q=" + encodeURIComponent(q) + (authority ? "&collectivite=" + encodeURIComponent(authority) : "");
    fetch(url + query, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        if (input.value.trim() !== q) return;
        results = data.results || [];
        active = -1;
        render();
        status.textContent = results.length
          ? results.length + " commune" + (results.length > 1 ? "s proposées" : " proposée") + ". Flèches haut et bas pour choisir, Entrée pour valider."
          : "Aucune commune ne correspond à « " + q + " ».";
      })
      .catch(function () { results = []; render(); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      if (!results.length) return;
      e.preventDefault();
      if (listbox.hidden) { render(); }
      active = (active + 1) % results.length;
      render();
    } else if (e.key === "ArrowUp") {
      if (!results.length) return;
      e.preventDefault();
      active = active <= 0 ? results.length - 1 : active - 1;
      render();
    } else if (e.key === "Enter") {
      if (!listbox.hidden && active >= 0) {
        e.preventDefault();
        choose(active);
      }
    } else if (e.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
