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
  document.querySelectorAll("#run-graph g[data-id], .timeline-bar[data-id]").forEach(function (node) {
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

// Compare tables show only the rows that differ until "show unchanged rows" is ticked.
function wireUnchangedToggles() {
  document.querySelectorAll("input.show-unchanged").forEach(function (box) {
    box.addEventListener("change", function () {
      document.getElementById(box.dataset.table).classList.toggle("only-differing", !box.checked);
    });
  });
}

// Sorts a table's rows by the column whose heading button was pressed; again reverses.
function sortRows(table, button) {
  var heading = button.closest("th");
  var column = Array.prototype.indexOf.call(heading.parentNode.children, heading);
  var ascending = heading.getAttribute("aria-sort") !== "ascending";
  var numeric = button.dataset.kind === "number";
  function key(row) {
    var cell = row.children[column];
    var text = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    if (!numeric) { return text.toLowerCase(); }
    var value = parseFloat(text.replace(/,/g, ""));
    return isNaN(value) ? -Infinity : value;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
  });
  rows.forEach(function (row) { body.appendChild(row); });
  heading.parentNode.querySelectorAll("th").forEach(function (th) { th.setAttribute("aria-sort", "none"); });
  heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
}

function wireSortableTables() {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("button.sort").forEach(function (button) {
      button.addEventListener("click", function () { sortRows(table, button); });
    });
  });
}

// Zoom (buttons, +/- keys, ctrl+wheel) and drag-to-pan for a graph in a scrolling box.
function wireZoom(group) {
  var box = document.getElementById(group.dataset.target);
  var svg = box && box.querySelector("svg");
  if (!svg) { return; }
  var width = svg.width.baseVal.value, height = svg.height.baseVal.value, scale = 1;
  function zoom(next) {
    scale = Math.min(Math.max(next, 0.15), 4);
    svg.setAttribute("width", Math.round(width * scale));
    svg.setAttribute("height", Math.round(height * scale));
    box.dataset.scale = scale.toFixed(2);
  }
  var actions = {
    "zoom-in": function () { zoom(scale * 1.25); }, "zoom-out": function () { zoom(scale / 1.25); },
    "zoom-fit": function () { zoom((box.clientWidth - 20) / width); }, "zoom-reset": function () { zoom(1); }
  };
  Object.keys(actions).forEach(function (name) {
    var button = group.querySelector("." + name);
    if (button) { button.addEventListener("click", actions[name]); }
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "+" || event.key === "=") { actions["zoom-in"](); }
    if (event.key === "-") { actions["zoom-out"](); }
  });
  box.addEventListener("wheel", function (event) {
    if (!event.ctrlKey) { return; }
    event.preventDefault();
    zoom(scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
  }, { passive: false });
  var drag = null;
  box.addEventListener("pointerdown", function (event) {
    if (event.target.closest("a, g[data-id]")) { return; }
    drag = { x: event.clientX, y: event.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    box.scrollLeft = drag.left - (event.clientX - drag.x);
    box.scrollTop = drag.top - (event.clientY - drag.y);
  });
  window.addEventListener("pointerup", function () { drag = null; box.classList.remove("dragging"); });
}

// A node's log lines are fetched the first time its "Log lines" section is opened.
function wireNodeLogs() {
  document.querySelectorAll("details.node-log[data-url]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open || details.dataset.loaded) { return; }
      details.dataset.loaded = "yes";
      var target = details.querySelector("pre");
      fetch(details.dataset.url)
        .then(function (response) { return response.text(); })
        .then(function (text) { target.textContent = text; })
        .catch(function (error) { target.textContent = "could not load the log: " + error; });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  wireNodeLogs();
  document.querySelectorAll(".zoom[data-target]").forEach(wireZoom);
  wireSortableTables();
  wireRunGraph();
  wireUnchangedToggles();
  wireComparePicker();
  var panels = document.querySelector(".panels[data-focus]");
  if (panels && panels.dataset.focus !== "-") { showNodePanel(panels.dataset.focus); }
  var report = document.getElementById("report");
  if (report) { fitReportFrame(report); }
  var refresher = document.querySelector("[data-refresh-url]");
  if (refresher) { refreshWhenChanged(refresher.dataset.refreshUrl); }
});
