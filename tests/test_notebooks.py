"""Both notebooks run top to bottom on the demo data (nbclient), and are stored without outputs."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ("coverage_analysis.ipynb", "matching_explained.ipynb")


def _read(name: str):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(NOTEBOOKS / name, as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    nb = _read(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == []
        assert cell.execution_count is None


@pytest.fixture(scope="module")
def executed():
    """Both notebooks, run concurrently (each in its own kernel) to keep the suite fast."""
    pytest.importorskip("ipykernel", reason="ipykernel is needed to run the notebooks")
    nbclient = pytest.importorskip("nbclient")
    notebooks = {name: _read(name) for name in NAMES}
    # "python3" is the kernel of the interpreter running pytest (jupyter_client starts
    # sys.executable for it), so the notebooks see the same installed packages.
    clients = [nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                       resources={"metadata": {"path": str(NOTEBOOKS)}})
               for nb in notebooks.values()]

    async def run_all() -> None:
        await asyncio.gather(*(c.async_execute() for c in clients))

    with warnings.catch_warnings():
        # jupyter_client/zmq deprecations at kernel start-up are theirs, not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.run(run_all())
    return notebooks


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_on_the_demo(executed, name):
    nb = executed[name]
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    if name == "coverage_analysis.ipynb":
        assert "Covered:" in text
        assert "people" in text
        assert "greedy adds" in text
        assert "MCLP adds" in text
        assert "Wigan Peer Recovery Network" in html
    else:
        assert "open opportunities within 10 km were scored" in text
    assert "leaflet" in html.lower()  # the map is drawn inline
