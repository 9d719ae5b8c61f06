"""A JupyterLab server for the browser test, and where to find Debian's Chromium.

The server runs from the project's venv, as `make lab` starts it, but on 127.0.0.1 with a free
port, a token and a throwaway root, config and workspace: the test sees what a new user sees and
never touches the committed notebooks. The root holds copies of the course's folders side by side,
as `make lab`'s root (the project) does, so the notebooks' links to ../exercises/ resolve.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# Debian's packages, most suitable first; GRADLAB_E2E_CHROMIUM overrides them.
CHROMIUM_CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
)
# This machine's network is closed: without these, Chromium's background connections fail loudly.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What a learner opens: the course, its exercises and their worked solutions.
COURSE_FOLDERS = ("notebooks", "exercises", "solutions")
LAB_START_TIMEOUT = 60.0  # seconds; a cold start here takes about 4
# A new user's settings, but for two: every cell stays in the page (JupyterLab otherwise attaches
# off-screen cells lazily, and the test reads all of them), and no news pop-up over screenshots.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
}


def chromium_candidates() -> tuple[str, ...]:
    """Where to look for Chromium: GRADLAB_E2E_CHROMIUM if set, else Debian's places."""
    override = os.environ.get("GRADLAB_E2E_CHROMIUM")
    return (override,) if override else CHROMIUM_CANDIDATES


def find_chromium() -> str | None:
    """The first Chromium binary found, or None."""
    return next((path for path in chromium_candidates() if os.access(path, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: where it listens, its token, its root folder and its log."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        """JSON from the server's REST API (`path` without the leading `api/`)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.process.returncode} before answering; "
                    f"its log ends:\n{self.log_tail()}"
                )
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        raise RuntimeError(
            f"JupyterLab did not answer on port {self.port} within {timeout:.0f} s; "
            f"its log ends:\n{self.log_tail()}"
        )

    def shutdown_kernels(self) -> None:
        """Shut down every kernel the server runs (they run in sessions of their own)."""
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> None:
        """Shut the kernels down through the API, then the server's process group: politely,
        then by force."""
        if self.process.poll() is None:
            try:
                self.shutdown_kernels()
            except (OSError, ValueError):
                pass  # the server is going anyway; the process group is ended below
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue


def start_lab(home: Path, trusted: bool = True) -> LabServer:
    """Start JupyterLab on a copy of the course's folders inside `home`, as a new user, and wait
    for it. The server's root is `home/course`, laid out as the project is. With `trusted`, the
    notebooks are signed first, as `make lab` does (`jupyter trust`)."""
    jupyter = VENV_BIN / "jupyter"
    if not jupyter.exists():
        raise FileNotFoundError(f"{jupyter} is missing: `make lab` or `make test` builds the venv")
    root = home / "course"
    for folder in COURSE_FOLDERS:
        shutil.copytree(
            REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    env = {
        **os.environ,
        # A new user: none of this machine's config, settings, workspaces or user kernelspecs.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("JUPYTER_PATH", None)
    if trusted:
        notebooks = sorted(str(path) for path in root.glob("*/*.ipynb"))
        subprocess.run([str(VENV_BIN / "jupyter"), "trust", *notebooks], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for plugin, values in LAB_SETTINGS.items():
        settings = home / "settings" / f"{plugin}.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    port, token, log = free_port(), secrets.token_hex(16), home / "jupyterlab.log"
    command = [
        str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: the test opens several notebooks in one page through Lab's commands
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI and these machines run as root, which Jupyter refuses by default
        command.append("--allow-root")
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = LabServer(process, port, token, root, log)
    try:
        server.wait_until_ready(LAB_START_TIMEOUT)
    except BaseException:
        server.stop()
        raise
    return server
