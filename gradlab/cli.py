"""The ``gradlab`` command: ``gradlab assign`` and ``gradlab grade`` (see docs/grading.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gradlab.grading.assign import assign, check_exercises
from gradlab.grading.batch import grade
from gradlab.grading.bubblewrap import IsolationUnavailable
from gradlab.grading.limits import Limits, parse_size
from gradlab.grading.spec import AuthoringError
from gradlab.grading.submissions import visible


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradlab", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Course tools for gradlab: make exercise notebooks, grade submissions.",
        epilog="examples:\n"
               "  gradlab assign solutions/ exercises/\n"
               "  gradlab grade submissions.zip --assignment 04 --out grades.csv --json\n"
               "  gradlab grade submissions/ --assignment 04 --scheduler tcp://host:8786\n\n"
               "The instructor guide is docs/grading.md.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    assign_command = commands.add_parser(
        "assign", help="write the learners' exercise notebooks from the solution notebooks",
        description="Write one exercise notebook per solution notebook: solution regions become "
                    "'# YOUR CODE HERE' + 'raise NotImplementedError', hidden checks and outputs "
                    "are removed, cell ids and metadata stay stable (same input, same bytes).")
    assign_command.add_argument("solutions", metavar="SOLUTIONS_DIR",
                                help="folder of solution notebooks")
    assign_command.add_argument("exercises", metavar="EXERCISES_DIR",
                                help="folder to write exercises to")
    assign_command.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if EXERCISES_DIR differs from what would be "
                             "written (for CI)")

    grade_command = commands.add_parser(
        "grade", help="grade submitted notebooks into a gradebook",
        description="Grade every submission in sandboxes (separate process, unprivileged user, "
                    "resource limits, per-question timeout) and write a CSV gradebook. Results "
                    "are saved as each notebook finishes: rerun the same command to resume.")
    grade_command.add_argument("submissions", metavar="SUBMISSIONS",
                       help="a folder of notebooks, a folder of per-learner folders, or an LMS "
                            "zip download")
    grade_command.add_argument("--assignment", required=True, metavar="ID",
                       help="the solution notebook: a path, or its name (or a unique prefix) in "
                            "--solutions")
    grade_command.add_argument("--solutions", default="solutions", metavar="DIR",
                       help="where --assignment names are looked up (default: solutions)")
    grade_command.add_argument("--out", default="grades.csv", metavar="CSV",
                       help="the gradebook: one row per learner (default: grades.csv); the "
                            "journal CSV-stem.jsonl beside it keeps every result and feedback")
    grade_command.add_argument("--json", nargs="?", const="", default=None, metavar="PATH",
                       help="also write all results with feedback as JSON (default path: the "
                            "CSV's name with .json)")
    grade_command.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local grading processes (default: one per CPU)")
    grade_command.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                       help="wall-clock limit per question (default: 60)")
    grade_command.add_argument("--memory", default="2G", metavar="SIZE",
                       help="memory limit of a learner's code, such as 512M or 2G (default: 2G)")
    grade_command.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="grade on a Dask cluster, e.g. tcp://scheduler:8786")
    grade_command.add_argument("--isolation", choices=("auto", "namespaces", "bubblewrap"),
                       default="auto",
                       help="how sandboxes are isolated: 'namespaces' (as root), 'bubblewrap' "
                            "(without root), or 'auto', the one available (default); where "
                            "neither is, grading stops and says how to get one")
    grade_command.add_argument("--unsafe-no-isolation", action="store_true",
                       help="UNSAFE: run the submissions' code as your own user, able to read "
                            "your files (solutions included), signal your processes and "
                            "rewrite the gradebook; only for notebooks you trust")
    grade_command.add_argument("--learner-pattern", default=None, metavar="REGEX",
                       help="regex with a (?P<learner>...) group to read learner ids from names")
    grade_command.add_argument("--fresh", action="store_true",
                       help="ignore earlier results in the gradebook instead of resuming")
    grade_command.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _assign(args: argparse.Namespace) -> int:
    if args.check:
        problems = check_exercises(args.solutions, args.exercises)
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{args.exercises} is up to date")
        return 1 if problems else 0
    changed = assign(args.solutions, args.exercises)
    print(f"wrote {len(changed)} exercise notebook(s) to {args.exercises}")
    for path in changed:
        print(f"  {path}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    limits = Limits(timeout=args.timeout, memory=parse_size(args.memory),
                    isolation="basic" if args.unsafe_no_isolation else args.isolation)
    json_path = args.json
    if json_path == "":
        json_path = str(Path(args.out).with_suffix(".json"))
    if args.unsafe_no_isolation:
        print("gradlab grade: warning: --unsafe-no-isolation: the submissions' code runs as "
              "you, can read your files and kill your processes", file=sys.stderr)
    skipped: list[str] = []
    records = grade(args.submissions, args.assignment, args.out, json_path=json_path,
                    solutions=args.solutions, workers=args.workers, limits=limits,
                    scheduler=args.scheduler, fresh=args.fresh, progress=not args.no_progress,
                    learner_pattern=args.learner_pattern, skipped=skipped)
    graded = sum(record["status"] == "graded" for record in records)
    print(f"{len(records)} submissions, {graded} graded without problems -> {visible(args.out)}")
    for record in records:  # learners write names, messages and stderr: never print them raw
        if record["status"] != "graded":
            print(f"  {visible(record['learner'])}: {record['status']}: "
                  f"{visible(str(record['reason']))}")
        for note in record.get("notes", []):
            print(f"  {visible(record['learner'])}: {visible(str(note))}")
    for note in skipped:
        print(f"  {visible(note)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradlab`` console command."""
    args = _parser().parse_args(argv)
    try:
        return _assign(args) if args.command == "assign" else _grade(args)
    except IsolationUnavailable as error:
        print(f"gradlab grade: error: {error}\nTo grade anyway, with no isolation (only "
              "notebooks you trust): --unsafe-no-isolation", file=sys.stderr)
        return 2
    except (AuthoringError, FileNotFoundError, ValueError) as error:
        print(f"gradlab {args.command}: error: {visible(str(error))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
