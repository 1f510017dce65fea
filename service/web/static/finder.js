/* The meeting finder's map and list, "Near me" and "Share": CommonGround, no build step.
 *
 * Reads data- attributes written by the server (no inline script, for a strict CSP):
 *   #finder-map     data-leaflet-css, data-leaflet-js, data-tiles, data-attribution
 *   li[data-n]      data-lat, data-lon, data-kind (only meetings people go to: online ones
 *                   are never pinned)
 *   a[data-share]   the link to share (navigator.share, else the clipboard)
 * A marker carries its list number (one marker per place: "4 +2" when three meetings share
 * it, data-ns lists them all); choosing a marker highlights its list entries, choosing
 * "Show n on the map" highlights its marker. The peer's position ("Near me") is put in the
 * form for this one request and is not kept anywhere.
 */
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  /* ---------------------------------------------------------------- near me */
  function nearMe() {
    var button = document.getElementById("near-me");
    var form = document.getElementById("finder-form");
    if (!button || !form) { return; }
    var near = document.getElementById("near");
    var lat = document.getElementById("lat");
    var lon = document.getElementById("lon");
    var status = document.getElementById("near-me-status");
    form.addEventListener("submit", function () {
      if (near.value.trim()) { lat.disabled = true; lon.disabled = true; }
    });
    if (!("geolocation" in navigator)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Asking your browser...";
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(4);
        lon.value = pos.coords.longitude.toFixed(4);
        lat.disabled = false; lon.disabled = false;
        near.value = "";
        form.submit();
      }, function () {
        status.textContent = "Your location is not available: type a postcode or town.";
      }, {maximumAge: 600000, timeout: 10000});
    });
  }

  /* ---------------------------------------------------------------- share */
  function share() {
    each(document.querySelectorAll("a[data-share]"), function (link) {
      var status = document.getElementById("share-status");
      link.addEventListener("click", function (event) {
        var url = link.href;
        if (navigator.share) {
          event.preventDefault();
          navigator.share({title: link.getAttribute("data-title") || document.title, url: url})
            .catch(function () { /* the peer closed the share sheet */ });
        } else if (navigator.clipboard && window.isSecureContext) {
          event.preventDefault();
          navigator.clipboard.writeText(url).then(function () {
            if (status) { status.textContent = "Link copied: " + url; }
          }, function () { if (status) { status.textContent = url; } });
        }
      });
    });
  }

  /* ---------------------------------------------------------------- map + list */
  function load(tag, attrs, done, failed) {
    var el = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { el[k] = attrs[k]; });
    el.onload = done;
    el.onerror = failed;
    document.head.appendChild(el);
  }

  function finderMap() {
    var box = document.getElementById("finder-map");
    if (!box) { return; }
    var items = document.querySelectorAll("#finder-list li[data-lat]");
    var wrap = document.getElementById("finder-map-wrap");
    var toggle = document.getElementById("map-toggle");
    var note = box.querySelector(".map-note");
    var map = null;
    var markers = {};
    var bounds = [];

    function say(text) { if (note) { note.textContent = text; } }

    if (!items.length) { say("None of these meetings has a place on the map."); return; }

    /* Meetings at one place share one marker ("1 +2"), so none is buried under another. */
    function placeOf(n) {
      var li = document.querySelector('#finder-list li[data-n="' + n + '"]');
      return li ? placeKey(li) : null;
    }

    function placeKey(li) {
      return parseFloat(li.getAttribute("data-lat")).toFixed(5) + "," +
             parseFloat(li.getAttribute("data-lon")).toFixed(5);
    }

    function select(n, from) {
      var key = placeOf(n);
      var place = markers[key];
      each(document.querySelectorAll("#finder-list li.selected"), function (li) {
        li.classList.remove("selected");
      });
      Object.keys(markers).forEach(function (k) {
        var el = markers[k].marker.getElement();
        if (el) { el.classList.toggle("selected", k === key); }
      });
      /* From the map: every meeting at that place; from the list: the one chosen. */
      var chosen = from === "map" && place ? place.ns : [String(n)];
      each(chosen, function (k) {
        var li = document.querySelector('#finder-list li[data-n="' + k + '"]');
        if (li) { li.classList.add("selected"); }
      });
      var first = document.querySelector('#finder-list li[data-n="' + chosen[0] + '"]');
      if (from === "map" && first) {
        first.scrollIntoView({block: "nearest"});
        var link = first.querySelector("h3 a");
        if (link) { link.focus({preventScroll: true}); }
      }
      if (from === "list" && place && map) {
        map.panTo(place.marker.getLatLng());
        place.marker.openTooltip();
      }
    }

    function escape(text) {
      return text.replace(/[&<>"]/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c];
      });
    }

    function draw() {
      var L = window.L;
      map = L.map(box, {scrollWheelZoom: false});
      var tiles = box.getAttribute("data-tiles");
      if (tiles) {
        L.tileLayer(tiles, {maxZoom: 19,
          attribution: box.getAttribute("data-attribution") || ""}).addTo(map);
      }
      var places = [];
      each(items, function (li) {
        var key = placeKey(li);
        if (!markers[key]) {
          markers[key] = {ns: [], names: [], kinds: [],
                          latlng: [parseFloat(li.getAttribute("data-lat")),
                                   parseFloat(li.getAttribute("data-lon"))]};
          places.push(key);
        }
        markers[key].ns.push(li.getAttribute("data-n"));
        markers[key].names.push(li.querySelector("h3 a").textContent);
        markers[key].kinds.push(li.getAttribute("data-kind") === "hybrid" ? "hybrid" : "in-person");
      });
      each(places, function (key) {
        var place = markers[key];
        var n = place.ns[0];
        var more = place.ns.length - 1;
        var kind = place.kinds.indexOf("in-person") < 0 ? "hybrid" : "in-person";
        var icon = L.divIcon({className: "pin pin-" + kind + (more ? " pin-many" : ""),
                              html: "<span>" + n + "</span>" +
                                    (more ? "<small>+" + more + "</small>" : ""),
                              iconSize: [more ? 40 : 28, 28], iconAnchor: [more ? 20 : 14, 14]});
        var title = place.ns.map(function (k, i) { return k + ". " + place.names[i]; });
        /* A pointer target, not a tab stop: overlapping pins would fail WCAG 2.5.8 and bury
           the list under dozens of tab stops. The list item (its link and "Show n on the
           map") is the keyboard's way to the same meeting. */
        var marker = L.marker(place.latlng, {icon: icon, title: title.join("; "),
                                             keyboard: false, riseOnHover: true});
        marker.bindTooltip(title.map(escape).join("<br>"), {direction: "top", offset: [0, -12]});
        marker.on("click", function () { select(n, "map"); });
        /* the marker's element exists once the map has a view: name its meetings then */
        marker.on("add", function () { marker.getElement().setAttribute("data-ns", place.ns.join(" ")); });
        marker.addTo(map);
        place.marker = marker;
        bounds.push(place.latlng);
      });
      map.fitBounds(bounds, {padding: [24, 24], maxZoom: 14});
      if (note) { note.remove(); }
    }

    each(document.querySelectorAll("#finder-list [data-show]"), function (button) {
      button.addEventListener("click", function () {
        if (wrap && wrap.classList.contains("folded") && toggle) { toggle.click(); }
        select(button.getAttribute("data-show"), "list");
      });
    });
    each(items, function (li) {
      li.addEventListener("mouseenter", function () {
        var m = markers[placeKey(li)];
        if (m && m.marker && m.marker.getElement()) { m.marker.getElement().classList.add("hover"); }
      });
      li.addEventListener("mouseleave", function () {
        var m = markers[placeKey(li)];
        if (m && m.marker && m.marker.getElement()) { m.marker.getElement().classList.remove("hover"); }
      });
    });

    /* On a phone the list comes first and the map is one tap away, at the top. */
    if (toggle && wrap) {
      var phone = window.matchMedia("(max-width: 899px)");
      var fold = function () {
        toggle.hidden = !phone.matches;
        wrap.classList.toggle("folded", phone.matches && toggle.getAttribute("aria-expanded") !== "true");
        if (map && !wrap.classList.contains("folded")) {  /* drawn while folded: size it now */
          map.invalidateSize();
          map.fitBounds(bounds, {padding: [24, 24], maxZoom: 14});
        }
      };
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.textContent = open ? "Hide map" : "Show map";
        fold();
        if (open) { wrap.scrollIntoView({block: "start"}); }
      });
      if (phone.addEventListener) { phone.addEventListener("change", fold); }
      fold();
    }

    if (window.L) { draw(); return; }
    if (!box.getAttribute("data-leaflet-js")) {
      say("The map is not available here; the list has every meeting.");
      return;
    }
    say("Loading the map...");
    load("link", {rel: "stylesheet", href: box.getAttribute("data-leaflet-css")},
         function () {}, function () {});
    load("script", {src: box.getAttribute("data-leaflet-js")}, function () {
      if (window.L) { draw(); } else { say("The map could not load; the list has every meeting."); }
    }, function () { say("The map could not load; the list has every meeting."); });
  }

  function start() { nearMe(); share(); finderMap(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
