// Clientela: small progressive enhancements (the pages work without them).
(function () {
  "use strict";
  // Ctrl+K / Cmd+K and "/" focus the global search.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") || (!typing && event.key === "/")) {
      var box = document.getElementById("global-search");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    }
  });
  // Search results: arrows move through them, Enter opens, Esc closes and returns to the box.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("global-search");
    var list = document.getElementById("search-results");
    if (!box || !list || !list.children.length) { return; }
    var options = Array.prototype.slice.call(list.querySelectorAll(".search-result"));
    var inside = event.target === box || list.contains(event.target);
    if (!inside) { return; }
    var index = options.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault(); options[Math.min(index + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault(); if (index <= 0) { box.focus(); } else { options[index - 1].focus(); }
    } else if (event.key === "Escape") {
      list.innerHTML = ""; box.setAttribute("aria-expanded", "false"); box.focus();
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "search-results") {
      var box = document.getElementById("global-search");
      if (box) { box.setAttribute("aria-expanded", event.target.children.length ? "true" : "false"); }
    }
  });
  // Inline contact point rows: "Add" clones the empty template row; "Remove" marks an existing row deleted.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-contact]");
    if (add) {
      event.preventDefault();
      var container = document.getElementById("contact-rows");
      var template = document.getElementById("contact-row-template");
      var total = document.getElementById("id_cp-TOTAL_FORMS");
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      container.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = container.lastElementChild.querySelector("select, input");
      if (first) { first.focus(); }
      return;
    }
    var remove = event.target.closest("[data-remove-contact]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest(".contact-row");
      var flag = row.querySelector("input[name$='-DELETE']");
      if (flag) { flag.checked = true; }
      row.hidden = true;
    }
  });
  // Show only the inputs that belong to the chosen contact kind.
  function syncKind(row) {
    var kind = row.querySelector("select[name$='-kind']");
    if (!kind) { return; }
    row.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) === -1;
    });
  }
  function syncAll(root) { (root || document).querySelectorAll(".contact-row").forEach(syncKind); }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-kind']")) { syncKind(event.target.closest(".contact-row")); }
    if (event.target.matches("select[name='kind'][data-party-kind]")) { syncPartyKind(); }
  });
  function syncPartyKind() {
    var select = document.querySelector("select[name='kind'][data-party-kind]");
    if (!select) { return; }
    document.querySelectorAll("[data-party-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-party-kinds").split(" ").indexOf(select.value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { syncAll(); syncPartyKind(); });
  // Instant validation: tell the server which field changed, so it answers for that field only.
  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.triggeringEvent && event.detail.triggeringEvent.target;
    if (trigger && trigger.name) { event.detail.headers["X-Field"] = trigger.name; }
  });
  document.addEventListener("htmx:afterSwap", function (event) { syncAll(event.target); });
  // After instant validation refilled the error slots, mark each input invalid or valid again.
  function syncInvalid() {
    document.querySelectorAll("ul.errorlist[id^='err-']").forEach(function (list) {
      var input = document.getElementsByName(list.id.slice(4))[0];
      if (!input) { return; }
      if (list.children.length) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    });
  }
  document.addEventListener("htmx:afterSettle", syncInvalid);
  document.addEventListener("htmx:oobAfterSwap", syncInvalid);
})();
