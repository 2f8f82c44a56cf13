"""A script host: the process Server Scripts run in, forked from the zygote (zygote.py).

It holds no database connection, no credentials, no secret key and no site config: it imported
only the sandbox and the script side (webapp/script_api), and once forked it keeps one open file,
its channel to the web worker that asked for it. Before it runs anything it confines itself:

- every other file descriptor is closed and the number it may hold is capped (no new files or
  sockets), stdin/stdout/stderr are /dev/null;
- memory: RLIMIT_AS caps its address space at what it uses plus the scripts' budget, so a C
  allocation past the budget fails with MemoryError instead of growing the worker;
- time: RLIMIT_CPU as a backstop (the worker kills a host that overruns a run's deadline);
- no file may grow (RLIMIT_FSIZE 0), no core dumps;
- where the kernel allows it, a seccomp filter (pyseccomp, on libseccomp) refuses opening files,
  sockets, connecting, starting programs or processes (threads stay allowed), and signalling
  other processes.

Then it serves the channel: runs, calls and transaction hooks (protocol.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import time
from typing import Any

from webapp.sandbox import limits as sandbox_limits
from webapp.sandbox.export import plain
from webapp.script_api import commit_hooks, parent, runner
from webapp.script_api.wire import error_from_wire, error_to_wire
from webapp.script_host.protocol import Channel, ChannelClosed, Progress

try:
    import pyseccomp as seccomp
except Exception:  # noqa: BLE001 - no libseccomp: the host says so and runs with the rest
    seccomp = None

CPU_LIMIT_S = 600  # a host's whole life; the worker recycles one long before
ADDRESS_MARGIN = 192 * 1024 * 1024  # beyond the scripts' budget: stacks, the interpreter's own growth
MAX_CALL_BYTES = 64 * 1024 * 1024

# Refused with EPERM: no file opened, no socket, no new program or process, no other process touched.
DENIED = (
    "open", "openat", "openat2", "creat", "mknod", "mknodat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat",
    "chown", "fchown", "lchown", "fchownat", "truncate", "ftruncate", "utime", "utimes", "utimensat", "futimesat",
    "chroot", "mount", "umount2", "pivot_root", "socket", "socketpair", "connect", "bind", "listen", "accept",
    "accept4", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "execve", "execveat", "fork", "vfork", "ptrace",
    "process_vm_readv", "process_vm_writev", "kill", "setuid", "setgid", "setreuid", "setregid", "setresuid",
    "setresgid", "setgroups", "personality", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "memfd_create", "init_module",
    "finit_module", "delete_module", "kexec_load", "reboot", "swapon", "swapoff", "sethostname", "setdomainname",
    "iopl", "ioperm", "name_to_handle_at", "open_by_handle_at", "unshare", "setns", "fanotify_init",
    "inotify_init", "inotify_init1",
)
CLONE_THREAD = 0x00010000


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _close_other_fds(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _seccomp() -> str | None:
    """Load the filter; None when it is on, else why not."""
    if seccomp is None:
        return "pyseccomp (libseccomp) is not available"
    try:
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in DENIED:
            with contextlib.suppress(Exception):  # a call this kernel or architecture does not have
                rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        # New processes: clone without CLONE_THREAD; threads (the sandbox's watchdog) stay allowed.
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
        with contextlib.suppress(Exception):  # clone3's flags are out of a filter's reach: glibc falls back to clone
            rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        rules.load()
    except Exception as exc:  # noqa: BLE001 - a kernel without seccomp: say so, keep the rest
        return f"seccomp could not be loaded: {type(exc).__name__}: {exc}"
    return None


def confine(channel_fd: int, memory_mb: int) -> list[str]:
    """Confine this process (see the module's docstring); what could not be applied, in words."""
    notes: list[str] = []
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    keep = {0, 1, 2, channel_fd, *sandbox_limits.kept_fds()}
    _close_other_fds(keep)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails instead of killing
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S + 5))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(keep) + 1, max(keep) + 1))
    address = _vm_size() + memory_mb * 1024 * 1024 + ADDRESS_MARGIN
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    problem = _seccomp()
    if problem:
        notes.append(problem)
    return notes


# -- serving the channel ------------------------------------------------------------------------------
class Host:
    def __init__(self, channel: Channel, progress: Progress) -> None:
        self.channel = channel
        self.progress = progress

    def call(self, op: str, args: tuple, kwargs: dict) -> Any:
        """The script side's `parent.call`: a message to the worker, then its answer. While waiting,
        the worker may ask this host to run other scripts (nested runs); they run here and now."""
        args = plain(list(args), f"the arguments of {op}", dict_type=dict, max_bytes=MAX_CALL_BYTES)
        kwargs = plain(kwargs, f"the arguments of {op}", dict_type=dict, max_bytes=MAX_CALL_BYTES)
        # No kill may land in the channel's code while the run waits (the two ends would fall out
        # of step): one that comes meanwhile is held, and raised here once the answer is in.
        state = sandbox_limits.current_state()
        if state is not None:
            state.holds.append(state.depth)
        try:
            self.channel.send(["call", op, args, kwargs])
            while True:
                message = self.channel.recv()
                kind = message[0]
                if kind == "result":
                    break
                if kind == "error":
                    raise error_from_wire(message[1])
                self.handle(message)
        finally:
            if state is not None:
                state.holds.pop()
        if state is not None:
            state.check()
        return message[1]

    def handle(self, message: list) -> None:
        kind = message[0]
        if kind == "run":
            spec = message[1]
            number = int(spec.get("run") or 0)
            outer = self.progress.read()  # a nested run: the outer run's place is put back after it
            done = runner.execute_spec(spec, starting=lambda index: self.progress.write(number, index, time.monotonic()))
            self.progress.write(*outer)
            done["host"] = {"rss": sandbox_limits.read_rss(), "cpu_s": _cpu_seconds()}
            self.channel.send(["done", done])
        elif kind == "callback":
            _, number, timeout_s, memory_mb = message
            self.channel.send(["callback_done", runner.execute_callback(number, timeout_s, memory_mb)])
        elif kind == "forget":
            commit_hooks.forget(message[1])
        elif kind == "stop":
            raise SystemExit(0)
        else:
            raise ChannelClosed(f"unexpected message {kind!r}")

    def serve(self) -> None:
        while True:
            self.handle(self.channel.recv(spin=False))  # idle until the next run: sleep, do not poll


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(channel_fd: int, page_fd: int, memory_mb: int) -> None:
    """The host's life, in the forked child: confine, then serve until the worker goes away."""
    try:
        os.setsid()
        progress = Progress(page_fd)  # mapped, and its descriptor closed, before confining
        notes = confine(channel_fd, memory_mb)
        host = Host(Channel(channel_fd, attr_dicts=True), progress)
        parent.connect(host.call)
        host.channel.send(["ready", {"pid": os.getpid(), "notes": notes}])
        host.serve()
    except (ChannelClosed, SystemExit):
        pass
    except BaseException as exc:  # noqa: BLE001 - the worker sees the channel close; say why if it can
        with contextlib.suppress(Exception):
            Channel(channel_fd).send(["crashed", error_to_wire(exc)])
    finally:
        os._exit(0)
