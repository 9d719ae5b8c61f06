"""Linux namespaces for the sandbox: a private, read-only root with nothing but Python in it.

Run as root inside the sandbox process before it drops privileges. After ``build_root`` and
``enter_root`` the learner's code sees the system folders, the Python installation, the
gradlab package and an empty writable home, read-only; no solutions, no other submissions,
no other processes (new pid namespace) and no network (new network namespace).
This file imports only the standard library: the sandbox loads it by path.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import socket
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
               "nsswitch.conf", "hosts", "alternatives", "mime.types", "fonts")
DEVICES = ("null", "zero", "full", "random", "urandom")
HOME = "/learner"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _encode(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    """mount(2), raising OSError on failure."""
    _check(_libc.mount(_encode(source), _encode(target), _encode(fstype), ctypes.c_ulong(flags),
                       _encode(data)), f"mount {source} on {target}")


def unshare(flags: int) -> None:
    """unshare(2): move this process into new namespaces (children go in the new pid one)."""
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def _bind(source: str, target: str, read_only: bool = True) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a"):
            pass
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def python_paths() -> list[str]:
    """Folders the learner's Python needs: the installation, its library folders on sys.path
    and gradlab itself. Other sys.path entries (a project root put there by a test runner or
    an old-style editable install) are left out: they may hold the solutions."""
    prefixes = [sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix]
    paths = list(prefixes)
    for entry in sys.path:
        if not (os.path.isabs(entry) and os.path.exists(entry)):
            continue
        if any(_inside(entry, prefix) for prefix in prefixes) or os.path.basename(
                entry.rstrip("/")) in ("site-packages", "dist-packages"):
            paths.append(entry)
    spec = importlib.util.find_spec("gradlab")
    if spec is not None:
        paths += list(spec.submodule_search_locations or [])
    return paths


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def distinct(paths: list[str]) -> list[str]:
    """Drop paths already visible through a system folder or another path in the list."""
    covered = [os.path.realpath(p) for p in SYSTEM_PATHS if os.path.exists(p)]
    kept: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths}, key=len):
        real = os.path.realpath(path)
        if any(_inside(real, c) for c in covered) or any(_inside(path, k) for k in kept):
            continue
        kept.append(path)
        covered.append(real)
    return kept


def enter_namespaces() -> None:
    """New mount, pid, network, IPC and UTS namespaces (the pid one is for our children)."""
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)


def build_root(root: str, disk: int, uid: int | None, gid: int | None,
               files: dict[str, bytes]) -> None:
    """Assemble the sandbox's root file system at ``root``, in our private mount namespace."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # nr_inodes: empty files use no space, yet each holds ~1 KB of the kernel's memory (a
    # million in a few seconds); one inode per 2 KB of disk keeps them under half the size
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={int(disk)},nr_inodes={max(int(disk) // 2048, 1024)},mode=0755")
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _bind(path, root + path)
    os.makedirs(root + "/etc", exist_ok=True)
    for name in ETC_ENTRIES:
        if os.path.exists("/etc/" + name):
            _bind("/etc/" + name, f"{root}/etc/{name}")
    os.makedirs(root + "/dev", exist_ok=True)
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            _bind("/dev/" + name, f"{root}/dev/{name}", read_only=False)
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{number}", f"{root}/dev/{name}")
    os.symlink("/proc/self/fd", root + "/dev/fd")
    for path in distinct(python_paths()):
        _bind(path, root + path)
    # exist_ok: the project (so gradlab and its venv) may itself live under /tmp or /home
    os.makedirs(root + "/proc", exist_ok=True)
    os.makedirs(root + "/tmp", exist_ok=True)
    os.chmod(root + "/tmp", 0o1777)
    os.makedirs(root + HOME, mode=0o700, exist_ok=True)
    os.chmod(root + HOME, 0o700)
    for name, data in files.items():
        with open(os.path.join(root + HOME, os.path.basename(name)), "wb") as handle:
            handle.write(data)
    if uid is not None:
        for path in [root + HOME] + [os.path.join(root + HOME, n) for n in os.listdir(root + HOME)]:
            os.chown(path, uid, gid)
    socket.sethostname("gradlab-sandbox")


def die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL): this process is killed when its parent dies."""
    _check(_libc.prctl(1, 9, 0, 0, 0), "prctl")


def enter_root(root: str) -> None:
    """In the new pid namespace: mount its /proc, chroot into the sandbox root, go home."""
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chroot(root)
    os.chdir(HOME)


# seccomp: the kernel refuses these system calls to the learner's code (errno EPERM).
# memfd_create makes files in memory that neither RLIMIT_AS nor the sandbox's disk size
# count: 256 of them at the RLIMIT_FSIZE each would hold gigabytes of the host's memory.
# setsid: the kernel shares the CPU fairly between sessions (autogroups), so processes that
# each make a session of their own would take a share each from the other sandboxes.
# add_key, request_key, keyctl: the kernel keeps a keyring per uid after the run ends, which
# the next run under the same sandbox uid (another learner) could read.
_X86_64 = (319, 447, 112, 248, 249, 250)  # memfd_create, memfd_secret, setsid, keys
AUDIT_ARCHES = {  # machine: ((audit arch, (denied system call numbers)), ...)
    "x86_64": ((0xC000003E, _X86_64 + tuple(0x40000000 | n for n in _X86_64)),  # and x32
               (0x40000003, (356, 447, 66, 286, 287, 288))),  # i386
    "aarch64": ((0xC00000B7, (279, 447, 157, 217, 218, 219)),
                (0x40000028, (385, 447, 66, 309, 310, 311))),  # 32-bit ARM
}
_BPF_LD_ABS, _BPF_JEQ, _BPF_RET = 0x20, 0x15, 0x06
_RET_ALLOW, _RET_EPERM = 0x7FFF0000, 0x00050000 | 1


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program(machine: str) -> list[tuple[int, int, int, int]] | None:
    """The BPF program denying the calls in ``AUDIT_ARCHES``; ``None`` for other machines."""
    table = AUDIT_ARCHES.get(machine)
    if table is None:
        return None
    program = [(_BPF_LD_ABS, 0, 0, 4)]  # seccomp_data.arch
    for arch, numbers in table:
        block = [(_BPF_LD_ABS, 0, 0, 0)]  # seccomp_data.nr
        block += [(_BPF_JEQ, len(numbers) - i, 0, n) for i, n in enumerate(numbers)]
        block += [(_BPF_RET, 0, 0, _RET_ALLOW), (_BPF_RET, 0, 0, _RET_EPERM)]
        program.append((_BPF_JEQ, 0, len(block), arch))
        program += block
    program.append((_BPF_RET, 0, 0, _RET_EPERM))  # an architecture we did not expect
    return program


def restrict_system_calls() -> bool:
    """No new privileges, and the seccomp filter of :func:`seccomp_program`; False if neither
    is available (another machine type, an old kernel)."""
    program = seccomp_program(os.uname().machine)
    _check(_libc.prctl(38, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    if program is None:
        return False
    filters = (_SockFilter * len(program))(*[_SockFilter(*item) for item in program])
    fprog = _SockFprog(len(program), filters)
    _check(_libc.prctl(22, 2, ctypes.byref(fprog), 0, 0), "prctl(PR_SET_SECCOMP)")
    return True


def prefer_for_oom_killer() -> None:
    """If the machine runs out of memory, the kernel kills the sandbox before the grader."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
