// Polls a sync run's progress (same origin, CSP script-src 'self') and
// updates the page until the run has finished.
(function () {
  "use strict";
  var box = document.getElementById("sync-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  // Codes shown as the page's words (export_hub.labels); unknown ones as they are.
  var labels = JSON.parse(box.getAttribute("data-labels") || "{}");
  function word(domain, code) { return (labels[domain] || {})[code] || code; }
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function show(data) {
    ["status", "sellers_done", "sellers_total", "done", "planned", "error"].forEach(function (name) {
      var el = field(name);
      if (!el) { return; }
      var value = data[name] === null ? "" : String(data[name]);
      el.textContent = name === "status" ? word("status", value) : value;
    });
    var bar = box.querySelector("progress");
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    var body = field("counts");
    if (body) {
      while (body.firstChild) { body.removeChild(body.firstChild); }
      Object.keys(data.counts || {}).sort().forEach(function (action) {
        var row = document.createElement("tr");
        var a = document.createElement("td");
        a.textContent = word("action", action);
        var o = document.createElement("td");
        var outcomes = data.counts[action];
        o.textContent = Object.keys(outcomes).map(function (k) { return word("outcome", k) + " " + outcomes[k]; }).join(", ");
        row.appendChild(a);
        row.appendChild(o);
        body.appendChild(row);
      });
    }
    box.setAttribute("data-finished", data.finished ? "1" : "0");
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        show(data);
        if (!data.finished) { setTimeout(poll, 500); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
