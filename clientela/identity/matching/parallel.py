"""Batch work spread over forked processes writing into shared memory, and the garbage collector paused.

A batch resolution compares and scores tens of millions of candidate pairs chunk by chunk, each chunk
independent of the others. On Linux the chunks are shared between the process and `workers - 1` forked
children: the children inherit the normalised records and encodings without copying them (copy on
write), write their results into arrays mapped in shared memory, and exit. Nothing is pickled and no
result travels through a pipe. Where fork is not available the work runs in the process itself.
"""

from __future__ import annotations

import contextlib
import gc
import mmap
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
R = TypeVar("R")
MAX_WORKERS = 4  # beyond this the chunks' memory, not the CPUs, becomes the limit


def default_workers() -> int:
    """Processes a batch may use: the CPUs this process may run on (at most MAX_WORKERS), 1 without fork."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return 1
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


def shared_zeros(shape: int | tuple[int, ...], dtype: type | np.dtype) -> np.ndarray:
    """A zero-filled array in anonymous shared memory: what a forked child writes into it, the parent
    sees. The mapping is released with the last array referring to it."""
    count = int(np.prod(shape))
    nbytes = max(count * np.dtype(dtype).itemsize, 1)
    buffer = mmap.mmap(-1, nbytes, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


def _fork(body: Callable[[], None]) -> int:
    """Run `body` in a forked child and return its pid; the child exits 0 when it returns, 1 on error."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, whose coverage is not collected
        status = 1
        try:
            body()
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            # No atexit handlers, no flushing of the parent's buffers, no database teardown: the child
            # only computed into shared memory or its pipe.
            os._exit(status)
    return pid


def _stop(pids: Sequence[int]) -> None:
    """Kill the children and reap them (the caller is failing: their work is of no use)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def run_chunks(tasks: Sequence[T], work: Callable[[T], None], workers: int) -> None:
    """Call `work(task)` for every task, spread over `workers` processes (the caller's included).

    `work` must write its results into `shared_zeros` arrays (or nowhere): a child's other effects are
    lost when it exits. Task k runs in process k % workers, so the split is fixed and the results do
    not depend on timing. A child that fails makes this raise once all have stopped; if the caller's own
    share fails, the children are stopped and the error propagates.
    """
    workers = max(1, min(workers, len(tasks)))
    if workers == 1 or default_workers() == 1:
        for task in tasks:
            work(task)
        return
    children: list[int] = []

    def share(w: int) -> Callable[[], None]:
        def body() -> None:
            for task in tasks[w::workers]:
                work(task)

        return body

    try:
        for w in range(1, workers):
            children.append(_fork(share(w)))
        for task in tasks[0::workers]:
            work(task)
    except BaseException:
        _stop(children)
        raise
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
    if failed:
        raise RuntimeError(f"{failed} of {len(children)} worker processes failed")


def map_forked(
    tasks: Sequence[T],
    work: Callable[[T], R],
    workers: int,
    pack: Callable[[R], Any] | None = None,
    unpack: Callable[[Any], R] | None = None,
) -> list[R]:
    """`[work(task) for task in tasks]`, the tasks spread over `workers` processes like `run_chunks`.

    A child sends its results back pickled through a pipe (numpy arrays travel as raw buffers), so this
    suits results that are much smaller than what the work reads: pair codes from records, normalised
    records from raw ones. `pack`/`unpack` turn a child's result into something cheaper to pickle and
    back (plain tuples instead of dataclass instances). A failing child makes this raise; the parent's
    own failure stops the children.
    """
    workers = max(1, min(workers, len(tasks)))
    if workers == 1 or default_workers() == 1:
        return [work(task) for task in tasks]
    results: dict[int, R] = {}
    children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    unread: set[int] = set()
    try:
        for w in range(1, workers):
            read, write = os.pipe()

            def send(w: int = w, read: int = read, write: int = write) -> None:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    mine = {k: work(tasks[k]) for k in range(w, len(tasks), workers)}
                    if pack is not None:
                        mine = {k: pack(v) for k, v in mine.items()}
                    pickle.dump(mine, out, protocol=pickle.HIGHEST_PROTOCOL)

            pid = _fork(send)
            os.close(write)
            children.append((pid, read))
            unread.add(read)
        for k in range(0, len(tasks), workers):
            results[k] = work(tasks[k])
        failed = 0
        for pid, read in children:
            # Read before waiting: a child blocks on a full pipe until its results are taken.
            unread.discard(read)
            with os.fdopen(read, "rb") as source:
                try:
                    theirs = pickle.load(source)  # noqa: S301 - written by our own fork
                except EOFError:
                    failed += 1
                else:
                    results.update(theirs if unpack is None else {k: unpack(v) for k, v in theirs.items()})
            _, status = os.waitpid(pid, 0)
            failed += os.waitstatus_to_exitcode(status) != 0
        children = []
        if failed:
            raise RuntimeError(f"{failed} worker processes failed")
    except BaseException:
        _stop([pid for pid, _read in children])
        for read in unread:
            os.close(read)
        raise
    return [results[k] for k in range(len(tasks))]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the duration: a batch builds millions of long-lived records,
    tuples and lists, and each full collection walks all of them again (half of normalising a million
    records went there). Reference counting still frees everything that is not in a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
