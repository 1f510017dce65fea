"""The demo feed in TSML UI itself (code4recovery/tsml-ui), in headless Chromium.

TSML UI is not part of this project: the test runs when ``COMMONGROUND_TSML_UI_APP_JS`` names
its built ``public/app.js`` (``git show HEAD:public/app.js`` in a clone) and skips otherwise.
On the feed before issue 16 it fails: "Loading error: Error: Invalid unit value 1,5".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from _browser import load_script

APP_JS = os.environ.get("COMMONGROUND_TSML_UI_APP_JS", "")


@pytest.fixture(scope="module")
def app_js() -> Path:
    if not APP_JS or not Path(APP_JS).is_file():
        pytest.skip("set COMMONGROUND_TSML_UI_APP_JS to TSML UI's built public/app.js")
    return Path(APP_JS)


@pytest.mark.parametrize("organisation", [None, 1])
def test_every_public_meeting_shows_active_in_tsml_ui(
    browser: Any, app_js: Path, organisation: int | None
) -> None:
    check = load_script("feed_in_tsml_ui").check_feed_in_tsml_ui
    report = check(browser, app_js, organisation=organisation)
    assert report["errors"] == []
    assert report["warnings"] == []  # no unknown conference_url, no address missing, ...
    assert report["entries"] > 0
    assert report["rows"] == report["entries"]
    assert report["inactive"] == 0
    assert report["blocked"] == []
