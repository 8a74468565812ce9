// ndgrad.viz step-through page: replays the engine's order over the inline SVG (no libraries).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ndgrad-data").textContent);
  var svg = document.querySelector("#graph svg");
  var panel = document.getElementById("panel");
  var counter = document.getElementById("counter");
  var buttons = { prev: document.getElementById("prev"), next: document.getElementById("next"),
                  play: document.getElementById("play") };
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var steps = data.steps || [];
  var nodes = {}, edges = {}, stepOf = {};
  svg.querySelectorAll("g.node").forEach(function (g) { nodes[g.getAttribute("data-id")] = g; });
  svg.querySelectorAll("g.edge").forEach(function (g) { edges[g.getAttribute("data-id")] = g; });
  steps.forEach(function (s, i) { if (!(s.node in stepOf)) { stepOf[s.node] = i; } });
  var labels = document.createElementNS("http://www.w3.org/2000/svg", "g");
  labels.setAttribute("class", "edge-labels");
  svg.appendChild(labels);
  var current = 0, timer = null, selected = null;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) { return "-"; }
    if (typeof v === "string") { return v; }
    return Number(v.toPrecision(4)).toString();
  }
  function shape(s) { return s === null ? "\u00b7" : "(" + s.join(", ") + ")"; }
  function field(dl, name, value, pre) {
    if (value === null || value === undefined || value === "" ||
        (Array.isArray(value) && value.length === 0)) { return; }
    dl.appendChild(el("dt", name));
    var dd = el("dd");
    if (Array.isArray(value)) {
      var ul = el("ul");
      value.forEach(function (v) { ul.appendChild(el("li", v)); });
      dd.appendChild(ul);
    } else if (pre) {
      dd.appendChild(el("pre", value));
    } else {
      dd.textContent = value;
    }
    dl.appendChild(dd);
  }
  function showRow(i) {
    var s = steps[i], r = s.row;
    panel.textContent = "";
    panel.appendChild(el("h2", "step " + (i + 1) + " / " + steps.length + ": " + r.node));
    var dl = el("dl");
    if (r.flags.length) {
      dl.appendChild(el("p", "gradient flagged: " + r.flags.join(", "), "warn"));
    }
    field(dl, "created at", r.where);
    field(dl, "source", r.code, true);
    field(dl, "module", r.module);
    field(dl, "shapes in \u2192 out", r.input_shapes.map(shape).join(", ") + " \u2192 " +
          r.output_shapes.map(shape).join(", "));
    field(dl, "local derivative rule", r.rule, true);
    field(dl, "|grad| received", r.grad_in.map(fmt).join(", "));
    field(dl, "|grad| sent", r.to.map(function (t) { return "\u2192 " + t.node + ": " + fmt(t.norm); }));
    field(dl, "notes", r.notes);
    panel.appendChild(dl);
    if (r.rule_source) {
      var det = el("details");
      det.appendChild(el("summary", "the rule's source"));
      det.appendChild(el("pre", r.rule_source));
      panel.appendChild(det);
    }
  }
  function showNode(id) {
    if (selected) { selected.classList.remove("selected"); }
    selected = nodes[id];
    if (selected) { selected.classList.add("selected"); }
    if (id in stepOf) { showRow(stepOf[id]); return; }
    var n = data.nodes[id] || {};
    panel.textContent = "";
    panel.appendChild(el("h2", n.name || id));
    var dl = el("dl");
    field(dl, "kind", n.kind);
    field(dl, "shape", n.shape);
    field(dl, "created at", n.source);
    field(dl, "source", n.code, true);
    field(dl, "|grad|", n.grad === null || n.grad === undefined ? "" : fmt(n.grad));
    field(dl, "about", n.tooltip, true);
    panel.appendChild(dl);
  }
  function labelEdge(edge, norm) {
    var path = edge.querySelector("path");
    var len = path.getTotalLength();
    var p = path.getPointAtLength(len / 2);
    var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
    t.setAttribute("x", (p.x + 4).toFixed(1));
    t.setAttribute("y", (p.y - 3).toFixed(1));
    t.setAttribute("class", "edge-label");
    t.textContent = "|g| " + fmt(norm);
    labels.appendChild(t);
  }
  function render() {
    Object.keys(nodes).forEach(function (id) {
      nodes[id].classList.remove("active", "done", "flagged");
    });
    Object.keys(edges).forEach(function (id) { edges[id].classList.remove("used"); });
    labels.textContent = "";
    for (var i = 0; i < current; i++) {
      var g = nodes[steps[i].node];
      if (!g) { continue; }
      g.classList.add(i === current - 1 ? "active" : "done");
      if (steps[i].row.flags.length) { g.classList.add("flagged"); }
    }
    if (current > 0) {
      var s = steps[current - 1];
      s.edges.forEach(function (pair) {
        var e = edges[pair[0]];
        if (e) { e.classList.add("used"); labelEdge(e, pair[1]); }
      });
      showRow(current - 1);
      var active = nodes[s.node];
      if (active && active.scrollIntoView) {
        active.scrollIntoView({ block: "nearest", inline: "nearest",
                                behavior: reduce ? "auto" : "smooth" });
      }
    } else if (data.mode === "steps") {
      panel.textContent = "";
      panel.appendChild(el("p", data.intro, "intro"));
    }
    counter.textContent = "step " + current + " / " + steps.length;
    buttons.prev.disabled = current === 0;
    buttons.next.disabled = current === steps.length;
    buttons.play.textContent = timer ? "\u275a\u275a Pause" : "\u25b6 Play";
  }
  function go(k) {
    current = Math.max(0, Math.min(steps.length, k));
    if (current === steps.length) { stop(); }
    render();
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } }
  function play() {
    if (timer) { stop(); render(); return; }
    if (current === steps.length) { current = 0; }
    timer = setInterval(function () { go(current + 1); }, data.interval);
    render();
  }
  buttons.prev.addEventListener("click", function () { stop(); go(current - 1); });
  buttons.next.addEventListener("click", function () { stop(); go(current + 1); });
  buttons.play.addEventListener("click", play);
  document.addEventListener("keydown", function (ev) {
    if (data.mode !== "steps" || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    if (ev.key === "ArrowRight") { stop(); go(current + 1); }
    else if (ev.key === "ArrowLeft") { stop(); go(current - 1); }
    else if (ev.key === "Home") { stop(); go(0); }
    else if (ev.key === "End") { stop(); go(steps.length); }
    else if (ev.key === " " && !(ev.target instanceof HTMLButtonElement)) { play(); }
    else { return; }
    ev.preventDefault();
  });
  Object.keys(nodes).forEach(function (id) {
    nodes[id].addEventListener("click", function () { showNode(id); });
  });
  render();
})();
