"""Panels drawn on the coverage map: the suggested sites' lists, and the what-if control."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

from branca.element import MacroElement
from branca.element import Template

from maps._common import fmt_int
from maps._common import fmt_km
from maps._common import text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

_PANEL_CSS = """
  .cg-panel { position: fixed; z-index: 9999; background: rgba(255,255,255,0.95);
    padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
    font: 12px/1.4 system-ui, sans-serif; max-width: 340px; max-height: 45vh;
    overflow-y: auto; }
  .cg-panel h2 { margin: 0 0 4px; font-size: 13px; }
  .cg-panel ol { margin: 0; padding-left: 18px; }
  .cg-panel li { margin-bottom: 4px; }
  .cg-panel .cg-dim { color: #555; }
  .cg-panel:focus { outline: 3px solid #f0a500; outline-offset: 2px; }
"""


def _site_item(site: Mapping[str, Any]) -> str:
    places = ", ".join(f"{text(p['name'])} {fmt_int(p['population'])}"
                       for p in site.get("places") or [])
    dev = site.get("devolve_from") or {}
    if dev.get("organisation_id") is not None:
        who = f"devolve from {text(dev.get('name'))} ({text(dev.get('reasons'))})"
    else:
        who = text(dev.get("reasons") or "no organisation to devolve from")
    return (f"<li><b>{text(site['name'])}</b> +{fmt_int(site['added_population'])} people"
            f" <span class='cg-dim'>at {text(site.get('at') or site['name'])}</span>"
            f"<br>reaches {places}<br><span class='cg-dim'>{who}</span></li>")


class SitePanel(MacroElement):
    """A fixed box listing each suggested site: the places it reaches and who devolves it.

    Every piece of text is escaped here. The box scrolls, so it is a named region that takes
    the keyboard focus (arrow keys scroll it).
    """

    _template = Template("""
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="cg-panel cg-sites" id="{{ this.get_name() }}" style="top: 12px; left: 56px;"
             role="region" aria-label="{{ this.title }}" tabindex="0">
          <h2>{{ this.title }}</h2>{% if this.note %}<p role="status">{{ this.note }}</p>{% endif %}
          {% if this.body %}<ol>{{ this.body }}</ol>{% endif %}
        </div>
        {% endmacro %}
    """)

    def __init__(self, sites: Sequence[Mapping[str, Any]], *, title: str,
                 note: str | None = None) -> None:
        super().__init__()
        self._name = "SitePanel"
        self.css = _PANEL_CSS
        self.title = text(title)
        self.note = text(note) if note else ""
        self.body = "".join(_site_item(s) for s in sites)


class WhatIf(MacroElement):
    """Click anywhere: the people a new group there would add, from ``url?lat=&lon=``.

    Any click inside the map counts, on a marker too (the marker also opens its popup);
    clicks on the map's controls and popups, and the click that ends a drag, do not.

    The answer (``{"added_population", "places": [{"name", "population"}]}``) is shown in a
    box; names are inserted as text nodes, never as HTML.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="cg-panel cg-whatif" id="{{ this.get_name() }}"
             style="bottom: 24px; left: 12px;">
          <h2>What if a group started here?</h2>
          <div class="cg-whatif-body">Click the map to see the people a new group there
            would add within {{ this.radius_label }}.</div>
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var box = document.getElementById({{ this.box_id }});
          var body = box.querySelector(".cg-whatif-body");
          var marker = null;
          function line(textValue, bold) {
            var el = document.createElement(bold ? "b" : "div");
            el.textContent = textValue;
            body.appendChild(el);
            if (bold) { body.appendChild(document.createElement("br")); }
          }
          var container = map.getContainer();
          function onControl(el) {  // Leaflet's controls and popups keep their clicks
            for (; el && el !== container; el = el.parentNode) {
              if (el._leaflet_disable_click) { return true; }
            }
            return false;
          }
          // A DOM listener on the map's box, not map.on("click"): Leaflet's markers do not
          // pass clicks on to the map (bubblingMouseEvents: false), so a click that lands on
          // a meeting, a town or a site marker never reached a map "click" handler, and in a
          // city, where markers cover the land, a real click mostly did nothing.
          container.addEventListener("click", function (ev) {
            if (onControl(ev.target) || (map.dragging && map.dragging.moved())) { return; }
            ask(map.mouseEventToLatLng(ev));
          });
          function ask(latlng) {
            var lat = latlng.lat.toFixed(5), lon = latlng.lng.toFixed(5);
            if (marker) { map.removeLayer(marker); }
            marker = L.circle([lat, lon], {radius: {{ this.radius_m }}, color: "#6a3d9a",
                                          weight: 2, fill: false}).addTo(map);
            body.textContent = "Counting...";
            fetch({{ this.url }} + (({{ this.url }}).indexOf("?") < 0 ? "?" : "&")
                  + "lat=" + lat + "&lon=" + lon, {headers: {"Accept": "application/json"}})
              .then(function (r) { return r.json(); })
              .then(function (a) {
                body.textContent = "";
                if (a.error) { line(a.detail || a.error, false); return; }
                line("+" + a.added_population.toLocaleString("en-GB")
                     + " people at " + lat + ", " + lon, true);
                a.places.forEach(function (p) {
                  line(p.name + " " + p.population.toLocaleString("en-GB"), false);
                });
              })
              .catch(function () { body.textContent = "Could not ask the server."; });
          }
          map.on("cg-whatif", function (e) { ask(e.latlng); });  // for scripts and tests
        })();
        {% endmacro %}
    """)

    def __init__(self, url: str, *, radius_km: float) -> None:
        super().__init__()
        self._name = "WhatIf"
        self.css = _PANEL_CSS
        self.url = json.dumps(str(url))
        self.box_id = json.dumps(self.get_name())
        self.radius_m = float(radius_km) * 1000.0
        self.radius_label = text(fmt_km(radius_km))


__all__ = ["SitePanel", "WhatIf"]
