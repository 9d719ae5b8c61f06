"""The sandbox a submission runs in: user, file system, network, limits, timeouts, kills."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from support import GRADING_FIXTURES as FIXTURES
from support import namespaces_available

from gradlab.grading.execute import execute
from gradlab.grading.kernel import run_job
from gradlab.grading.limits import Limits, parse_size
from gradlab.grading.plan import Plan
from gradlab.grading.users import BASE_UID, SLOTS, acquire_user

LIMITS = Limits(timeout=4, memory=768 << 20, output=4 << 20, processes=16, file_size=1 << 20)


root_only = pytest.mark.skipif(not namespaces_available(),
                               reason="needs root allowed to create namespaces")


def cells(*questions):
    """One segment per (code, expression) pair: the code runs, then the expression is captured."""
    plan = []
    for number, (code, expr) in enumerate(questions):
        plan.append({"kind": "code", "segment": number, "source": code})
        plan.append({"kind": "capture", "segment": number,
                     "captures": [{"check": number, "expr": expr, "calls": None}]})
    return plan


USED_UIDS = []  # the sandbox uid of each run in this test process, latest last


def run(code, expr, limits=LIMITS, files=None):
    user = acquire_user()
    USED_UIDS.append(user.uid if user is not None else None)
    try:
        return run_job(cells((code, expr)), limits, user, files or {})
    finally:
        if user is not None:
            user.release()


def value(code, expr, limits=LIMITS):
    result = run(code, expr, limits)
    answer = result.answers.get(0)
    assert answer is not None, (result.failure, result.reason, result.stderr)
    return answer.get("value", answer.get("error"))


def real_uid(pid):
    """A process's real uid from /proc (its /proc folder belongs to root once it setuid)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return -1


def sandbox_processes(uid=None, wait=3.0):
    """Live processes of one sandbox uid (default: this process's latest run; other xdist
    workers grade in parallel under other uids), waiting up to ``wait`` seconds for
    SIGKILLed ones to go."""
    if uid is None:
        uid = USED_UIDS[-1] if USED_UIDS else None
    wanted = range(BASE_UID, BASE_UID + SLOTS) if uid is None else (uid,)
    deadline = time.monotonic() + wait
    while True:
        found = []
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and real_uid(pid) in wanted:
                    found.append(pid)
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@root_only
def test_the_learner_runs_unprivileged_in_a_home_holding_only_the_submission():
    result = run("import os", "(os.getuid(), os.getgid(), os.getgroups(), os.getcwd(), "
                 "sorted(os.listdir('.')), sorted(os.environ))", files={"submission.ipynb": b"{}"})
    assert result.isolation == "namespaces"
    uid, gid, groups, cwd, listing, env = result.answers[0]["value"]
    assert BASE_UID <= uid < BASE_UID + SLOTS and gid == uid and groups == []
    assert cwd == "/learner" and listing == ["submission.ipynb"]
    assert set(env) <= {"PATH", "LANG", "LC_ALL", "MPLBACKEND", "OPENBLAS_NUM_THREADS",
                        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED", "HOME",
                        "TMPDIR", "USER", "MPLCONFIGDIR", "LC_CTYPE"}


@root_only
def test_solutions_tests_and_the_grader_files_are_invisible(tmp_path):
    secret = tmp_path / "grades.csv"
    secret.write_text("x")
    repository = Path(__file__).parents[2]
    paths = [str(FIXTURES / "solutions" / "fx.ipynb"), str(Path(__file__)), str(secret),
             str(repository / "solutions"), "/etc/shadow"]
    seen, listing = value("import os", f"([os.path.exists(p) for p in {paths!r}], "
                          f"sorted(os.listdir({str(repository)!r})))")
    assert seen == [False] * len(paths)
    assert set(listing) <= {".venv", "venv", "gradlab"}  # only what Python needs


@root_only
def test_no_other_process_is_visible_and_the_supervisor_cannot_be_killed():
    pids, error = value(
        "import os, signal\ntry:\n    os.kill(1, signal.SIGKILL)\n    error = None\n"
        "except OSError as e:\n    error = type(e).__name__",
        "(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), error)")
    assert pids == [1, 2] and error == "PermissionError"


@root_only
def test_there_is_no_network():
    error = value("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), 1)\n"
                  "    error = None\nexcept OSError as e:\n    error = type(e).__name__", "error")
    assert error in ("OSError", "TimeoutError", "ConnectionRefusedError")


@root_only
def test_many_empty_files_stop_at_the_inode_limit_of_the_sandbox_disk():
    """Empty files fill no space, but each one holds kernel memory the size limit does not
    count: the sandbox's file system has an inode limit too (one per 2 KB of disk)."""
    code = ("import os\ncount, error = 0, None\ntry:\n    while count < 200_000:\n"
            "        os.close(os.open(f'f{count}', os.O_CREAT | os.O_WRONLY))\n"
            "        count += 1\nexcept OSError as e:\n    error = e.errno")
    count, error = value(code, "[count, error]")
    assert error == 28 and count <= LIMITS.disk // 2048, (count, error)  # ENOSPC


def test_the_memory_limit_turns_a_huge_allocation_into_memory_error():
    error = value("import numpy as np\ntry:\n    np.ones(10**10)\n    error = None\n"
                  "except MemoryError as e:\n    error = 'MemoryError'", "error")
    assert error == "MemoryError"


@root_only
def test_the_process_limit_stops_a_fork_bomb():
    forked = value("import os, time\nforked = 0\ntry:\n    while True:\n"
                   "        if os.fork() == 0:\n            time.sleep(60)\n        forked += 1\n"
                   "except OSError:\n    pass", "forked")
    assert 0 < forked < LIMITS.processes
    assert sandbox_processes() == []


def test_the_file_size_limit_stops_a_huge_file():
    error = value("try:\n    open('big', 'wb').write(b'x' * (2 << 20))\n    error = None\n"
                  "except OSError as e:\n    error = e.errno", "error")
    assert error == 27  # EFBIG


def test_a_hanging_question_times_out_and_the_next_ones_still_run():
    plan = Plan(cells(("import signal\nfor s in (signal.SIGALRM, signal.SIGINT):\n"
                       "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass", "1"),
                      ("x = 41", "x + 1"), ("import time\ntime.sleep(60)", "2")),
                {0: ["a"], 1: ["b"], 2: ["c"]})
    started = time.monotonic()
    result = execute(plan, LIMITS, {})
    assert time.monotonic() - started < 3 * (LIMITS.timeout + LIMITS.grace) + 5
    late = ("timed out", f"ran longer than {LIMITS.timeout:g} s")
    assert result.failed == {0: late, 2: late}
    assert result.answers == {1: {"value": 42}} and result.runs == 2


def test_a_killed_kernel_costs_only_its_question_and_earlier_state_is_replayed():
    plan = Plan(cells(("x = 1", "x"), ("import os\nos._exit(3)", "0"), ("y = x + 1", "y")),
                {0: ["a"], 1: ["b"], 2: ["c"]})
    result = execute(plan, LIMITS, {})
    assert result.failed[1][0] == "crashed" and "exited with code 3" in result.failed[1][1]
    assert result.answers == {0: {"value": 1}, 2: {"value": 2}}


def test_a_flood_of_output_is_stopped_but_megabytes_are_fine():
    assert value("for _ in range(3):\n    print('x' * 1_000_000)", "'ok'") == "ok"
    result = run("while True:\n    print('spam' * 2500)", "0")
    assert result.failure == "crashed" and result.reason == "printed more than 4 MB"
    assert result.output_bytes > LIMITS.output


@root_only
def test_daemonized_grandchildren_do_not_outlive_the_run():
    code = ("import os, time\nif os.fork() == 0:\n    try:\n        os.setsid()\n"
            "    except OSError:\n        pass\n    if os.fork() == 0:\n"
            "        time.sleep(300)\n    os._exit(0)\ntime.sleep(0.2)")
    assert value(code, "'done'") == "done"
    assert sandbox_processes() == []


@root_only
def test_killing_the_grader_kills_its_sandbox():
    here = Path(__file__).parent  # this file, and support.py in the folder above it
    script = (f"import sys; sys.path[:0] = [{str(here)!r}, {str(here.parent)!r}]\n"
              "from test_grading_sandbox import run, Limits, acquire_user\n"
              "import gradlab.grading.users as users\n"
              "user = acquire_user(); print(user.uid, flush=True)\n"
              "users.acquire_user = lambda: user\n"
              "import test_grading_sandbox as t; t.acquire_user = lambda: user\n"
              "run('import time\\ntime.sleep(300)', '0', Limits(timeout=300))")
    workdirs = set(Path(tempfile.gettempdir()).glob("gradlab-sandbox-*"))
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        uid = int(grader.stdout.readline())
        deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
        while not sandbox_processes(uid, wait=0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sandbox_processes(uid, wait=0), "the sandbox never started"
    finally:
        grader.kill()
        grader.wait()
    # the supervisors notice the grader is gone within a poll (0.5 s), later when loaded
    assert sandbox_processes(uid, wait=30) == []
    for left in set(Path(tempfile.gettempdir()).glob("gradlab-sandbox-*")) - workdirs:
        try:  # only ours: other graders' sandboxes are live and come and go
            if left.stat().st_uid == uid:
                left.rmdir()  # the killed grader could not remove its (empty) work folder
        except FileNotFoundError:
            pass


def test_basic_isolation_keeps_limits_timeouts_and_plain_data():
    basic = Limits(timeout=1, memory=768 << 20, isolation="basic")
    result = run("import numpy as np\nx = np.arange(3.0)", "x * 2", basic)
    assert result.isolation == "basic" and result.answers[0]["value"].tolist() == [0.0, 2.0, 4.0]
    assert run("while True:\n    pass", "0", basic).timed_out == {0}


def test_answers_that_are_not_data_come_back_as_errors():
    error = value("class Sneaky:\n    def __reduce__(self):\n        return (print, ('pwned',))",
                  "Sneaky()")
    assert error == {"type": "Unsupported", "message": "an answer of type Sneaky cannot be graded"}


@pytest.mark.parametrize("text, size", [("512M", 512 << 20), ("2G", 2 << 30), ("1.5GiB", 3 << 29),
                                        ("1000", 1000), (2048, 2048)])
def test_sizes_read_like_the_command_line_writes_them(text, size):
    assert parse_size(text) == size


def test_limits_refuse_nonsense():
    with pytest.raises(ValueError, match="too small"):
        Limits(memory=1 << 20)
    with pytest.raises(ValueError, match="isolation"):
        Limits(isolation="docker")


@pytest.fixture
def slow_cleanup_between_questions(tmp_path, monkeypatch):
    """A runner whose cleanup between questions (``end_strays``) takes its full 2 s, as on a
    loaded machine or with a stray process slow to die: the grader's copy, patched."""
    from gradlab.grading import kernel

    folder = tmp_path / "grading"
    shutil.copytree(Path(kernel.__file__).parent, folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    runner = folder / "runner.py"
    source = runner.read_text()
    anchor = '    if mode not in ("namespaces", "bubblewrap"):\n        return\n'
    assert anchor in source
    runner.write_text(source.replace(anchor, anchor + "    _sleep(2.0)\n", 1))
    monkeypatch.setattr(kernel, "RUNNER", runner)


@root_only
def test_slow_cleanup_between_questions_neither_cuts_finished_questions_nor_scores_unattempted(
        slow_cleanup_between_questions):
    from support import FX_SOLUTION

    from gradlab.grading import grade_notebook
    from gradlab.grading.assignment import load_assignment

    assignment = load_assignment(FX_SOLUTION)
    limits = Limits(timeout=1, memory=768 << 20)  # a grace of 0.5 s, shorter than the cleanup
    correct = grade_notebook(FIXTURES / "submissions" / "correct.ipynb", assignment, limits)
    untouched = grade_notebook(FIXTURES / "exercises" / "fx.ipynb", assignment, limits)
    assert (correct["status"], correct["total"], correct["runs"]) == ("graded", 9, 1), correct
    assert untouched["total"] == 0, untouched
    assert {q["status"] for q in untouched["questions"].values()} == {"not attempted"}, untouched
