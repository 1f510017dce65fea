"""What the browser tests share: where Chromium is, and the screenshot scripts as modules."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

CHROMIUM = "/usr/bin/chromium"
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(f"cg_{name}", SCRIPTS / f"{name}.py")
    if spec is None or spec.loader is None:
        msg = f"scripts/{name}.py is missing"
        raise FileNotFoundError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
