/* "My meeting" on the home page: suggestions as you type, from /api/meetings/lookup.
 *
 * The field works without this file (the server looks the typed text up and offers a
 * choice); with it, a <datalist> offers up to 30 matching meetings as the peer types.
 * No inline script (strict CSP): the endpoint comes from the input's data-lookup.
 */
(function () {
  "use strict";
  function start() {
    var input = document.getElementById("meeting");
    var list = document.getElementById("meeting-options");
    if (!input || !list || !window.fetch) { return; }
    var endpoint = input.getAttribute("data-lookup");
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2 || q === asked) { return; }
      timer = setTimeout(function () {
        asked = q;
        fetch(endpoint + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {results: []}; })
          .then(function (body) {
            if (q !== input.value.trim()) { return; }
            list.textContent = "";
            body.results.forEach(function (m) {
              var option = document.createElement("option");
              option.value = m.name;
              option.label = m.when || "";
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience; the form still works */ });
      }, 200);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
