"""What pages load: the maps' libraries from our own server, per-response nonces, map frames.

* ``/static/vendor/<path>``: Leaflet and Leaflet.markercluster from the installed
  ``xstatic-*`` packages (:func:`maps.vendor_file` is the allow-list), with an ETag and a day
  of caching. Their licences are ``/static/vendor/LICENSES.txt``.
* :func:`csp_nonce`: a random nonce per response; every ``<script>`` of a page and of its
  maps carries it, and the Content-Security-Policy (:mod:`service.web.security`) allows
  scripts with it and from this site only.
* :func:`map_document`: a folium map as the HTML document of a sandboxed ``<iframe srcdoc>``
  (``sandbox="allow-scripts"``, no ``allow-same-origin``): the map's scripts run in an opaque
  origin, so they can neither read the page nor call the site with its session. Tiles come
  from ``MAP_TILES`` (:mod:`service.config`).
"""

from __future__ import annotations

import mimetypes
import secrets
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import request
from flask import url_for

from maps import render_map
from maps import tile_source
from maps import vendor_file
from maps._assets import MEDIA_TYPES
from maps._assets import retile

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("vendor", __name__)
#: How long browsers may keep a vendor file without asking again (it changes with a release).
VENDOR_MAX_AGE = 86_400
#: How long browsers may keep the site's stylesheet without asking again.
STATIC_MAX_AGE = 3600


@bp.get("/static/vendor/<path:path>")
def vendor(path: str) -> ResponseReturnValue:
    """A file of the maps' libraries (404 for anything not on the allow-list)."""
    if path == "LICENSES.txt":
        return static_file("vendor/LICENSES.txt")
    found = vendor_file(path)
    if found is None:
        abort(404)
    return file_response(found, MEDIA_TYPES[found.suffix], max_age=VENDOR_MAX_AGE)


def file_response(path: Path, mimetype: str, *, max_age: int) -> Response:
    """A small file read whole (so that it can be compressed), with an ETag and caching.

    Answers 304 to a matching ``If-None-Match``.
    """
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response.make_conditional(request)


def static_file(filename: str) -> ResponseReturnValue:
    """The site's own static files (``/static/...``): ETag, an hour of caching, compressible."""
    folder = Path(str(current_app.static_folder)).resolve()
    found = (folder / filename).resolve()
    if not found.is_relative_to(folder) or not found.is_file():
        abort(404)
    kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return file_response(found, kind, max_age=STATIC_MAX_AGE)


def csp_nonce() -> str:
    """The Content-Security-Policy nonce of this response (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def tile_origin(app: Flask) -> str | None:
    """The scheme and host that map tiles come from (``*.`` for ``{s}``), or ``None``.

    Examples
    --------
    >>> from flask import Flask
    >>> app = Flask("x")
    >>> app.config["MAP_TILES"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    >>> tile_origin(app)
    'https://*.tiles.example.org'
    """
    url, _attribution = tile_source(app.config.get("MAP_TILES"))
    if url is None:
        return None
    parts = urlsplit(url.replace("{s}", "s-placeholder"))
    return f"{parts.scheme}://{parts.netloc.replace('s-placeholder', '*')}"


NONCE_SLOT = "cg-nonce-slot"
"""The nonce of a map document rendered once and cached: :func:`with_nonce` fills it in."""


def map_document(m: Any, *, nonce: str | None = None) -> str:
    """A folium map as an HTML document for a sandboxed frame (libraries from us, nonced).

    ``nonce`` defaults to this response's; :data:`NONCE_SLOT` renders a cacheable document.
    """
    retile(m, current_app.config.get("MAP_TILES"))
    base = url_for("vendor.vendor", path="x").removesuffix("/x")
    return render_map(m, assets=base, nonce=csp_nonce() if nonce is None else nonce)


def with_nonce(document: str) -> str:
    """A cached map document (rendered with :data:`NONCE_SLOT`) with this response's nonce."""
    return document.replace(f'nonce="{NONCE_SLOT}"', f'nonce="{csp_nonce()}"')


def partner_map_assets() -> dict[str, str | None]:
    """What the partner form's "Pick on a map" loads: our Leaflet and the tile setting."""
    url, attribution = tile_source(current_app.config.get("MAP_TILES"))
    return {"css": url_for("vendor.vendor", path="leaflet/leaflet.css"),
            "js": url_for("vendor.vendor", path="leaflet/leaflet.js"),
            "tiles": url, "attribution": attribution}


def init_app(app: Flask) -> None:
    """Register the vendor route and the ``csp_nonce()`` template function."""
    app.register_blueprint(bp)
    app.view_functions["static"] = static_file
    app.jinja_env.globals["csp_nonce"] = csp_nonce


__all__ = ["NONCE_SLOT", "bp", "csp_nonce", "init_app", "map_document", "partner_map_assets",
           "tile_origin", "with_nonce"]
