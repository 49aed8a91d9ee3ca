"""OS-level confinement the child applies to itself before it imports any student code.

Each layer is tried in turn and skipped when the kernel or container lacks it; the child
reports which ones took effect. Standard library only (the child loads this file by
path), but for the seccomp filter, which comes from pyseccomp over the system's
libseccomp when both are there.

Layers: resource limits; new network and PID namespaces (so nothing outlives the sandbox
and nothing reaches the network); IPC and mount namespaces of its own, with a size-limited
tmpfs as the only writable folder; an unprivileged user when started as root; Landlock,
so the child reads only what Python needs plus its submission and writes only its folder;
a seccomp filter against the system calls a sandbox never needs.
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEW_ANY = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                 CLONE_NEWPID, CLONE_NEWNET)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 14, 1 << 18, 1 << 21, 1 << 24
_MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
                "noatime": MS_NOATIME, "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_READ = (1 << 0) | (1 << 2) | (1 << 3)  # execute, read_file, read_dir
FS_READ_FILE = 1 << 2
# All filesystem rights known to each Landlock ABI (refer: 2, truncate: 3, ioctl_dev: 5).
FS_ALL = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
NET_ALL = 0b11  # bind_tcp, connect_tcp (ABI >= 4)
SCOPE_ALL = 0b11  # abstract unix sockets, signals (ABI >= 6)
# What Python, numpy and torch read at run time besides the interpreter's own prefix.
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/etc", "/bin",
               "/proc/cpuinfo", "/sys/devices/system/cpu", "/dev/null", "/dev/urandom",
               "/dev/zero")


class _LibC:
    """libc, opened on its first use (which replaces this stand-in): ctypes.CDLL(None) is
    POSIX's, and the student kit loads this module on Windows too, where only the
    resource limits below are asked for, and skipped."""

    def __getattr__(self, name: str) -> Any:
        global _libc
        libc = ctypes.CDLL(None, use_errno=True)
        if hasattr(libc, "syscall"):  # both there on Linux: elsewhere, each use fails alone
            libc.syscall.restype = ctypes.c_long
        if hasattr(libc, "mount"):
            libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                   ctypes.c_ulong, ctypes.c_char_p)
        _libc = libc
        return getattr(libc, name)


_libc: Any = _LibC()


def _errno() -> str:
    return os.strerror(ctypes.get_errno())


def set_limits(limits: dict[str, Any]) -> list[str]:
    """Resource limits; each one is a layer of its own in the report (none on Windows,
    whose CPython has no resource module: the kit's parent enforces the time there)."""
    try:
        import resource  # the zygote imported it: a child forked from it finds it loaded
    except ImportError:
        return []
    applied = []
    memory = limits.get("memory_mb")
    if memory is not None and _cap_address_space(memory << 20):
        applied.append("address space limit")
    table = {
        "memory": (resource.RLIMIT_DATA, memory, 1 << 20),
        "file size": (resource.RLIMIT_FSIZE, limits.get("file_mb"), 1 << 20),
        "open files": (resource.RLIMIT_NOFILE, limits.get("open_files"), 1),
        "processes": (resource.RLIMIT_NPROC, limits.get("processes"), 1),
        "cpu time": (resource.RLIMIT_CPU, limits.get("cpu_seconds"), 1),
        "no core dumps": (resource.RLIMIT_CORE, 0, 1),
    }
    for name, (which, value, unit) in table.items():
        if value is None:
            continue
        try:
            resource.setrlimit(which, (int(value * unit), int(value * unit)))
        except (ValueError, OSError):
            continue
        if name == "processes" and os.geteuid() == 0:
            continue  # root ignores RLIMIT_NPROC: it only counts once the user is dropped
        applied.append(f"{name} limit" if name != "no core dumps" else name)
    return applied


def _cap_address_space(extra: int) -> bool:
    """RLIMIT_AS at what this process already maps plus `extra`: unlike RLIMIT_DATA it
    counts shared and file mappings too (an mmap of 3 GiB of shared memory)."""
    import resource

    try:
        with open("/proc/self/status") as fh:
            size = next(int(line.split()[1]) << 10 for line in fh if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size + extra, size + extra))
    except (OSError, StopIteration, ValueError, IndexError):
        return False
    return True


def private_ipc_and_files(work: str, disk_mb: int | None, uid: int | None) -> list[str]:
    """An IPC namespace of our own (SysV segments and queues die with the sandbox, and no
    other sandbox sees them), and a mount namespace in which every file system is
    read-only but `work`, a tmpfs of `disk_mb` MiB (a quota on all the sandbox writes),
    and /proc shows only the sandbox's own PID namespace. Needs root, or the
    capabilities of a user namespace of our own."""
    layers = []
    if _libc.unshare(CLONE_NEWIPC) == 0:
        layers.append("ipc namespace")
    if not disk_mb or _libc.unshare(CLONE_NEWNS) != 0:
        return layers
    if _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return layers  # mounts could leak to the grader's namespace: stop here
    if MOUNTS_READ_ONLY or _read_only_everywhere():  # copied from a zygote's, or now
        layers.append("read-only file systems")
    if os.getpid() == 1 and _libc.mount(b"proc", b"/proc", b"proc", MS_RDONLY | MS_NOSUID |
                                        MS_NODEV | MS_NOEXEC, None) == 0:
        layers.append("own /proc")  # the sandbox's processes only: none of the grader's
    owner = uid if uid is not None else os.getuid()
    options = f"size={int(disk_mb)}m,nr_inodes=4096,mode=0700,uid={owner},gid={owner}"
    if _libc.mount(b"tmpfs", os.fsencode(work), b"tmpfs", MS_NOSUID | MS_NODEV,
                   options.encode()) == 0:
        os.chdir(work)  # the working folder is the tmpfs now, not the folder beneath it
        layers.append("disk quota")
    return layers


MOUNTS_READ_ONLY = False  # set once this process's mount namespace is read-only throughout


def read_only_mounts() -> bool:
    """As root, move into a private mount namespace in which every file system is
    read-only. A zygote does, once: the namespace each child makes is then a copy that
    needs no remount of its own (about a millisecond a child)."""
    global MOUNTS_READ_ONLY
    if os.geteuid() != 0 or MOUNTS_READ_ONLY:
        return MOUNTS_READ_ONLY
    if _libc.unshare(CLONE_NEWNS) != 0 or \
            _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False
    MOUNTS_READ_ONLY = _read_only_everywhere()
    return MOUNTS_READ_ONLY


def _read_only_everywhere() -> bool:
    """Remount every mount of this (private) namespace read-only; True if / took it."""
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            mounts = [line.split() for line in fh]
    except OSError:
        return False
    root_done = False
    for fields in mounts:
        point = fields[4].decode("unicode_escape").encode("latin-1")  # \040 for spaces
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in fields[5].split(b","):
            flags |= _MOUNT_FLAGS.get(option.decode(), 0)
        if _libc.mount(None, point, None, flags, None) == 0 and point == b"/":
            root_done = True
    return root_done


# System calls a sandbox never needs, each denied with EPERM: namespaces and mounts (no
# new user namespace to gain capabilities in), keyrings (shared by every process of a
# uid, and so across runs), io_uring, tracing other processes, BPF and perf, kernel and
# clock administration, and memfd (memory that no limit counts).
DENIED = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "open_by_handle_at",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "vhangup",
    "lookup_dcookie", "uselib", "nfsservctl", "memfd_create", "memfd_secret",
)
# setsid(2) "succeeds" without doing anything: a process that detaches stays in the
# sandbox's session, and so in its scheduling autogroup, which the kernel gives one fair
# share of the CPU however many processes it holds (sixty spinners weigh as one).
PRETENDED = ("setsid",)
_FILTER: Any = None


def autogroups() -> bool:
    """Whether the kernel schedules by session autogroup: then one sandbox session gets
    one fair share of the CPU against any other, however many processes it runs."""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as fh:
            return fh.read().strip() == "1"
    except OSError:
        return False


def prepare_seccomp() -> bool:
    """Build the filter once (a zygote does, before it forks); False without pyseccomp or
    libseccomp."""
    global _FILTER
    if _FILTER is not None:
        return True
    try:
        import pyseccomp as sc
    except Exception:  # noqa: BLE001 - not installed, or no libseccomp on this system
        return False
    flt = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            pass  # a call this kernel or libseccomp does not know
    for name in PRETENDED:
        flt.add_rule(sc.ERRNO(0), name)
    for flag in CLONE_NEW_ANY:  # fork and threads stay; clone into a new namespace does not
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # its flags cannot be looked at: glibc
    _FILTER = flt                                    # falls back to clone on ENOSYS
    _export(flt)
    return True


_BPF = b""  # the filter compiled, once: a child then loads it without compiling it again


def _export(flt: Any) -> None:
    global _BPF
    read, write = os.pipe()
    os.set_blocking(write, False)  # a filter larger than the pipe is compiled per load
    try:
        with open(write, "wb") as pipe:
            flt.export_bpf(pipe)
        _BPF = b"".join(iter(lambda: os.read(read, 1 << 16), b""))
    except (OSError, RuntimeError, AttributeError):
        _BPF = b""
    finally:
        os.close(read)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def seccomp() -> list[str]:
    """Load the filter: the last layer, after which none of DENIED can be called."""
    if not prepare_seccomp():
        return []
    try:
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        if _BPF and len(_BPF) % 8 == 0:
            code = ctypes.create_string_buffer(_BPF, len(_BPF))
            prog = _SockFprog(len(_BPF) // 8, ctypes.addressof(code))
            if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0):
                raise OSError(ctypes.get_errno(), "seccomp")
        else:
            _FILTER.load()
    except OSError:
        return []
    return ["seccomp filter"]


NETWORK_ISOLATED = False  # set once this process sits in an empty network namespace


def isolate_network() -> bool:
    """Move this process, and all it forks from now on, into a new network namespace (with
    a user namespace when not root) where no interface is up: nothing is reachable. A
    zygote does this once, so that its children need not pay for a namespace each."""
    global NETWORK_ISOLATED
    NETWORK_ISOLATED = NETWORK_ISOLATED or _unshare(CLONE_NEWNET)
    return NETWORK_ISOLATED


def enter_namespaces() -> bool:
    """A new PID namespace, and a network namespace unless this one is isolated already.

    The PID namespace only applies to children: the caller must fork next, and the child
    becomes PID 1, whose death takes every process it started with it."""
    global NETWORK_ISOLATED
    if not _unshare(CLONE_NEWPID if NETWORK_ISOLATED else CLONE_NEWNET | CLONE_NEWPID):
        return False
    NETWORK_ISOLATED = True
    return True


_OWN_PID_NS: int | None = None  # this process's PID namespace, to return to after a fork


def can_fork_into_pid_namespaces() -> bool:
    """Whether this process may give each child a PID namespace of its own, any number of
    times: unshare(2) works once only, unless the process can step back into its own
    namespace with setns(2) after each fork (which needs CAP_SYS_ADMIN over it; a zygote
    running as root has that, one in a user namespace of its own does not)."""
    global _OWN_PID_NS
    if _OWN_PID_NS is None:
        try:
            fd = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return False
        if _libc.setns(fd, CLONE_NEWPID) != 0:  # stepping into where we are: a test of the right
            os.close(fd)
            return False
        _OWN_PID_NS = fd
    return True


def fork_into_pid_namespace() -> tuple[int, bool]:
    """fork(2), the child becoming PID 1 of a new PID namespace when the kernel allows:
    (pid, whether it did). The caller stays in its own namespace."""
    if _OWN_PID_NS is None or _libc.unshare(CLONE_NEWPID) != 0:
        return os.fork(), False
    try:
        pid = os.fork()
    finally:
        if os.getpid() != 1 and _libc.setns(_OWN_PID_NS, CLONE_NEWPID) != 0:
            # Every later child would join this one's namespace: better to stop here
            # (the grader then starts another zygote, or fresh interpreters).
            raise SystemExit("could not return to the PID namespace: " + _errno())
    return pid, True


def _unshare(flags: int) -> bool:
    """unshare(2), adding a user namespace (keeping our ids) when not root."""
    if os.geteuid() != 0 and not NETWORK_ISOLATED:
        flags |= CLONE_NEWUSER
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(flags) != 0:
        return False
    if flags & CLONE_NEWUSER:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError:
            pass
    return True


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def drop_user(uid: int | None, gid: int | None) -> list[str]:
    """Run as the unprivileged sandbox user when started as root; root that cannot (the
    interpreter is not readable by other users) keeps its uid but loses every capability.
    Nothing where there are no uids (Windows)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    if uid is None:
        return drop_capabilities()
    try:
        os.setgroups([])
        os.setgid(gid if gid is not None else uid)
        os.setuid(uid)
    except OSError:
        return []
    return ["unprivileged user"]  # the uid differs per process; the layer does not


def drop_capabilities() -> list[str]:
    """Empty the bounding, effective, permitted and inheritable capability sets (Linux's:
    nothing where libc has no prctl, as on macOS)."""
    try:
        prctl, capset = _libc.prctl, _libc.capset
    except AttributeError:
        return []
    for cap in range(64):
        if prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            return []
    header = struct.pack("=Ii", LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)  # two zeroed {effective, permitted, inheritable} words
    if capset(header, data) != 0:
        return []
    return ["capabilities dropped"]


def landlock(read: list[str], write: list[str]) -> list[str]:
    """Read only `read` (plus the system's libraries), write only `write`; no TCP."""
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return []
    fs_all = FS_ALL.get(abi, (1 << 16) - 1)
    net = NET_ALL if abi >= 4 else 0
    scope = SCOPE_ALL if abi >= 6 else 0
    attr = struct.pack("=QQQ", fs_all, net, scope)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, size, 0)
    if ruleset < 0:
        return []
    try:
        for path in [*SYSTEM_READ, sys.prefix, sys.base_prefix, sys.exec_prefix, *read]:
            _allow(ruleset, path, FS_READ, fs_all)
        for path in write:
            _allow(ruleset, path, fs_all, fs_all)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return []
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return []
    finally:
        os.close(ruleset)
    layers = [f"landlock (ABI {abi}): files"]
    if net:
        layers.append("landlock: no TCP")
    if scope:
        layers.append("landlock: no signals out")
    return layers


def _allow(ruleset: int, path: str, access: int, fs_all: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            access &= FS_READ_FILE | (1 << 1) | (1 << 14)  # file rights only: read, write, truncate
        attr = struct.pack("=Qi", access & fs_all, fd)  # struct landlock_path_beneath_attr
        _libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, attr, 0)
    finally:
        os.close(fd)
