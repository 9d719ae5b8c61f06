"""``gradlab grade``: grade every submission, in parallel locally or on a Dask cluster.

``grade_submission`` is one task (read, plan, run in sandboxes, score) and never raises;
``grade`` finds the submissions, skips those already in the gradebook, fans the rest out to a
process pool (or ``dask.distributed`` with ``scheduler=``) and records each as it finishes.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .assignment import Assignment, find_solution, load_assignment
from .execute import execute
from .gradebook import Gradebook
from .limits import Limits
from .planner import plan_submission
from .reference import compute_references
from .results import grader_error, invalid_record, score_submission
from .submissions import InvalidNotebook, Submission, find_submissions


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
    except Exception as error:  # a grader bug costs one record, not the batch
        record = grader_error(assignment, error)
    record.update(learner=submission.learner, file=submission.name,
                  assignment=assignment.name, seconds=round(time.monotonic() - started, 3))
    return record


def _die_with_grader() -> None:
    """Pool initializer: a worker is killed when the grader dies (Linux), its sandbox with it."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def _local(pending: list[Submission], assignment: Assignment, limits: Limits,
           workers: int) -> Iterator[dict]:
    """A process pool; a worker that dies is replaced and its submission tried once more."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    tries: dict[str, int] = {}
    queue = list(pending)
    while queue:
        # fork: workers need nothing from __main__, so unguarded scripts work too
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"),
                                 initializer=_die_with_grader) as pool:
            futures = {pool.submit(grade_submission, s, assignment, limits): s for s in queue}
            queue = []
            for future in as_completed(futures):
                submission = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool as error:
                    tries[submission.learner] = tries.get(submission.learner, 0) + 1
                    if tries[submission.learner] >= 2:
                        record = grader_error(assignment, error)
                        record.update(learner=submission.learner, file=submission.name,
                                      assignment=assignment.name, seconds=0.0)
                        yield record
                    else:
                        queue.append(submission)


def _dask(pending: list[Submission], assignment: Assignment, limits: Limits,
          scheduler: Any) -> Iterator[dict]:
    """One Dask task per submission; notebooks travel as bytes, so workers need no shared disk."""
    from dask.distributed import Client, as_completed

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
        for future in as_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()


def grade(submissions: str | Path, assignment: str | Path | Assignment,
          out: str | Path = "grades.csv", *, json_path: str | Path | None = None,
          solutions: str | Path = "solutions", workers: int | None = None,
          limits: Limits | None = None, scheduler: Any = None, fresh: bool = False,
          progress: bool = True, learner_pattern: str | None = None) -> list[dict]:
    """Grade a folder, a folder of learner folders, or an LMS zip; return every record.

    Args:
        submissions: the folder or zip.
        assignment: a solution notebook path, an :class:`Assignment`, or a name looked up in
            ``solutions``.
        out: the CSV gradebook; the journal ``<out>.jsonl`` beside it makes runs resumable.
        json_path: also write one JSON document with all records and feedback.
        workers: local processes (default: one per CPU).
        limits: time, memory and isolation limits of each submission.
        scheduler: a ``dask.distributed`` scheduler address or ``Client``.
        fresh: forget earlier results instead of resuming.
        learner_pattern: a regex with a ``(?P<learner>...)`` group for file names.
    """
    from tqdm.auto import tqdm

    if not isinstance(assignment, Assignment):
        assignment = load_assignment(find_solution(str(assignment), solutions))
    limits = limits or Limits()
    if limits.isolation == "namespaces" and os.geteuid() != 0:
        raise ValueError("isolation 'namespaces' needs root: run as root, or use 'auto'")
    compute_references(assignment, limits)
    book = Gradebook(out, assignment, json_path, fresh=fresh)
    with tempfile.TemporaryDirectory(prefix="gradlab-submissions-") as workdir:
        found = find_submissions(submissions, workdir, learner_pattern, assignment.name)
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
