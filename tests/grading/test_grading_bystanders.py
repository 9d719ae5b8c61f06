"""A submission's processes cost other learners nothing: they end with their question, they
cannot take more than one sandbox's share of the CPU, and they leave nothing behind."""

import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from support import namespaces_available
from test_grading_sandbox import LIMITS, cells, run, sandbox_processes, value

from gradlab.grading import cgroups
from gradlab.grading.bubblewrap import bwrap_setup
from gradlab.grading.kernel import run_job
from gradlab.grading.users import acquire_user

ISOLATED = pytest.mark.skipif(not namespaces_available() and bwrap_setup() is None,
                              reason="needs root's namespaces or bubblewrap")


def _cgroups_work() -> bool:
    group = cgroups.Cgroup.create(8, 1 << 30) if namespaces_available() else None
    if group is not None:
        group.close()
    return group is not None


CGROUPS = pytest.mark.skipif(not _cgroups_work(),
                             reason="needs root and a writable cgroup file system")

PATIENT = replace(LIMITS, timeout=20)  # these runs measure, they must not time out
SPIN = "def spin():\n    while True:\n        pass\n"


def _groups_of_this_process():
    return [entry for base in cgroups.hierarchies() if base.is_dir()
            for entry in base.iterdir() if entry.name.startswith(f"gradlab-{os.getpid()}-")]


# A killed orphan is reaped by the namespace's init, not by the runner: on a loaded machine it
# may still be listed for a moment when the next question starts, so look for up to 2 s.
SETTLE = ("import os, time\n"
          "def left():\n"
          "    return sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
          "stop = time.monotonic() + 2\n"
          "while len(left()) > 2 and time.monotonic() < stop:\n"
          "    time.sleep(0.01)\n")


@ISOLATED
def test_processes_started_in_one_question_are_gone_in_the_next():
    code = (SPIN + "import os\nchildren = []\nfor _ in range(3):\n    pid = os.fork()\n"
            "    if pid == 0:\n        spin()\n    children.append(pid)\n"
            "if os.fork() == 0:\n    if os.fork() == 0:\n        spin()\n    os._exit(0)\n")
    user = acquire_user()
    try:
        result = run_job(cells((code, "len(children)"), (SETTLE, "left()")), LIMITS, user, {})
    finally:
        if user is not None:
            user.release()
    assert result.answers[0] == {"value": 3}
    left = result.answers[1]["value"]
    assert len(left) == 2, left  # the namespace's init and the runner: no spinner, no daemon


@ISOLATED
def test_a_fork_cannot_start_a_session_of_its_own():
    # The kernel shares the CPU between sessions: one session per fork would take one share
    # per fork from the learners graded beside it.
    code = ("import os\npid = os.fork()\nif pid == 0:\n    try:\n        os.setsid()\n"
            "        os._exit(0)\n    except OSError as error:\n        os._exit(error.errno)\n"
            "status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])")
    assert value(code, "status") == 1  # EPERM


@CGROUPS
def test_each_run_has_a_control_group_of_its_own_removed_at_the_end():
    lines = value("lines = open('/proc/self/cgroup').read().splitlines()", "lines")
    assert any(f"/gradlab-{os.getpid()}-" in line for line in lines), lines
    assert _groups_of_this_process() == []


@CGROUPS
def test_a_run_is_capped_at_one_core_and_its_processes_together_at_its_memory():
    group = cgroups.Cgroup.create(40, 1 << 30)
    try:
        settings = {}
        for folder in group.folders:
            for name in ("cpu.cfs_quota_us", "cpu.max", "pids.max", "memory.limit_in_bytes",
                         "memory.max"):
                if (folder / name).exists():
                    settings[name] = (folder / name).read_text().split()[0]
    finally:
        group.close()
    assert settings.get("cpu.cfs_quota_us", settings.get("cpu.max")) == str(cgroups.PERIOD)
    assert settings.get("pids.max") == "40"
    assert settings.get("memory.limit_in_bytes", settings.get("memory.max")) == str(1 << 30)
    assert not any(folder.exists() for folder in group.folders)


@CGROUPS
def test_a_memory_bomb_spread_over_forks_is_stopped_at_the_runs_memory():
    # RLIMIT_AS counts one process: 12 forks of 600 MB each would hold 7 GB of the machine.
    code = """import os, select, time
r, w = os.pipe()
kids, written, dead = [], 0, 0
for _ in range(12):
    pid = os.fork()
    if pid == 0:
        hog = b"x" * (600 << 20)
        os.write(w, b"1")
        time.sleep(60)
        os._exit(0)
    kids.append(pid)
os.close(w)
deadline = time.monotonic() + 12
while written + dead < 12 and time.monotonic() < deadline:
    if select.select([r], [], [], 0.1)[0]:
        written += len(os.read(r, 64))
    for pid in list(kids):
        if os.waitpid(pid, os.WNOHANG)[0]:
            kids.remove(pid)
            dead += 1
"""
    alive, dead = value(code, "(len(kids), dead)", PATIENT)
    assert alive <= 2 and dead >= 10  # the group's memory (memory + disk) holds one hog
    assert sandbox_processes() == []


@CGROUPS
def test_spinning_forks_cannot_starve_a_learner_graded_beside_them():
    seconds = 3.0
    hostile = (SPIN + "import os, time\nstarted = time.monotonic()\nchildren = []\n"
               "for _ in range(12):\n    pid = os.fork()\n    if pid == 0:\n        try:\n"
               "            os.setsid()  # a session, so a CPU share, of its own\n"
               "        except OSError:\n            pass\n        spin()\n"
               "    children.append(pid)\n"
               f"time.sleep({seconds})\nticks = 0\nfor pid in children:\n"
               "    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()\n"
               "    ticks += int(fields[11]) + int(fields[12])\n"
               "cores = ticks / os.sysconf('SC_CLK_TCK') / (time.monotonic() - started)")
    honest = ("import time\nstarted, cpu = time.monotonic(), time.process_time()\n"
              f"while time.monotonic() - started < {seconds}:\n    pass\n"
              "share = (time.process_time() - cpu) / (time.monotonic() - started)")
    with ThreadPoolExecutor(2) as pool:
        spun = pool.submit(value, hostile, "cores", PATIENT)
        time.sleep(0.5)  # the forks are spinning when the honest run starts
        share = pool.submit(value, honest, "share", PATIENT).result()
        cores = spun.result()
    # in groups of their own, both runs get the same share; 12 spinning processes sharing
    # the CPU with one honest one would get 12 times its share
    assert cores <= 1.1, cores
    assert share >= 0.4 * cores, (share, cores)


def test_a_flood_of_small_messages_on_the_event_pipe_stops_its_question():
    # Each line would cost the grader's own process a json.loads, outside every sandbox
    # limit: about half a core for as long as the question's timeout.
    flood = ("import gc, os\n"
             "channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel')\n"
             "while True:\n    os.write(channel.fd, b'{}\\n' * 100000)")
    result = run(flood, "0", PATIENT)
    assert (result.failure, result.reason) == (
        "crashed", "sent more messages than the grader asked for")


@ISOLATED
def test_the_kernel_keyring_is_closed_so_nothing_passes_to_the_next_learner():
    # The kernel keeps a keyring per uid after the run: the next learner graded under the same
    # sandbox uid could read what this one stored there.
    code = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "serial = libc.syscall(SYS_ADD_KEY, b'user', b'answers', b'75,-12', 6, -4)\n"
            "errno = ctypes.get_errno()\n"
            "if serial > 0:\n    libc.syscall(SYS_KEYCTL, 3, serial, 0, 0, 0)  # revoke: no trace")
    numbers = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(os.uname().machine)
    if numbers is None:
        pytest.skip("the seccomp filter covers x86_64 and aarch64")
    code = code.replace("SYS_ADD_KEY", str(numbers[0])).replace("SYS_KEYCTL", str(numbers[1]))
    assert value(code, "(serial, errno)") == [-1, 1]  # EPERM


def test_work_folders_of_a_killed_grader_are_removed_and_live_ones_kept():
    finished = subprocess.Popen(["true"])
    finished.wait()
    base = Path(tempfile.gettempdir())
    stale = base / f"gradlab-sandbox-{finished.pid}-stale"
    live = base / f"gradlab-sandbox-{os.getpid()}-live"  # this process: alive
    stale.mkdir()
    live.mkdir()
    try:
        assert value("x = 1", "x") == 1
        assert not stale.exists() and live.exists()
    finally:
        for folder in (stale, live):
            if folder.exists():
                folder.rmdir()
