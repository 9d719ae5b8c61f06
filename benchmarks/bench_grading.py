"""Batch grading throughput: submissions per minute, honest batches and mixed batches.

Grades N copies of the fixture submissions in full sandboxes with the local process pool
(2 workers by default, the target machine's count): first an **honest** batch (correct, partly
correct, untouched and noisy notebooks), then a **mixed** batch where every fifth submission
is hostile (every attack fixture in turn: hangs, crashes, bombs, forged results, oracles, huge
answers, crash-replay loops) among the same honest ones. With ``--dask`` both also run on a
``dask.distributed.LocalCluster`` (start-up not counted). Run
``python benchmarks/bench_grading.py [--count N] [--workers W] [--dask]``;
``benchmarks/run.py`` calls ``main()``. Never part of ``make test``. Target: honest batches
at 150 submissions/minute or more with 2 workers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "grading"
HONEST = ("correct", "partly-correct", "not-attempted", "warnings-on-stderr")
HOSTILE_FOLDERS = ("hostile", "holes")
TARGET = 150.0


def hostile_pool() -> list[Path]:
    """Every attack fixture: the hostile submissions of the sandbox tests and issue 13's holes."""
    attacks = [p for folder in HOSTILE_FOLDERS for p in sorted((FIXTURES / folder).glob("*.ipynb"))]
    attacks += [FIXTURES / "submissions" / f"{name}.ipynb" for name in (
        "sleeps-forever", "os-exit", "forks", "floods-output", "allocates-without-bound")]
    return attacks


def make_submissions(folder: Path, count: int, mixed: bool) -> int:
    """Copy fixture notebooks under learner names; return how many are hostile."""
    honest = [FIXTURES / "submissions" / f"{name}.ipynb" for name in HONEST]
    attacks, hostile = hostile_pool(), 0
    folder.mkdir(parents=True)
    for number in range(count):
        if mixed and number % 5 == 4:
            source, hostile = attacks[hostile % len(attacks)], hostile + 1
        else:
            source = honest[number % len(honest)]
        shutil.copy(source, folder / f"learner-{number:04d}.ipynb")
    return hostile


def timed_grade(folder: Path, out: Path, **options) -> float:
    """Seconds to grade the folder from scratch (reference run of the solution included)."""
    from gradlab.grading import Limits, grade

    start = time.perf_counter()
    records = grade(folder, FIXTURES / "solutions" / "fx.ipynb", out, fresh=True,
                    progress=False, limits=Limits(timeout=5, memory=1 << 30), **options)
    elapsed = time.perf_counter() - start
    assert len(records) == len(list(folder.glob("*.ipynb")))
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="submissions per batch (40)")
    parser.add_argument("--workers", type=int, default=2, help="local grading processes (2)")
    parser.add_argument("--dask", action="store_true", help="also grade on a LocalCluster")
    args = parser.parse_args([] if argv is None else argv)
    print(f"{os.cpu_count()} CPUs, uid {os.geteuid()}, {args.workers} workers, "
          f"{args.count} submissions per batch")
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-") as tmp:
        for kind in ("honest", "mixed"):
            folder = Path(tmp) / kind
            hostile = make_submissions(folder, args.count, kind == "mixed")
            local = timed_grade(folder, Path(tmp) / f"{kind}.csv", workers=args.workers)
            rate = 60 * args.count / local
            note = (f" (target ≥ {TARGET:g}: {'met' if rate >= TARGET else 'MISSED'})"
                    if kind == "honest" else f" ({hostile} hostile among {args.count})")
            print(f"{kind:6} local pool: {local:6.1f} s  {rate:7.1f} submissions/minute{note}")
            if args.dask:
                from dask.distributed import Client, LocalCluster

                with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster, \
                        Client(cluster) as client:
                    distributed = timed_grade(folder, Path(tmp) / f"{kind}-dask.csv",
                                              scheduler=client)
                print(f"{kind:6} dask:       {distributed:6.1f} s  "
                      f"{60 * args.count / distributed:7.1f} submissions/minute")


if __name__ == "__main__":
    main(sys.argv[1:])
