// The company search box: as staff type a name or a registration number
// (with or without dashes), suggestions come from /staff/companies/search.json
// (same origin, CSP script-src 'self') into the box's <datalist>. Without
// JavaScript the server still accepts a name or a number in any spelling.
(function () {
  "use strict";
  var URL_BASE = "/staff/companies/search.json";
  function attach(input) {
    if (input.getAttribute("data-company-picker") === "ready") { return; }
    input.setAttribute("data-company-picker", "ready");
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null;
    var asked = "";
    function fill(results) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      results.forEach(function (r) {
        var option = document.createElement("option");
        option.value = r.value;
        list.appendChild(option);
      });
    }
    function search() {
      var q = input.value.trim();
      if (!q || q === asked) { return; }
      asked = q;
      fetch(URL_BASE + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.q === input.value.trim()) { fill(data.results); }
        })
        .catch(function () { /* keep the suggestions already shown */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
  }
  Array.prototype.forEach.call(
    document.querySelectorAll("input[data-company-picker]"), attach);
})();
