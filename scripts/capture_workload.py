#!/usr/bin/env python3
"""Default workload of scripts/capture_vmalloc_trace.sh: vmalloc traffic.

capture_workload.py [SECONDS] (default 30) keeps one worker per CPU busy
forking children; each child starts a burst of threads, and each thread
installs a few seccomp BPF filters of random lengths and exits.  The kernel
__vmalloc's every filter program (bpf_prog_alloc: whole pages, 1 to 8 of
them here) and every new task's stack (16 KiB), and frees them lazily when
the task is gone, so within seconds more than lazy_max_pages() (64 MiB on
2 CPUs) is freed and the kernel purges.  Needs no privilege (no_new_privs
is set first), no module and nothing beyond the Python standard library.
Prints one line of totals at the end.  SIGINT/SIGTERM stop it early.
"""
import ctypes
import os
import random
import signal
import sys
import threading
import time

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
BPF_LD_W_ABS = 0x20             # BPF_LD | BPF_W | BPF_ABS: load seccomp_data
BPF_RET_K = 0x06                # BPF_RET | BPF_K
SECCOMP_RET_ALLOW = 0x7fff0000
BPF_MAXINSNS = 4096
BURST = 16                      # threads per child
MAX_FILTERS = 5                 # per thread; 5 * 4096 stays under the
                                # kernel's 32768-instruction limit per task


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort),
                ("filter", ctypes.POINTER(SockFilter))]


LIBC = ctypes.CDLL(None, use_errno=True)
LOAD = bytes(SockFilter(BPF_LD_W_ABS, 0, 0, 0))
ALLOW = bytes(SockFilter(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))


def filter_length(rng):
    """Instructions in one filter: mostly one page's worth, some up to the
    maximum, so both the one-page and the multi-page sizes see traffic."""
    if rng.random() < 0.7:
        return rng.randint(1, 400)
    return rng.randint(1, BPF_MAXINSNS)


def install_filter(n):
    """Install an allow-everything filter of n instructions: n - 1 loads of
    the syscall number, then return ALLOW.  Returns 0 or the errno."""
    prog = (SockFilter * n).from_buffer_copy(LOAD * (n - 1) + ALLOW)
    fprog = SockFprog(n, prog)
    if LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                  ctypes.byref(fprog), 0, 0) != 0:
        return ctypes.get_errno()
    return 0


def filters_thread(seed, failures):
    """A short-lived task: its filters live until it exits (a filter
    installed without TSYNC belongs to the calling thread only)."""
    rng = random.Random(seed)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        failures.append(ctypes.get_errno())
        return
    for _ in range(rng.randint(1, MAX_FILTERS)):
        err = install_filter(filter_length(rng))
        if err:
            failures.append(err)
            return


def child(seed):
    """A short-lived process running one burst of filter threads."""
    rng = random.Random(seed)
    failures = []
    threads = [threading.Thread(target=filters_thread,
                                args=(rng.getrandbits(64), failures))
               for _ in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os._exit(1 if failures else 0)


def worker(deadline, seed):
    """Fork children one after another until the deadline; prints how many
    and how many failed (a thread could not install a filter)."""
    rng = random.Random(seed)
    children = failed = 0
    while time.monotonic() < deadline:
        pid = os.fork()
        if pid == 0:
            child(rng.getrandbits(64))
        failed += os.waitpid(pid, 0)[1] != 0
        children += 1
    print(f"{children} {failed}")
    sys.stdout.flush()
    os._exit(1 if failed else 0)


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and
                              not sys.argv[1].isdigit()):
        sys.stderr.write("usage: capture_workload.py [SECONDS]\n")
        return 2
    seconds = int(sys.argv[1]) if len(sys.argv) == 2 else 30
    deadline = time.monotonic() + seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rfd, wfd = os.pipe()
    workers = []
    for cpu in range(os.cpu_count() or 1):
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            os.dup2(wfd, 1)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            worker(deadline, random.getrandbits(64) ^ cpu)
        workers.append(pid)
    os.close(wfd)
    try:
        status = 0
        while workers:
            status |= os.waitpid(workers[0], 0)[1]
            workers.pop(0)
    finally:
        for pid in workers:     # left only when stopped by a signal
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    totals = [0, 0]
    with os.fdopen(rfd) as lines:
        for line in lines:
            for i, v in enumerate(line.split()):
                totals[i] += int(v)
    print(f"capture_workload: {totals[0]} children of {BURST} threads, "
          f"{totals[1]} failed, {seconds} s")
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
