// Starling UI: node panels on the run page, auto-refresh while something runs, run picking.
"use strict";

function showNodePanel(executionId) {
  document.querySelectorAll(".node-panel").forEach(function (panel) {
    panel.hidden = panel.dataset.id !== executionId;
  });
  document.querySelectorAll("#run-graph g[data-id]").forEach(function (node) {
    node.classList.toggle("selected", node.dataset.id === executionId);
  });
}

function wireRunGraph() {
  document.querySelectorAll("#run-graph g[data-id]").forEach(function (node) {
    node.addEventListener("click", function () { showNodePanel(node.dataset.id); });
    node.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { showNodePanel(node.dataset.id); }
    });
  });
}

// Sizes the report frame to its whole page, so nothing (e.g. the failing thresholds) hides below.
function fitReportFrame(frame) {
  function fit() {
    var page = frame.contentDocument && frame.contentDocument.documentElement;
    if (!page || frame.contentDocument.URL === "about:blank") { return; }
    frame.style.height = "0px";  // measure the content, not the frame
    frame.style.height = (page.scrollHeight + 2) + "px";
  }
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") { fit(); }
}

// Polls an API URL every 3 s and reloads the page once its answer changes.
function refreshWhenChanged(url) {
  var last = null;
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.text(); })
      .then(function (body) {
        if (last !== null && body !== last) { window.location.reload(); return; }
        last = body;
        window.setTimeout(poll, 3000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
}

function wireComparePicker() {
  var link = document.getElementById("compare-selected");
  if (!link) { return; }
  var boxes = document.querySelectorAll("input.pick");
  function update() {
    // Oldest first, so deltas read as "what changed since the earlier run (or model)".
    var names = Array.prototype.filter.call(boxes, function (b) { return b.checked; })
      .sort(function (a, b) { return Number(a.dataset.id) - Number(b.dataset.id); })
      .map(function (b) { return encodeURIComponent(b.value); });
    var param = link.dataset.param || "runs";
    link.href = "/compare" + (names.length ? "?" + param + "=" + names.join(",") : "");
    link.classList.toggle("ready", names.length >= 2);
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
}

document.addEventListener("DOMContentLoaded", function () {
  wireRunGraph();
  wireComparePicker();
  var panels = document.querySelector(".panels[data-focus]");
  if (panels && panels.dataset.focus !== "-") { showNodePanel(panels.dataset.focus); }
  var report = document.getElementById("report");
  if (report) { fitReportFrame(report); }
  var refresher = document.querySelector("[data-refresh-url]");
  if (refresher) { refreshWhenChanged(refresher.dataset.refreshUrl); }
});
