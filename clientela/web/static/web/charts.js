// Clientela charts: draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">
// (written by Django's json_script), with the vendored Chart.js. No inline JavaScript is needed in templates,
// and every chart keeps its table view and CSV link in the page, so nothing is lost without JavaScript.
//
// The JSON spec (the same for every app):
//   {"type": "bar" | "stacked-bar" | "line" | "doughnut",
//    "labels": ["Jan 2026", ...],
//    "datasets": [{"label": "Won", "data": [1200.5, null, ...], "type": "line" (optional, mixes types)}],
//    "horizontal": false,          // bars left to right (e.g. a funnel by stage)
//    "currency": "EUR",            // values are money in this currency (axis and tooltips formatted)
//    "percent": false,             // values are percentages
//    "xTitle": "", "yTitle": "",   // optional axis titles
//    "histogram": false,           // bars touch each other (a distribution over value bands)
//    "links": ["/customers/?..."]} // optional, one per label: clicking that label's bar opens the address
// "scatter" takes datasets of points: {"label": "Customers", "data": [{"x": 12.5, "y": 80.1}, ...]}; its y
// values are formatted like the other charts' values (percent, currency), x as plain numbers.
(function () {
  "use strict";
  // Okabe-Ito, in order (docs UX guide, section 7): distinguishable with colour-blindness.
  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "rectRounded"];
  var DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3]];

  function formatter(spec) {
    var lang = document.documentElement.lang || undefined;
    var options = { maximumFractionDigits: 0 };
    if (spec.currency) { options = { style: "currency", currency: spec.currency, maximumFractionDigits: 0 }; }
    if (spec.percent) { options = { style: "percent", maximumFractionDigits: 1 }; }
    var format;
    try { format = new Intl.NumberFormat(lang, options); } catch (e) { format = new Intl.NumberFormat(); }
    return function (value) {
      if (value === null || value === undefined || isNaN(value)) { return ""; }
      return format.format(spec.percent ? value / 100 : value);
    };
  }

  function config(spec) {
    var type = spec.type || "bar";
    var stacked = type === "stacked-bar";
    var doughnut = type === "doughnut";
    var scatter = type === "scatter";
    var format = formatter(spec);
    var datasets = (spec.datasets || []).map(function (set, i) {
      var colour = COLOURS[i % COLOURS.length];
      var own = set.type || (stacked ? "bar" : type);
      var out = { label: set.label, data: set.data, type: own === "doughnut" ? undefined : own };
      if (doughnut) {
        out.backgroundColor = set.data.map(function (_, j) { return COLOURS[j % COLOURS.length]; });
      } else if (own === "scatter") {
        out.borderColor = colour; out.backgroundColor = colour + "99"; out.pointStyle = POINTS[i % POINTS.length];
        out.pointRadius = 3;
      } else if (own === "line") {
        out.borderColor = colour; out.backgroundColor = colour; out.pointStyle = POINTS[i % POINTS.length];
        out.pointRadius = 4; out.spanGaps = false; out.tension = 0;
        // dashes as a second cue: lines that coincide stay distinguishable
        out.borderDash = DASHES[i % DASHES.length];
      } else {
        out.backgroundColor = colour; out.borderColor = colour; out.maxBarThickness = 48;
        if (spec.histogram) { out.barPercentage = 1; out.categoryPercentage = 1; out.maxBarThickness = undefined; out.borderColor = "#ffffff"; out.borderWidth = 1; }
      }
      return out;
    });
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var options = {
      // "links": one address per label: clicking a bar opens the list behind it (the table view has the
      // same links, for the keyboard)
      onClick: spec.links ? function (event, elements) {
        if (!elements.length) { return; }
        var url = spec.links[elements[0].index];
        if (url) { window.location.assign(url); }
      } : undefined,
      onHover: spec.links ? function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      } : undefined,
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 150 },
      plugins: {
        legend: { display: datasets.length > 1 || doughnut, position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              if (scatter) {
                return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + ctx.parsed.x + ", " + format(ctx.parsed.y);
              }
              var value = ctx.parsed && typeof ctx.parsed === "object"
                ? (spec.horizontal ? ctx.parsed.x : ctx.parsed.y) : ctx.parsed;
              return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + format(value);
            }
          }
        }
      }
    };
    if (!doughnut) {
      var valueAxis = { stacked: stacked, beginAtZero: true, ticks: { callback: function (v) { return format(v); } } };
      var labelAxis = { stacked: stacked };
      options.indexAxis = spec.horizontal ? "y" : "x";
      options.scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
      if (scatter) { options.scales.x = { type: "linear", beginAtZero: true }; }
      if (spec.xTitle) { options.scales.x.title = { display: true, text: spec.xTitle }; }
      if (spec.yTitle) { options.scales.y.title = { display: true, text: spec.yTitle }; }
    }
    return { type: doughnut ? "doughnut" : (stacked ? "bar" : type), data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw(canvas) {
    if (canvas.dataset.chartDrawn || typeof window.Chart === "undefined") { return; }
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    canvas.dataset.chartDrawn = "1";
    canvas.hidden = false;
    new window.Chart(canvas, config(spec));
    canvas.dispatchEvent(new CustomEvent("clientela:chart-drawn", { bubbles: true }));
  }

  function drawAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("canvas[data-chart]"), draw);
  }

  window.ClientelaCharts = { draw: draw, drawAll: drawAll, config: config };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // Fragments swapped in by htmx (e.g. dashboard tiles) draw their charts too.
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
