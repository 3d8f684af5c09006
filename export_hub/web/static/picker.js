// Searchable pickers for the product form's category and Amazon product
// type: as the company types (Korean or English words), suggestions come
// from the application's own search (same origin, CSP script-src 'self')
// into the input's <datalist>. Without JavaScript the datalist still lists
// every choice and the search page works.
(function () {
  "use strict";
  var URL_BASE = "/company/taxonomy/search.json";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var kind = input.getAttribute("data-picker");
    var timer = null;
    var asked = "";
    function fill(results) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      results.forEach(function (r) {
        var option = document.createElement("option");
        option.value = r.value;
        option.textContent = r.label_ko + " / " + r.label_en;
        list.appendChild(option);
      });
    }
    function search() {
      var q = input.value.trim();
      if (!q || q === asked) { return; }
      asked = q;
      var url = URL_BASE + "?kind=" + encodeURIComponent(kind) + "&q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.q === input.value.trim() && data.results.length) { fill(data.results); }
        })
        .catch(function () { /* keep the suggestions already shown */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-picker]"), attach);
})();
