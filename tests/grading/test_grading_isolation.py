"""The attacks that succeed without isolation, run against both isolated modes: root's own
namespaces, and bubblewrap for a grader that is not root (run as a user this test creates).

Each attack is a submission named after its hole: the fixture exercise with the attack in the
first answer cell, graded in one batch beside honest bystanders. Without isolation (the
``--unsafe-no-isolation`` mode) each of them works; isolated, each must fail: the bystanders
keep their grades, the gradebook stays as written, the grader's files, the home folder and the
machine's /tmp, /var/tmp and /dev/shm are untouched, no process outlives the batch.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from support import FX_SOLUTION as SOLUTION
from support import GRADING_FIXTURES as FIXTURES
from test_grading_batch import EXPECTED as BATCH_EXPECTED
from test_grading_batch import NEEDS_ROOT as BATCH_NEEDS_ROOT
from test_grading_hostile import EXPECTED as HOSTILE_EXPECTED

import gradlab
from gradlab.grading import Limits, grade
from gradlab.grading import batch as batch_module
from gradlab.grading.bubblewrap import IsolationUnavailable, resolve_isolation, root_namespaces_work

EXERCISE = FIXTURES / "exercises" / "fx.ipynb"
PACKAGE = Path(gradlab.__file__).parent
PROJECT = PACKAGE.parent
TESTER = "gradlab-tester"
NOT_ATTEMPTED = dict.fromkeys(("fx.q1", "fx.q2", "fx.q3", "fx.q4"), "not attempted")
KILLED = dict(NOT_ATTEMPTED, **{"fx.q1": "crashed"})

# The attacks, run in the first answer cell (where `a, b = 5.0, 6.0` is given).
ATTACKS = {
    "kill-worker-pool": """
        import os, signal
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        """,
    "kill-all": """
        import os
        os.system("kill -9 -1")  # the shell kills every process it may, its parents included
        """,
    "daemon-rewrites-grades": """
        import glob, os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.closerange(0, 1024)
                targets, stop = set(), time.time() + 8
                while time.time() < stop:
                    for pid in filter(str.isdigit, os.listdir("/proc")):
                        try:
                            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
                            cwd = os.readlink(f"/proc/{pid}/cwd")
                        except OSError:
                            continue
                        for arg in args:
                            arg = arg.decode(errors="ignore")
                            if arg.endswith((".csv", ".json", ".jsonl")):
                                targets.add(os.path.join(cwd, arg))
                        targets.update(glob.glob(os.path.join(cwd, "grades*")))
                    for target in targets:
                        for ext in (".csv", ".json", ".jsonl"):
                            try:
                                with open(target.rsplit(".", 1)[0] + ext, "a") as book:
                                    book.write("\\ndaemon-rewrites-grades,3,3,2,1,9,graded\\n")
                            except OSError:
                                pass
                    time.sleep(0.2)
            os._exit(0)
        """,
    "proc-reads-solutions": """
        import os, re, time
        pattern = re.compile(rb"grads = np\\.array\\(\\[3 \\* a\\*\\*2, -2 \\* b\\]\\)")
        found, stop = None, time.time() + 8

        def look(data):
            match = pattern.search(data)
            return match.group(0).decode() if match else None

        def read(path):
            try:
                with open(path, "rb") as handle:
                    return handle.read(1 << 24)
            except OSError:
                return b""

        seen = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
                args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
            except OSError:
                cwd, args = None, []
            for arg in args:  # the solution named on a command line
                if arg.endswith(b".ipynb"):
                    found = found or look(read(os.path.join(cwd or "/", arg.decode())))
            try:  # the grader's memory, where the solution notebook was parsed
                regions = open(f"/proc/{pid}/maps").read().splitlines()
                with open(f"/proc/{pid}/mem", "rb", 0) as memory:
                    for line in regions:
                        low, high = (int(x, 16) for x in line.split()[0].split("-"))
                        if found or "r" not in line.split()[1] or high - low > 1 << 28:
                            continue
                        try:
                            memory.seek(low)
                            found = look(memory.read(high - low))
                        except (OSError, OverflowError, ValueError):
                            pass
            except OSError:
                pass
        for top in ("/work", "/home", "/root", "/srv", "/opt", "/tmp", "/var/tmp", "/learner"):
            for folder, subfolders, files in os.walk(top):
                subfolders[:] = [s for s in subfolders if s not in (".git", "site-packages")]
                seen += len(files)
                for name in files:
                    if name.endswith(".ipynb") and not found:
                        found = look(read(os.path.join(folder, name)))
                if seen > 50_000 or time.time() > stop:
                    break
        if found:
            exec(found)
        """,
    "backdoor-in-grader-files": """
        import os, pwd
        import gradlab.grading
        here = os.path.dirname(gradlab.grading.__file__)
        targets = [os.path.join(here, name) for name in ("score.py", "runner.py", "kernel.py")]
        targets.append(os.path.expanduser("~/.bashrc"))
        try:
            targets.append(os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".bashrc"))
        except KeyError:
            pass
        for target in targets:
            try:
                with open(target, "a") as handle:
                    handle.write("\\nimport os; os.system('touch /tmp/gradlab-backdoor-ran')\\n")
            except OSError:
                pass
        """,
    "tmp-flood": """
        chunk = b"x" * (1 << 20)
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):
            for number in range(5):  # 5 x 32 MB per folder: 480 MB in all
                try:
                    with open(f"{folder}/gradlab-flood-{number}", "wb") as handle:
                        for _ in range(32):
                            handle.write(chunk)
                except OSError:
                    pass
        """,
    "stray-files-in-tmp": """
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):
            try:
                with open(f"{folder}/gradlab-stray-results.json", "w") as handle:
                    handle.write('{"learner": "stray-files-in-tmp", "total": 9}')
            except OSError:
                pass
        """,
    "nested-userns-mount": """
        import os, subprocess
        os.makedirs("scratch", exist_ok=True)
        try:  # a user namespace of its own could mount memory outside every limit
            nested = subprocess.run(
                ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                 "mount -t tmpfs -o size=1g none scratch && echo mounted"],
                capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            nested = ""
        if "mounted" in nested:
            grads = np.array([75.0, -12.0])  # scores only if the escape worked
        """,
}
EXPECTED = {  # (total, status, question statuses) in both isolated modes
    "kill-worker-pool": (0, "graded", NOT_ATTEMPTED),
    "kill-all": (0, "crashed", KILLED),
    "daemon-rewrites-grades": (0, "graded", NOT_ATTEMPTED),
    "proc-reads-solutions": (0, "graded", NOT_ATTEMPTED),
    "backdoor-in-grader-files": (0, "graded", NOT_ATTEMPTED),
    "tmp-flood": (0, "graded", NOT_ATTEMPTED),
    "stray-files-in-tmp": (0, "graded", NOT_ATTEMPTED),
    "nested-userns-mount": (0, "graded", NOT_ATTEMPTED),
    "bystander-correct": (9, "graded", None),
    "bystander-partly-correct": (6, "graded", None),
}
LEFTOVERS = ("gradlab-flood-*", "gradlab-stray-results.json", "gradlab-backdoor-ran")


def write_batch(folder: Path) -> None:
    """The attack notebooks and the bystanders, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, attack in ATTACKS.items():
        notebook = json.loads(EXERCISE.read_text())
        for cell in notebook["cells"]:
            if cell["id"] == "q1-answer":
                cell["source"] = ("a, b = 5.0, 6.0\n" + textwrap.dedent(attack)
                                  + "\nif 'grads' not in globals():\n"
                                    "    raise NotImplementedError")
        (folder / f"{name}.ipynb").write_text(json.dumps(notebook))
    for scenario in ("correct", "partly-correct"):
        shutil.copy(FIXTURES / "submissions" / f"{scenario}.ipynb",
                    folder / f"bystander-{scenario}.ipynb")


def fingerprint(paths) -> dict:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def grader_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def leftovers() -> list[str]:
    return sorted(str(p) for folder in ("/tmp", "/var/tmp", "/dev/shm")
                  for pattern in LEFTOVERS for p in Path(folder).glob(pattern))


def assert_attacks_failed(records: dict, book: Path, written: dict) -> None:
    """Every attacker and bystander graded as it deserves, and the gradebook as written."""
    for name, (total, status, questions) in EXPECTED.items():
        record = records[name]
        assert (record["total"], record["status"]) == (total, status), (name, record["reason"])
        if questions is not None:
            got = {q: result["status"] for q, result in record["questions"].items()}
            assert got == questions, (name, got)
    time.sleep(3)  # a daemon that outlived the batch would now rewrite the gradebook
    assert fingerprint(book.parent.iterdir()) == written
    assert "daemon-rewrites-grades,3" not in (book.parent / "grades.csv").read_text()


@pytest.mark.skipif(not root_namespaces_work(), reason="needs root allowed to create namespaces")
def test_the_attacks_fail_under_roots_namespaces(tmp_path):
    write_batch(tmp_path / "in")
    before, bashrc = fingerprint(grader_files()), fingerprint([Path.home() / ".bashrc"])
    book = tmp_path / "out" / "grades.csv"
    records = grade(tmp_path / "in", SOLUTION, book, json_path=book.with_suffix(".json"),
                    workers=2, limits=Limits(timeout=10, memory=768 << 20), progress=False)
    assert {r["isolation"] for r in records} == {"namespaces"}
    written = fingerprint(book.parent.iterdir())
    assert_attacks_failed({r["learner"]: r for r in records}, book, written)
    assert fingerprint(grader_files()) == before
    assert fingerprint([Path.home() / ".bashrc"]) == bashrc
    assert leftovers() == []


# --- the same batch, graded by a user who is not root -------------------------------------


def _run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)


def _unreachable_tops(paths) -> list[str]:
    """Top-level folders (such as /root) a user other than root cannot enter, on ``paths``."""
    tops = []
    for path in paths:
        top = "/" + Path(path).parts[1]
        if not os.stat(top).st_mode & 0o001 and top not in tops:
            tops.append(top)
    return tops


def as_tester(uid: int, home: Path, command: list[str], writable_package: Path | None = None,
              hide_bwrap: bool = False) -> subprocess.CompletedProcess:
    """Run ``command`` as the test user, in a private mount namespace where it can reach this
    Python (which may live under /root) and, optionally, owns a copy of the gradlab package
    mounted over the real one (so only isolation can keep a submission from changing it)."""
    needed = [sys.base_prefix, sys.prefix, str(PROJECT)]
    script = ["set -e"]
    for number, top in enumerate(_unreachable_tops(needed)):
        inside = sorted({p for p in needed if p.startswith(top + "/")}, key=len)
        for index, path in enumerate(inside):
            script += [f"mkdir -p {home}/.stage{number}-{index}",
                       f"mount --bind '{path}' {home}/.stage{number}-{index}"]
        script.append(f"mount -t tmpfs -o mode=755,size=1m tmpfs '{top}'")
        for index, path in enumerate(inside):
            script += [f"mkdir -p '{path}'", f"mount --bind {home}/.stage{number}-{index} '{path}'"]
    if hide_bwrap:
        script += [f"mount --bind /dev/null {path}" for path in ("/usr/bin/bwrap",
                                                                  "/usr/local/bin/bwrap")
                   if os.path.exists(path)]
    if writable_package is not None:
        script.append(f"mount --bind '{writable_package}' '{PACKAGE}'")
    script.append(f'exec setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all '
                  f'env -i PATH=/usr/local/bin:/usr/bin:/bin HOME={home} LANG=C.UTF-8 "$@"')
    return _run(["unshare", "--mount", "--propagation", "private", "bash", "-c",
                 "\n".join(script), "as-tester", *command])


@pytest.fixture(scope="module")
def tester(tmp_path_factory):
    """A user created for the test (kept for later runs), with a home folder of its own."""
    if os.geteuid() != 0:
        pytest.skip("the non-root mode is tested as a user this test creates, which needs root")
    for tool in ("useradd", "unshare", "setpriv", "bwrap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make test installs bubblewrap)")
    if _run(["id", "-u", TESTER]).returncode != 0:
        created = _run(["useradd", "--system", "--no-create-home", "--shell", "/bin/false",
                        TESTER])
        if created.returncode != 0 and _run(["id", "-u", TESTER]).returncode != 0:
            pytest.skip(f"cannot create the test user: {created.stderr.strip()}")
    uid = int(_run(["id", "-u", TESTER]).stdout)
    home = Path(tempfile.mkdtemp(prefix="gradlab-tester-", dir="/tmp"))
    (home / ".bashrc").write_text("# the tester's shell setup\n")
    shutil.copytree(PACKAGE, home / "package", ignore=shutil.ignore_patterns("__pycache__"))
    for path in [home, *home.rglob("*")]:
        os.lchown(path, uid, uid)
    home.chmod(0o755)
    probe = as_tester(uid, home, [sys.executable, "-c", "from gradlab.grading.bubblewrap import "
                                  "resolve_isolation as r; print(r('auto'))"])
    if probe.stdout.strip() != "bubblewrap":
        pytest.skip("bubblewrap cannot isolate here for a user who is not root (unprivileged "
                    f"user namespaces disabled?): {probe.stdout}{probe.stderr}"[-400:])
    yield uid, home
    shutil.rmtree(home, ignore_errors=True)


GRADE = "import sys; from gradlab.cli import main; sys.exit(main())"


def test_the_attacks_fail_under_bubblewrap_for_a_grader_that_is_not_root(tester):
    uid, home = tester
    write_batch(home / "in")
    (home / "out").mkdir()
    for path in [home / "in", home / "out", *(home / "in").iterdir()]:
        os.lchown(path, uid, uid)
    package = home / "package"
    before = fingerprint(sorted(package.rglob("*.py")) + [home / ".bashrc"])
    book = home / "out" / "grades.csv"
    result = as_tester(uid, home, [
        sys.executable, "-c", GRADE, "grade", str(home / "in"), "--assignment", str(SOLUTION),
        "--out", str(book), "--json", "--workers", "2", "--timeout", "10", "--memory", "768M",
        "--no-progress"], writable_package=package)
    assert result.returncode == 0, result.stderr[-2000:]
    written = fingerprint(book.parent.iterdir())
    records = {r["learner"]: r for r in json.loads(book.with_suffix(".json").read_text())[
        "submissions"]}
    assert {r["isolation"] for r in records.values()} == {"bubblewrap"}
    assert_attacks_failed(records, book, written)
    assert fingerprint(sorted(package.rglob("*.py")) + [home / ".bashrc"]) == before
    assert leftovers() == []
    sandboxes = _run(["pgrep", "-u", str(uid), "-f", "runner.py"]).stdout.split()
    assert sandboxes == [], "sandbox processes outlived the batch"


def test_the_hostile_fixtures_score_the_same_under_bubblewrap(tester):
    """The fixtures that only root's namespaces used to contain (a fork bomb, a daemon, killing
    every process, reading the solutions, ...) and all the other hostile ones score what they
    score as root, graded by a user who is not root."""
    uid, home = tester
    folder, out = home / "fixtures", home / "fixtures-out"
    folder.mkdir()
    out.mkdir()
    for path in (FIXTURES / "hostile").glob("*.ipynb"):
        shutil.copy(path, folder)
    for name in BATCH_NEEDS_ROOT:
        shutil.copy(FIXTURES / "submissions" / f"{name}.ipynb", folder)
    for path in [folder, out, *folder.iterdir()]:
        os.lchown(path, uid, uid)
    result = as_tester(uid, home, [
        sys.executable, "-c", GRADE, "grade", str(folder), "--assignment", str(SOLUTION),
        "--out", str(out / "grades.csv"), "--json", "--workers", "2", "--timeout", "5",
        "--memory", "768M", "--no-progress"])
    assert result.returncode == 0, result.stderr[-2000:]
    records = {r["learner"]: r for r in json.loads((out / "grades.json").read_text())[
        "submissions"]}
    expected = {**HOSTILE_EXPECTED, **{name: BATCH_EXPECTED[name] for name in BATCH_NEEDS_ROOT}}
    assert sorted(records) == sorted(expected)
    for name, (total, status, questions) in expected.items():
        record = records[name]
        assert record["isolation"] in ("bubblewrap", ""), name
        if name == "submitted-floods-the-event-pipe" and record["status"] == "timed out":
            status, questions = "timed out", None  # on a loaded machine it may time out first
        assert (record["total"], record["status"]) == (total, status), (name, record["reason"])
        if questions is not None:
            got = {q: result["status"] for q, result in record["questions"].items()}
            assert got == questions, (name, got)


def test_without_isolation_grade_refuses_and_says_how_to_get_it(tester):
    uid, home = tester
    (home / "refused").mkdir(exist_ok=True)
    os.lchown(home / "refused", uid, uid)
    command = [sys.executable, "-c", GRADE, "grade", str(FIXTURES / "submissions"),
               "--assignment", str(SOLUTION), "--out", str(home / "refused" / "g.csv"),
               "--no-progress"]
    result = as_tester(uid, home, ["env", "PATH=/usr/bin:/bin", *command], hide_bwrap=True)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "bubblewrap is not installed" in result.stderr
    assert "apt install bubblewrap" in result.stderr and "--unsafe-no-isolation" in result.stderr
    assert not (home / "refused" / "g.csv").exists()


def test_auto_isolation_never_falls_back_to_none(monkeypatch):
    from gradlab.grading import bubblewrap

    monkeypatch.setattr(bubblewrap, "root_namespaces_work", lambda: False)
    monkeypatch.setattr(bubblewrap, "bwrap_setup", lambda: None)
    monkeypatch.setattr(bubblewrap.os, "geteuid", lambda: 1000)
    with pytest.raises(IsolationUnavailable, match="nothing would isolate"):
        resolve_isolation("auto")
    assert resolve_isolation("basic") == "basic"
    monkeypatch.setattr(bubblewrap.os, "geteuid", lambda: 0)
    with pytest.raises(IsolationUnavailable, match="may not create namespaces"):
        resolve_isolation("auto")


def test_kill_worker_pool_regrades_the_others_in_a_fresh_pool(tmp_path, monkeypatch):
    """A submission whose grading kills its worker breaks the whole pool: the bystanders are
    graded again in a fresh pool (never journaled as zeros), the culprit alone, twice."""
    (tmp_path / "in").mkdir()
    for name in ("alice", "bob", "carol", "dave"):
        shutil.copy(FIXTURES / "submissions" / "correct.ipynb", tmp_path / "in" / f"{name}.ipynb")
    shutil.copy(EXERCISE, tmp_path / "in" / "crasher.ipynb")
    attempts = tmp_path / "attempts"
    real = batch_module.grade_submission

    def grade_or_die(submission, assignment, limits):
        if submission.learner == "crasher":
            with open(attempts, "a") as handle:
                handle.write("x")
            time.sleep(0.5)  # let the others start
            os._exit(9)
        return real(submission, assignment, limits)

    monkeypatch.setattr(batch_module, "grade_submission", grade_or_die)
    book = tmp_path / "out" / "grades.csv"
    records = grade(tmp_path / "in", SOLUTION, book, workers=2,
                    limits=Limits(timeout=10, memory=768 << 20), progress=False)
    assert {r["learner"]: (r["total"], r["status"]) for r in records} == {
        "alice": (9, "graded"), "bob": (9, "graded"), "carol": (9, "graded"),
        "dave": (9, "graded"), "crasher": (0, "crashed")}
    culprit = next(r for r in records if r["learner"] == "crasher")
    assert "died while grading this submission, in the shared pool and again alone" in (
        culprit["reason"])
    journal = [json.loads(line) for line in book.with_suffix(".jsonl").read_text().splitlines()]
    assert sorted(r["learner"] for r in journal) == ["alice", "bob", "carol", "crasher", "dave"]
    assert attempts.read_text() == "xx"


def test_a_dask_worker_that_cannot_isolate_stops_the_batch_instead_of_recording_zeros(
        tmp_path, monkeypatch):
    from dask.distributed import LocalCluster

    from gradlab.grading import kernel

    def nothing(wanted):
        raise IsolationUnavailable("no isolation on this worker")

    monkeypatch.setattr(kernel, "resolve_isolation", nothing)  # every sandbox, on the workers
    monkeypatch.setattr(batch_module, "compute_references", lambda *args: None)  # here
    book = tmp_path / "g.csv"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, pytest.raises(
            IsolationUnavailable, match="no isolation on this worker"):
        grade(FIXTURES / "moodle-several-learners.zip", SOLUTION, book,
              scheduler=cluster.scheduler_address, limits=Limits(timeout=5), progress=False)
    assert not book.with_suffix(".jsonl").exists() or book.with_suffix(".jsonl").read_text() == ""
