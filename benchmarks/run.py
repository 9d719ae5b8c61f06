"""Run every benchmark once and print the ratios (``make bench``); never part of ``make test``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

BENCHMARKS = ["bench_thermometer", "bench_mlp_adam", "bench_grading"]


def main() -> None:
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue
            raise
        print(f"\n== {name} ==")
        module.main()


if __name__ == "__main__":
    main()
