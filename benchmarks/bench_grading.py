"""Batch grading throughput: submissions per minute, locally and through Dask.

Grades N copies of the fixture submissions (a mix of correct, partly correct and untouched
notebooks, or with ``--hostile`` every fixture, attacks included) in full sandboxes, first with
the local process pool, then on a ``dask.distributed.LocalCluster`` with one single-threaded
worker process per CPU. Cluster start-up is not counted. Run
``python benchmarks/bench_grading.py [--count N] [--hostile]``; ``benchmarks/run.py`` calls
``main()``. Never part of ``make test``.
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


def make_submissions(folder: Path, count: int, hostile: bool) -> None:
    """Copy fixture notebooks under learner names until there are ``count`` of them."""
    pool = (sorted(FIXTURES.joinpath("submissions").glob("*.ipynb")) if hostile
            else [FIXTURES / "submissions" / f"{name}.ipynb" for name in HONEST])
    folder.mkdir(parents=True)
    for number in range(count):
        shutil.copy(pool[number % len(pool)], folder / f"learner-{number:04d}.ipynb")


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
    parser.add_argument("--count", type=int, default=40, help="submissions to grade (40)")
    parser.add_argument("--hostile", action="store_true", help="grade every fixture, attacks too")
    args = parser.parse_args([] if argv is None else argv)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-") as tmp:
        folder = Path(tmp) / "submissions"
        make_submissions(folder, args.count, args.hostile)
        kind = "fixture mix with attacks" if args.hostile else "honest mix"
        print(f"{args.count} submissions ({kind}), {workers} CPUs, uid {os.geteuid()}")
        local = timed_grade(folder, Path(tmp) / "local.csv", workers=workers)
        print(f"local pool ({workers} workers): {local:6.1f} s  "
              f"{60 * args.count / local:7.1f} submissions/minute")
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            distributed = timed_grade(folder, Path(tmp) / "dask.csv", scheduler=client)
        print(f"dask ({workers} worker processes): {distributed:6.1f} s  "
              f"{60 * args.count / distributed:7.1f} submissions/minute")


if __name__ == "__main__":
    main(sys.argv[1:])
