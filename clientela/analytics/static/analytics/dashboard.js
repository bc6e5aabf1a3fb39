// Dashboard tiles: the Chart | Table toggle (aria-pressed) and the error state of a tile that failed to load
// (network error or server error), so each tile fails on its own.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".view-toggle [data-view]");
    if (!button) { return; }
    var tile = button.closest(".tile");
    var view = button.dataset.view;
    tile.querySelectorAll(".view-toggle [data-view]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    var chart = tile.querySelector(".chart-box");
    var table = tile.querySelector(".table-wrap");
    if (chart) { chart.hidden = view !== "chart"; }
    if (table) { table.hidden = view !== "table"; }
  });
  function failed(event) {
    var tile = event.detail && event.detail.elt;
    if (!tile || !tile.classList || !tile.classList.contains("tile-loading")) { return; }
    tile.setAttribute("aria-busy", "false");
    tile.setAttribute("data-tile-error", "");
    tile.setAttribute("role", "alert");
    tile.querySelector("p").textContent = tile.dataset.errorText;
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
