"""The sandbox process: run a submission's cells, report answers as JSON lines, nothing else.

Started by the grader as ``python -I runner.py`` (as root when the grader is root). It reads
the job from stdin, isolates itself (namespaces, see ``isolate.py``), drops to the sandbox
user, applies resource limits, then runs the cells. Events go to a pipe: ``ready``, ``start``
and ``end`` of each cell, ``answer`` for each check, ``done``. Only the standard library and
numpy are imported here, and gradlab's own modules are loaded by path, so a broken or
monkeypatched ``gradlab`` package cannot change how answers are captured.
"""

from __future__ import annotations

import base64
import builtins
import importlib.util
import json
import os
import re
import resource
import signal
import sys
import time

_write, _getpid, _monotonic, _exit = os.write, os.getpid, time.monotonic, os._exit
_dumps, _setitimer, _sigmask = json.dumps, signal.setitimer, signal.pthread_sigmask
_kill, _waitpid, _sleep = os.kill, os.waitpid, time.sleep
HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_gradlab_sandbox_{name}",
                                                  os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class CellTimeout(BaseException):
    """Raised in the learner's code when its question runs out of time."""


class Channel:
    """The event pipe to the grader: one JSON object per line, never interleaved."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_inheritable(fd, False)

    def send(self, **message) -> None:
        data = (_dumps(message, allow_nan=False) + "\n").encode()
        old = _sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            while data:
                data = data[_write(self.fd, data):]
        except OSError:
            _exit(70)  # the learner closed or broke the pipe: nothing more can be reported
        finally:
            _sigmask(signal.SIG_SETMASK, old)


BASIC_PRELOAD = (
    "gradlab.grading", "abc", "ast", "collections", "contextlib", "copy", "csv", "dataclasses",
    "decimal", "enum", "fractions", "functools", "glob", "html", "inspect", "io", "itertools",
    "json", "math", "numbers", "operator", "pathlib", "random", "re", "statistics", "string",
    "tempfile", "textwrap", "time", "traceback", "typing", "warnings",
)


def preload(names: tuple[str, ...] = ("numpy", "gradlab")) -> None:
    """Import modules before dropping privileges, so every run starts warm.

    Basic isolation also preloads common standard modules: when the grader is root and
    Python lives in a folder the sandbox user cannot read (such as /root), later imports fail.
    """
    for name in names:
        try:
            __import__(name)
        except Exception:
            pass


def isolate(job: dict, isolation):
    """Enter the isolation the grader chose; return its name (in the sandbox, never the
    parents). Under bubblewrap the namespaces and the file system are already there."""
    sandbox = job["sandbox"]
    files = {name: base64.b64decode(data) for name, data in sandbox["files"].items()}
    mode = sandbox["isolation"]
    if mode == "namespaces":
        isolation.enter_namespaces()
        isolation.build_root(sandbox["workdir"], sandbox["disk"], sandbox["uid"],
                             sandbox["gid"], files)
        _supervise(isolation)  # returns only in the child
        isolation.enter_root(sandbox["workdir"])
        _supervise(isolation)
        return mode
    if mode == "bubblewrap":
        os.chdir(isolation.HOME)
    else:
        preload(BASIC_PRELOAD)
        os.chdir(sandbox["workdir"])
    for name, data in files.items():
        with open(os.path.basename(name), "wb") as handle:
            handle.write(data)
    return mode if mode == "bubblewrap" else "basic"


def _supervise(isolation) -> None:
    """Fork; the parent supervises: it exits with the child's status (a signal as 128+n).

    The child dies with its supervisor (parent-death signal), and the supervisor kills the
    child when its own parent, the grader, goes away: an interrupted batch leaves nothing.
    """
    grader = os.getppid()
    child = os.fork()
    if child == 0:
        isolation.die_with_parent()
        return
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (1, 2):
        os.dup2(null, fd)
    os.closerange(3, 1024)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    while True:
        signal.sigtimedwait({signal.SIGCHLD}, 0.5)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                _exit(71)
            if pid == 0:
                break
            if pid == child:
                code = os.waitstatus_to_exitcode(status)
                _exit(128 - code if code < 0 else code)
        if grader and os.getppid() != grader:
            os.kill(child, signal.SIGKILL)


def drop_privileges(job: dict) -> None:
    """Become the sandbox user, then apply the resource limits and a scrubbed environment."""
    sandbox, limits = job["sandbox"], job["limits"]
    processes = limits["processes"]
    if os.geteuid() == 0 and sandbox["uid"] is not None:
        os.setgroups([])
        os.setresgid(sandbox["gid"], sandbox["gid"], sandbox["gid"])
        os.setresuid(sandbox["uid"], sandbox["uid"], sandbox["uid"])
    else:  # the limit counts every task of this user, not only the sandbox's
        processes += _tasks_of(os.getuid())
    for name, value in (("RLIMIT_AS", limits["memory"]), ("RLIMIT_CPU", limits["cpu"]),
                        ("RLIMIT_NPROC", processes), ("RLIMIT_CORE", 0),
                        ("RLIMIT_FSIZE", limits["file_size"]), ("RLIMIT_NOFILE", 256)):
        soft, hard = resource.getrlimit(getattr(resource, name))
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(getattr(resource, name), (value, value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too-big writes raise OSError instead
    home = os.getcwd()
    os.environ.clear()
    os.environ.update(job["env"], HOME=home, TMPDIR="/tmp" if home == "/learner" else home,
                      USER="learner", MPLCONFIGDIR=os.path.join(home, ".matplotlib"))
    sys.dont_write_bytecode = True
    sys.argv = [""]


def _tasks_of(uid: int) -> int:
    """Processes and threads running as ``uid`` (what RLIMIT_NPROC counts)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total


RUN_BODY = ("time", "capture", "prun")  # cell magics whose body IPython runs as Python
RUN_LINE = ("time", "prun")  # line magics whose statement IPython runs
_MAGIC_LINE = re.compile(r"(?P<target>[A-Za-z_][\w.]*\s*=\s*)?[%!](?P<name>\w*)\s*(?P<rest>.*)")


def without_magics(source: str) -> str:
    """IPython syntax as plain Python: the body of ``%%time`` / ``%%capture`` cells and the
    statement of ``%time`` lines run as they do in Jupyter; other magics and ``!shell``
    lines do nothing (``x = !ls`` gives None). Only for a cell that is not Python as it is."""
    stripped = source.lstrip()
    if stripped.startswith("%%"):
        first, _, body = stripped.partition("\n")
        name = (first[2:].split() or [""])[0]
        return without_magics(body) if name in RUN_BODY else ""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        match = _MAGIC_LINE.fullmatch(stripped)
        if match:
            target = match["target"] or ""
            if stripped[len(target)] == "%" and match["name"] in RUN_LINE:
                line = indent + target + match["rest"]
            else:
                line = indent + (f"{target}None" if target else "pass")
        lines.append(line)
    return "\n".join(lines)


def _compiled(source: str, name: str):
    """A cell's code: as written when it is Python, else with IPython's magics rewritten."""
    try:
        return compile(source, name, "exec")
    except SyntaxError:
        return compile(without_magics(source), name, "exec")


class _Shell:
    """Stands in for ``get_ipython()``: every magic and shell escape does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def end_strays(mode: str, wait: float = 2.0) -> None:
    """Kill every other process of the sandbox (what the learner's code started and left
    running: forks, daemons) and reap ours, so that nothing runs on into the next question.
    Only in a pid namespace of its own, where ``kill(-1)`` reaches the sandbox and nothing
    else; the grader kills the whole sandbox at the end of the run in any case."""
    if mode not in ("namespaces", "bubblewrap"):
        return
    try:
        _kill(-1, signal.SIGKILL)
    except OSError:
        return  # nothing else runs
    deadline = _monotonic() + wait
    while _monotonic() < deadline:
        try:
            pid, _ = _waitpid(-1, os.WNOHANG)
        except (ChildProcessError, OSError):
            return
        if pid == 0:
            _sleep(0.002)


def run_cells(job: dict, channel: Channel, answers, mode: str = "basic") -> None:
    """Run the plan: code cells in the learner's namespace, captures of the trusted checks.
    Processes the learner's code started are ended after each question."""
    namespace = {"__name__": "__main__", "__builtins__": builtins,
                 "display": lambda *args, **kwargs: None, "get_ipython": lambda: _Shell()}
    me, cuts = _getpid(), {segment: cell for segment, cell in job["cuts"]}
    skip_checks, timeout = set(job["skip_checks"]), float(job["timeout"])
    armed = [False]

    def on_alarm(signum, frame):
        if armed[0]:
            armed[0] = False
            raise CellTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    segment, deadline, raised = None, 0.0, False
    for index, cell in enumerate(job["cells"]):
        if index >= cuts.get(cell["segment"], index + 1):
            continue  # this cell hung or crashed before, or an earlier one in its segment
        if cell["segment"] != segment:
            if segment is not None:
                end_strays(mode)
            segment, deadline = cell["segment"], _monotonic() + timeout
        channel.send(t="start", cell=index)
        if cell.get("continues") and raised:  # the rest of a cell whose given lines raised
            channel.send(t="end", cell=index, error=None, timeout=False)
            continue
        error, timed_out = None, False
        try:
            armed[0] = True
            _setitimer(signal.ITIMER_REAL, max(deadline - _monotonic(), 0.001))
            if cell["kind"] == "code":
                exec(_compiled(cell["source"], f"<cell {index}>"), namespace)
            else:
                for item in cell["captures"]:
                    if item["check"] not in skip_checks:
                        _capture(item, namespace, channel, answers)
        except CellTimeout as caught:
            if armed[0]:  # raised by the learner's code, not by the alarm: an error
                error = answers.describe(caught)
            else:
                timed_out = True
                cuts[segment] = index
        except BaseException as caught:  # SystemExit, KeyboardInterrupt and all the rest
            error = answers.describe(caught)
        finally:
            armed[0] = False
            _setitimer(signal.ITIMER_REAL, 0)
        if _getpid() != me:
            _exit(0)  # a fork of the learner's code must not run the rest of the notebook
        raised = cell["kind"] == "code" and error is not None
        channel.send(t="end", cell=index, error=error, timeout=timed_out)


def _capture(item: dict, namespace: dict, channel: Channel, answers) -> None:
    """Report one check's answer: one event for a value, one per call for a function."""
    for key, value in item.get("bind", {}).items():
        namespace[key] = answers.materialize(answers.decode(value))
    if item["calls"] is None:
        result = answers.capture(item["expr"], namespace)
        channel.send(t="answer", check=item["check"], result=_encoded(result, answers))
        return
    function = answers.capture(item["expr"], namespace, [])
    if "error" in function:
        channel.send(t="answer", check=item["check"], result=_encoded(function, answers))
        return
    for number, args in enumerate(answers.decode(item["calls"])):
        result = answers.capture(item["expr"], namespace, [args])["calls"][0]
        channel.send(t="answer", check=item["check"], call=number,
                     result=_encoded(result, answers))


def _encoded(result: dict, answers) -> dict:
    try:
        if "value" in result:
            result = {"value": answers.encode(result["value"])}
        if len(_dumps(result)) > answers.MAX_ANSWER_BYTES:
            return {"error": {"type": "ValueError", "message": "the answer is too large to grade"}}
        return result
    except Exception as error:
        return {"error": answers.describe(error)}


def main() -> None:
    job = json.loads(sys.stdin.buffer.read())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    channel = Channel(int(job["channel"]))
    answers, isolation = _load("answers"), _load("isolate")
    preload()
    mode = isolate(job, isolation)
    isolation.prefer_for_oom_killer()
    drop_privileges(job)
    try:
        isolation.restrict_system_calls()
    except OSError as error:  # no seccomp here: the other limits still hold
        sys.stderr.write(f"gradlab: {error}\n")
    channel.send(t="ready", isolation=mode, uid=os.getuid(), pid=_getpid())
    run_cells(job, channel, answers, mode)
    end_strays(mode)
    channel.send(t="done")
    _exit(0)  # no atexit handlers or finalizers of the learner's objects


if __name__ == "__main__":
    main()
