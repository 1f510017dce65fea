"""Where a map's libraries and tiles come from, and the map as one HTML document.

Folium links ten files from four CDNs by default (Leaflet, jQuery, Bootstrap, Font Awesome,
glyphicons, Leaflet.awesome-markers and a rotation stylesheet). Our maps use two libraries:
Leaflet and, for big point layers, Leaflet.markercluster. :func:`render_map` keeps those two,
drops the rest, and points the links at a base URL of ours (the service serves the files from
the ``xstatic-leaflet`` and ``xstatic-leaflet-markercluster`` packages under
``/static/vendor/``), or writes the libraries into the document (``assets=None``: a file that
works offline, for ``commonground map ... -o``). Popups are built without jQuery
(:class:`maps._common.Popup`).

Licences: Leaflet 1.9.3 (BSD 2-Clause, (c) Vladimir Agafonkin, CloudMade) and
Leaflet.markercluster 1.4.1 (MIT, (c) Dave Leaver); their texts ship in
``service/web/static/vendor/LICENSES.txt``.
"""

from __future__ import annotations

import base64
import importlib
import re
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.raster_layers import TileLayer
from folium.utilities import remove_empty

from maps import _literal  # noqa: F401  (rendered text stays literal: installed before any map renders)
from maps.tiles import TILES
from maps.tiles import tile_source

if TYPE_CHECKING:
    from collections.abc import Iterator

    import folium

#: Folium's name of each library link we keep -> its file under the vendor folder.
LIBRARIES: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
}
#: First folder of a vendor path -> the xstatic package that holds its files.
PACKAGES = {"leaflet": "xstatic.pkg.leaflet", "markercluster": "xstatic.pkg.leaflet_markercluster"}
#: Kinds of file served from the vendor folder, with their media types.
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
_INLINE = "cg-inline:"
#: The maps' viewport tag: readers may zoom (folium's default forbids it).
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1"'


#: The landmark around the map: as big as the page, the map fills it (folium's 100 %).
MAIN = '<main style="position: relative; width: 100%; height: 100%">'
#: The document's heading: its title, for screen readers only.
HEADING = ('<h1 style="position: absolute; width: 1px; height: 1px; overflow: hidden; '
           'clip: rect(0 0 0 0); white-space: nowrap; margin: 0">{title}</h1>')


def titled(m: folium.Map, title: str) -> folium.Map:
    """Give the document of ``m`` a title (kept when one was set before); return ``m``.

    Examples
    --------
    >>> import folium
    >>> titled(titled(folium.Map(tiles=None), "Coverage map"), "other").get_root().title
    'Coverage map'
    """
    root = m.get_root()
    if not getattr(root, "title", None):
        root.title = escape(title)
    return m


def vendor_file(path: str) -> Path | None:
    """The installed file behind a vendor path such as ``leaflet/images/layers.png``.

    Only ``.js``, ``.css`` and ``.png`` files inside the two packages' data folders are
    answered; anything else (other suffixes, ``..``, unknown packages) is ``None``.

    Examples
    --------
    >>> vendor_file("leaflet/leaflet.js").name
    'leaflet.js'
    >>> vendor_file("leaflet/../../__init__.py") is None
    True
    """
    folder, _, rest = path.partition("/")
    package = PACKAGES.get(folder)
    if package is None or not rest or Path(rest).suffix not in MEDIA_TYPES:
        return None
    try:
        base = Path(importlib.import_module(package).BASE_DIR).resolve()
    except ImportError:
        return None
    found = (base / rest).resolve()
    if not found.is_relative_to(base) or not found.is_file():
        return None
    return found


class UrlTiles(TileLayer):
    """folium's ``TileLayer`` of a URL template (named "Map", up to zoom 19, not in the list).

    The same element folium makes for a URL, without its search of every named provider
    first (``xyzservices`` flattens its whole catalogue on each look-up: a good part of a
    cached map's first render).
    """

    def __init__(self, url: str, *, attr: str) -> None:
        Layer.__init__(self, name="Map", overlay=False, control=False, show=True)
        self._name = "TileLayer"
        self.tile_name = "Map"
        self.tiles = url
        self.options = remove_empty(
            min_zoom=0, max_zoom=19, max_native_zoom=19, no_wrap=False, attribution=attr,
            subdomains="abc", detect_retina=False, tms=False, opacity=1)


def retile(m: folium.Map, tiles: str | None) -> folium.Map:
    """Draw ``m`` on the tiles of a setting (see :func:`tile_source`) instead of its own.

    Examples
    --------
    >>> import folium
    >>> m = retile(folium.Map(), "none")
    >>> "L.tileLayer" in m.get_root().render()
    False
    """
    url, attribution = tile_source(tiles)
    for key in [k for k, v in m._children.items() if isinstance(v, TileLayer)]:
        del m._children[key]
    if url is not None:
        layer = UrlTiles(url, attr=attribution or "Map tiles")
        layer.add_to(m)
        # the tiles go under everything else
        m._children.move_to_end(layer.get_name(), last=False)
    return m


def _elements(root: object) -> Iterator[object]:
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def _library_url(name: str, assets: str | None) -> str:
    if assets is None:
        return _INLINE + name
    return f"{assets.rstrip('/')}/{LIBRARIES[name]}"


def _inline(html: str) -> str:
    def script(found: re.Match[str]) -> str:
        path = vendor_file(LIBRARIES[found["name"]])
        body = path.read_text(encoding="utf-8") if path else ""
        return "<script>" + body.replace("</script", "<\\/script") + "</script>"

    def image(found: re.Match[str]) -> str:
        path = vendor_file(f"leaflet/images/{found['file']}")
        data = base64.b64encode(path.read_bytes()).decode() if path else ""
        return f"url(data:image/png;base64,{data})"

    def style(found: re.Match[str]) -> str:
        path = vendor_file(LIBRARIES[found["name"]])
        css = path.read_text(encoding="utf-8") if path else ""
        # the stylesheet's icons, which it names relative to itself, go in with it
        css = re.sub(r"url\(images/(?P<file>[\w.-]+\.png)\)", image, css)
        return f"<style>{css}</style>"

    html = re.sub(rf'<script src="{_INLINE}(?P<name>\w+)"></script>', script, html)
    return re.sub(rf'<link rel="stylesheet" href="{_INLINE}(?P<name>\w+)"/>', style, html)


def render_map(m: folium.Map, *, assets: str | None = None, nonce: str | None = None) -> str:
    """The map as one HTML document that loads only Leaflet (and markercluster if used).

    The document says its language (``en-GB``), has a title (the figure's, which the
    builders set, else "Map"), repeated as a heading for screen readers, keeps its content
    in a ``<main>`` landmark and lets readers zoom the page: folium's viewport tag forbids
    it (``user-scalable=no``, against WCAG 1.4.4), ours does not.

    Parameters
    ----------
    m
        A map from one of the builders.
    assets
        Base URL of the vendor folder (``/static/vendor``): the libraries are linked from
        there. ``None``: they are written into the document (a self-contained file).
    nonce
        A Content-Security-Policy nonce put on every ``<script>`` of the document.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import folium
    >>> html = render_map(folium.Map(tiles=None), assets="/static/vendor", nonce="abc")
    >>> '<script nonce="abc" src="/static/vendor/leaflet/leaflet.js">' in html
    True
    >>> any(cdn in html for cdn in ("jsdelivr", "cloudflare", "jquery", "bootstrap"))
    False
    >>> '<html lang="en-GB">' in html, "<title>Map</title>" in html, "user-scalable" in html
    (True, True, False)
    """
    for element in _elements(m):
        if isinstance(element, JSCSSMixin):
            element.default_js = [(name, _library_url(name, assets))
                                  for name, _url in type(element).default_js if name in LIBRARIES]
            element.default_css = [(name, _library_url(name, assets))
                                   for name, _url in type(element).default_css
                                   if name in LIBRARIES]
    root = m.get_root()
    if not getattr(root, "title", None):
        root.title = "Map"
    # folium links what it renders into the figure's header; a map rendered before keeps
    # the old links there, so they are cleared first.
    header = getattr(root, "header", None)
    if header is not None:
        for key in [k for k, v in header._children.items()
                    if type(v).__name__ in ("JavascriptLink", "CssLink")]:
            del header._children[key]
    html = str(root.render())
    html = html.replace("<html>", '<html lang="en-GB">', 1)
    html = re.sub(r'<meta name="viewport" content="[^"]*"', VIEWPORT, html, count=1)
    # Everything in a main landmark under a heading only screen readers see (axe: region,
    # landmark-one-main, page-has-heading-one), whether a frame or a page of its own.
    html = html.replace("<body>", f"<body>\n{MAIN}\n{HEADING.format(title=root.title)}", 1)
    html = html.replace("</body>", "</main>\n</body>", 1)
    if assets is None:
        html = _inline(html)
    if nonce is not None:
        html = re.sub(r"<script(?=[\s>])", f'<script nonce="{nonce}"', html)
    return html


__all__ = ["LIBRARIES", "MEDIA_TYPES", "TILES", "VIEWPORT", "render_map", "retile", "tile_source",
           "titled", "vendor_file"]
