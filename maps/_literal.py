"""Rendered map text is never compiled again as a Jinja template.

folium renders each element with its Jinja template and then wraps the *rendered* text in a
new ``branca.element.Element``, whose constructor compiles that text as a template once more.
Two faults follow: any ``{{ ... }}`` or ``{% ... %}`` in user text (an association's name in
a tooltip, a need's title in a popup) is evaluated on the server, outside any sandbox, and a
map of 600 markers spends most of its time (5 s on the demo's coverage map) compiling 1,900
throwaway templates.

While a figure renders (``Figure.render``, reached by every way of drawing a map:
:func:`maps.render_map`, ``get_root().render()``, a notebook's ``_repr_html_``), an
``Element`` built from a string keeps that string as it is. Templates made outside a render
(folium's own class templates, a figure's page template) compile as before. The switch is per
thread, so one worker thread building a map is not affected by another rendering one.

Examples
--------
>>> import folium
>>> m = folium.Map(tiles=None)
>>> _ = folium.Marker([53.5, -2.6], tooltip="Club {{ 7*7 }} {% if 1 %}x{% endif %}").add_to(m)
>>> html = m.get_root().render()
>>> "Club {{ 7*7 }} {% if 1 %}x{% endif %}" in html, "Club 49" in html
(True, False)
"""

from __future__ import annotations

import threading
import types
from typing import Any

import branca.element

_state = threading.local()
_compile = branca.element.Template
_figure_render = branca.element.Figure.render


class LiteralTemplate:
    """Text that renders as itself, whatever it contains."""

    module = types.SimpleNamespace()

    def __init__(self, source: str) -> None:
        self.source = source

    def render(self, *_args: Any, **_kwargs: Any) -> str:
        """The text, unchanged."""
        return self.source


def _template(source: Any, *args: Any, **kwargs: Any) -> Any:
    if getattr(_state, "depth", 0) and isinstance(source, str) and not args and not kwargs:
        return LiteralTemplate(source)
    return _compile(source, *args, **kwargs)


def _render(self: branca.element.Figure, **kwargs: Any) -> str:
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        return str(_figure_render(self, **kwargs))
    finally:
        _state.depth -= 1


def install() -> None:
    """Make branca's ``Element`` keep rendered text literal while a figure renders (idempotent)."""
    branca.element.Template = _template  # type: ignore[misc,assignment]
    branca.element.Figure.render = _render  # type: ignore[method-assign]


install()

__all__ = ["LiteralTemplate", "install"]
