"""Re-execute course notebooks in place so that their stored outputs are the reference nbval
compares against.

Every notebook is run top to bottom in a fresh ``python3`` kernel (nbclient, no timing
records) with a fixed hash seed, then cleaned: no execution timings, kernelspec ``python3`` and
the kernel's own ``language_info`` (version included: JupyterLab writes exactly that into a
notebook it opens, so anything else marks an untouched notebook modified), consecutive prints
joined into one output, widget model ids numbered in order. What still changes from run to run
is what the code itself prints that way: memory addresses, the random element ids of SVG
drawings and animation players (nbval_sanitize.cfg masks them for nbval).

    python tools/execute_notebooks.py                      # notebooks/*.ipynb
    python tools/execute_notebooks.py notebooks/03_*.ipynb solutions/
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DEFAULT_DIRS = ("notebooks",)


def notebook_paths(args: list[str]) -> list[Path]:
    """The notebooks named on the command line (folders expand to their ``*.ipynb``), sorted."""
    paths: list[Path] = []
    for arg in args or DEFAULT_DIRS:
        path = Path(arg)
        if path.is_dir():
            paths.extend(sorted(p for p in path.glob("*.ipynb")
                                if ".ipynb_checkpoints" not in p.parts))
        elif path.suffix == ".ipynb" and path.exists():
            paths.append(path)
        else:
            raise SystemExit(f"no such notebook or folder: {arg}")
    return paths


def _renumber_widgets(nb: Any) -> None:
    """Replace the random model ids of widget outputs by ``widget-1``, ``widget-2``, ..."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and "model_id" in view:
                count += 1
                view["model_id"] = f"widget-{count}"


def _keep_still_pictures(outputs: list) -> None:
    """A widget whose output also carries a still picture keeps only the picture: widget state
    is not stored, and JupyterLab would show "model not found" for the view until the cell
    runs again (then the live widget replaces the picture)."""
    for output in outputs:
        data = output.get("data", {})
        if WIDGET_VIEW in data and any(key.startswith("image/") for key in data):
            del data[WIDGET_VIEW]


def _merge_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream: how the kernel flushed them varies by run."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def clean(nb: Any) -> Any:
    """Strip what changes from run to run or machine to machine; keep outputs and tags."""
    nb.metadata.pop("widgets", None)  # widget state with random model ids
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if "language_info" not in nb.metadata:  # nbclient copies the kernel's reply; keep it as is
        raise RuntimeError("the kernel reported no language_info")
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
            _keep_still_pictures(cell.outputs)
    _renumber_widgets(nb)
    return nb


def execute(path: Path, timeout: int = 300) -> float:
    """Run the notebook at ``path`` in its own folder and write it back, cleaned; the seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.validate(nb)
    nbformat.write(clean(nb), path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ["PYTHONHASHSEED"] = "0"  # the kernel inherits it: the same set order each run
    for path in notebook_paths(args.paths):
        seconds = execute(path, timeout=args.timeout)
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
