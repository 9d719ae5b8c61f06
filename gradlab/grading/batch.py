"""``gradlab grade``: grade every submission, in parallel locally or on a Dask cluster.

``grade_submission`` is one task (read, plan, run in sandboxes, score) and never raises;
``grade`` finds the submissions, skips those already in the gradebook, fans the rest out to a
process pool (or ``dask.distributed`` with ``scheduler=``) and records each as it finishes.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .assignment import Assignment, find_solution, load_assignment
from .bubblewrap import IsolationUnavailable, resolve_isolation
from .execute import execute
from .gradebook import Gradebook
from .limits import Limits
from .planner import plan_submission
from .results import compute_references, grader_error, invalid_record, score_submission
from .submissions import InvalidNotebook, Submission, find_submissions
from .watch import CRASHED


def grade_submission(submission: Submission, assignment: Assignment, limits: Limits) -> dict:
    """Grade one submission; every failure becomes part of the record, nothing is raised."""
    started = time.monotonic()
    try:
        try:
            data = submission.read_bytes()
            plan = plan_submission(assignment, data, limits)
        except (InvalidNotebook, OSError) as error:
            record = invalid_record(assignment, str(error))
        else:
            execution = execute(plan, limits, {"submission.ipynb": data})
            record = score_submission(assignment, plan, execution)
    except IsolationUnavailable:
        raise  # a (Dask) worker that cannot isolate grades nothing rather than zeros
    except Exception as error:  # a grader bug costs one record, not the batch
        record = grader_error(assignment, error)
    record.update(learner=submission.learner, file=submission.name,
                  assignment=assignment.name, seconds=round(time.monotonic() - started, 3))
    if submission.notes:
        record["notes"] = list(submission.notes)
    return record


def _die_with_grader() -> None:
    """Pool initializer: a worker is killed when the grader dies (Linux), its sandbox with it."""
    try:
        ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def _graded_in_pool(submission: Submission, assignment: Assignment, limits: Limits,
                    markers: str) -> dict:
    """A pool task: say which submission this worker started (a file named after the worker),
    then grade it. After a crash of the pool the markers tell who was being graded."""
    with open(os.path.join(markers, str(os.getpid())), "w", encoding="utf-8") as marker:
        marker.write(submission.learner)
    return grade_submission(submission, assignment, limits)


def _started(markers: str) -> set[str]:
    started = set()
    for name in os.listdir(markers):
        try:
            with open(os.path.join(markers, name), encoding="utf-8") as marker:
                started.add(marker.read())
        except OSError:
            pass
    return started


def _local(pending: list[Submission], assignment: Assignment, limits: Limits,
           workers: int) -> Iterator[dict]:
    """A process pool. When a worker dies (killed by a submission, or out of memory), the pool
    breaks and every unfinished submission with it: those no worker had started go to a
    fresh pool; those being graded are graded again one at a time, each in a pool of its
    own, so only a submission that kills its own worker again is recorded as crashed."""
    queue, suspects = list(pending), []
    with tempfile.TemporaryDirectory(prefix="gradlab-pool-") as markers:
        while queue or suspects:
            alone = not queue
            batch = [suspects.pop(0)] if alone else queue
            queue = [] if not alone else queue
            for name in os.listdir(markers):
                os.unlink(os.path.join(markers, name))
            broken = []
            # fork: workers need nothing from __main__, so unguarded scripts work too
            with ProcessPoolExecutor(max_workers=1 if alone else workers,
                                     mp_context=get_context("fork"),
                                     initializer=_die_with_grader) as pool:
                futures = {pool.submit(_graded_in_pool, s, assignment, limits, markers): s
                           for s in batch}
                for future in as_completed(futures):
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken.append(futures[future])
            if broken and alone:
                record = invalid_record(
                    assignment, "the grader's worker process died while grading this "
                    "submission, in the shared pool and again alone: killed by its code, or out "
                    "of memory", CRASHED)
                record.update(learner=broken[0].learner, file=broken[0].name,
                              assignment=assignment.name, seconds=0.0)
                yield record
            elif broken:
                started = _started(markers)
                running = [s for s in broken if s.learner in started] or broken
                suspects += running
                queue += [s for s in broken if s not in running]


def _dask(pending: list[Submission], assignment: Assignment, limits: Limits,
          scheduler: Any) -> Iterator[dict]:
    """One Dask task per submission; notebooks travel as bytes, so workers need no shared disk."""
    # optional dependency, slow to import: lazy
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    batch = uuid.uuid4().hex[:8]
    try:
        [shared] = client.scatter([assignment], broadcast=True)
        futures = []
        for number, submission in enumerate(pending):
            try:
                data = submission.read_bytes() if submission.path else None
            except (InvalidNotebook, OSError):  # graded locally: it fails the same way
                yield grade_submission(submission, assignment, limits)
                continue
            futures.append(client.submit(
                grade_submission, dataclasses.replace(submission, data=data), shared, limits,
                key=f"gradlab-grade-{batch}-{number}", pure=False, retries=1))
        for future in dask_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()


def grade(submissions: str | Path, assignment: str | Path | Assignment,
          out: str | Path = "grades.csv", *, json_path: str | Path | None = None,
          solutions: str | Path = "solutions", workers: int | None = None,
          limits: Limits | None = None, scheduler: Any = None, fresh: bool = False,
          progress: bool = True, learner_pattern: str | None = None,
          skipped: list[str] | None = None) -> list[dict]:
    """Grade a folder, a folder of learner folders, or an LMS zip; return every record.

    Args:
        submissions: the folder or zip.
        assignment: a solution notebook path, an :class:`Assignment`, or a name looked up in
            ``solutions``.
        out: the CSV gradebook; the journal ``<out>.jsonl`` beside it makes runs resumable.
        json_path: also write one JSON document with all records and feedback.
        workers: local processes (default: one per CPU).
        limits: time, memory and isolation limits of each submission. Isolation "auto"
            raises :class:`~gradlab.grading.bubblewrap.IsolationUnavailable` where nothing
            isolates; "basic" (no isolation) is for notebooks you trust.
        scheduler: a ``dask.distributed`` scheduler address or ``Client``.
        fresh: forget earlier results instead of resuming.
        learner_pattern: a regex with a ``(?P<learner>...)`` group for file names.
        skipped: receives the zip members that belong to no learner and were not unpacked
            (everything else skipped is in the ``notes`` of its learner's record).
    """
    from tqdm.auto import tqdm  # optional dependency (the course extra): lazy

    if not isinstance(assignment, Assignment):
        assignment = load_assignment(find_solution(str(assignment), solutions))
    limits = limits or Limits()
    if scheduler is None:  # refuse before anything runs
        limits = dataclasses.replace(limits, isolation=resolve_isolation(limits.isolation))
        compute_references(assignment, limits)
    else:  # Dask workers decide for themselves; the (trusted) solution runs here as it can
        try:
            local = dataclasses.replace(limits, isolation=resolve_isolation(limits.isolation))
        except IsolationUnavailable:
            local = dataclasses.replace(limits, isolation="basic")
        compute_references(assignment, local)
    book = Gradebook(out, assignment, json_path, fresh=fresh)
    with tempfile.TemporaryDirectory(prefix="gradlab-submissions-") as workdir:
        found = find_submissions(submissions, workdir, learner_pattern, assignment.name,
                                 skipped)
        done = book.graded()
        pending = [s for s in found if s.learner not in done]
        bar = tqdm(total=len(found), initial=len(found) - len(pending), unit="notebook",
                   desc=f"grading {assignment.name}", disable=not progress)
        if scheduler is not None:
            records = _dask(pending, assignment, limits, scheduler)
        else:
            records = _local(pending, assignment, limits, workers or os.cpu_count() or 1)
        try:
            for record in records:
                book.add(record)
                bar.update()
        finally:
            bar.close()
    return book.finish()


def grade_notebook(path: str | Path, assignment: Assignment | str | Path,
                   limits: Limits | None = None) -> dict:
    """Grade a single notebook file in this process (handy to check a solution scores full)."""
    if not isinstance(assignment, Assignment):
        assignment = load_assignment(assignment)
    limits = limits or Limits()
    compute_references(assignment, limits)
    path = Path(path)
    return grade_submission(Submission(path.stem, path.name, str(path)), assignment, limits)
