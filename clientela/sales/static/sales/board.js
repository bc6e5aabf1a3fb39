/* The pipeline board: move cards between stages by drag and drop or from the keyboard (Alt+Left/Right
   on a focused card). The server decides: the card and the column totals come back from the move
   endpoint (totals out of band); on a refusal the card goes back where it was and the reason is shown. */
(function () {
  "use strict";

  function columns() { return Array.from(document.querySelectorAll(".board-column")); }

  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "alert alert-" + (kind || "danger");
    div.textContent = text;
    box.appendChild(div);
    setTimeout(function () { div.remove(); }, 6000);
  }

  function askLostReason() {
    var dialog = document.getElementById("lost-dialog");
    return new Promise(function (resolve) {
      if (!dialog || typeof dialog.showModal !== "function") { resolve(null); return; }
      var form = document.getElementById("lost-form");
      form.reset();
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue !== "ok") { resolve(null); return; }
        resolve({ lost_reason: form.lost_reason.value, lost_note: form.lost_note.value });
      });
      dialog.showModal();
    });
  }

  function move(card, column) {
    var from = card.parentElement;
    var next = card.nextElementSibling;
    var list = column.querySelector(".board-cards");
    if (String(card.dataset.stage) === String(column.dataset.stage)) { return; }
    var send = function (extra) {
      list.insertBefore(card, list.firstChild);
      card.classList.add("is-moving");
      var values = Object.assign({ stage: column.dataset.stage, version: card.dataset.version }, extra || {});
      var query = document.querySelector(".board").dataset.moveQuery;
      htmx.ajax("POST", card.dataset.moveUrl + (query ? "?" + query : ""), {
        source: card, target: card, swap: "outerHTML", values: values
      }).then(function () {
        var moved = document.getElementById(card.id);
        if (moved && moved !== card) { moved.focus(); }
      });
      card.addEventListener("htmx:responseError", function (event) {
        from.insertBefore(card, next);
        card.classList.remove("is-moving");
        toast(event.detail.xhr.responseText || "Error");
      }, { once: true });
    };
    if (column.dataset.lost === "1") {
      askLostReason().then(function (reason) { if (reason) { send(reason); } else { card.focus(); } });
    } else {
      send();
    }
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card) { return; }
    event.dataTransfer.setData("text/plain", card.id);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("is-dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (card) { card.classList.remove("is-dragging"); }
    columns().forEach(function (c) { c.classList.remove("is-over"); });
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    columns().forEach(function (c) { c.classList.toggle("is-over", c === column); });
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column) { return; }
    event.preventDefault();
    column.classList.remove("is-over");
    var card = document.getElementById(event.dataTransfer.getData("text/plain"));
    if (card && card.classList.contains("board-card")) { move(card, column); }
  });
  document.addEventListener("keydown", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card || !event.altKey || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) { return; }
    event.preventDefault();
    var all = columns();
    var index = all.indexOf(card.closest(".board-column"));
    var target = all[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (target) { move(card, target); }
  });
})();
