"""Chunks of validated rows for the import's writer, prepared in a second process when it pays.

Reading, parsing and validating a row (names, tax ids, emails with email-validator, phones with
phonenumbers) costs about as much as writing it. A skip-mode import of a large file therefore forks
one reader process that opens the file itself, prepares chunk after chunk and hands them over a
bounded queue, while the parent writes the previous chunk: the two halves run on two cores. The
parent alone writes and commits, in file order, so the cursor, resume and undo work exactly as when
everything runs in one process. The reader only reads the database (users named as owners, the
customers an interaction row names), and reads what was committed before the import began.

Small files, atomic imports, dry runs, and imports started inside a transaction (whose data a new
connection would not see) are prepared in the writer's own process.
"""

from __future__ import annotations

import contextlib
import enum
import io
import logging
import multiprocessing
import os
import pickle
import queue
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Model
from django.db.models.base import ModelState

from clientela.imports.readers import ImportFileError, Row

logger = logging.getLogger(__name__)

PARALLEL_MIN_ROWS = 20_000  # below this, forking costs more than it saves
QUEUE_CHUNKS = 3  # chunks the reader may get ahead of the writer (memory stays a few chunks)
POLL_SECONDS = 1.0


@dataclass
class Prepared:
    """One chunk, validated: what the writer needs and the row errors validation found."""

    last_index: int  # index of the chunk's last row: the cursor moves past it once the chunk commits
    items: list[Any]
    errors: list[tuple[int, int, str, str, str]] = field(
        default_factory=list
    )  # index, line, column, value, message
    failed: int = 0  # rows with at least one error


class ReaderStopped(Exception):
    """The reader process ended without finishing the file."""


def _model(
    cls: type[Model], adding: bool, db: str | None, cache: dict[str, Any], values: dict[str, Any]
) -> Model:
    obj = cls.__new__(cls)
    obj.__dict__.update(values)
    state = ModelState()
    state.adding, state.db, state.fields_cache = adding, db, cache
    obj._state = state
    return obj


class _Pickler(pickle.Pickler):
    """Pickles model instances as their plain attributes and choice members as plain strings. Django's
    own pickling of a model (and Enum's of each choice) made unpickling a chunk cost more than
    preparing it: 92 against 164 microseconds a row."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Model):
            state = obj._state
            values = obj.__dict__.copy()  # a copy in C, then one key out: a comprehension cost twice as much
            del values["_state"]
            return _model, (type(obj), state.adding, state.db, state.fields_cache, values)
        if isinstance(obj, enum.Enum) and isinstance(obj, str):
            return str, (obj.value,)
        return NotImplemented


def pack(prepared: Prepared) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(prepared)
    return buffer.getvalue()


def unpack(data: bytes) -> Prepared:
    result: Prepared = pickle.loads(data)  # noqa: S301 (our own reader process, through a private pipe)
    return result


def batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := [r for _i, r in zip(range(size), rows, strict=False)]:
        yield batch


def parallel_allowed(estimated_rows: int | None) -> bool:
    """Whether a chunked import of about ``estimated_rows`` rows should prepare them in a reader process."""
    if not getattr(settings, "CLIENTELA_IMPORT_PARALLEL", True):
        return False
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False  # fork is what keeps Django's setup and the job's state; elsewhere stay in one process
    if connection.in_atomic_block:
        return False  # a new connection would not see this transaction's rows (the job's own, in tests)
    return (estimated_rows or 0) >= PARALLEL_MIN_ROWS


def prepared_chunks(
    prepare: Callable[[list[Row]], Prepared],
    open_rows: Callable[[], contextlib.AbstractContextManager[Iterator[Row]]],
    *,
    size: int,
    parallel: bool,
) -> Generator[Prepared, None, None]:
    """Prepared chunks in file order. ``open_rows`` opens the file's rows (from the job's cursor on);
    ``prepare`` validates one chunk and must not write."""
    if not parallel:
        with open_rows() as rows:
            for batch in batches(rows, size):
                yield prepare(batch)
        return
    yield from _from_reader(prepare, open_rows, size)


def _reader(
    prepare: Callable[[list[Row]], Prepared], open_rows: Any, size: int, out: Any, parent: int
) -> None:
    def send(message: tuple[str, Any]) -> bool:
        while True:
            try:
                out.put(message, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                if os.getppid() != parent:  # the writer died (killed): nobody will read this
                    return False

    try:
        with open_rows() as rows:
            for batch in batches(rows, size):
                if not send(("chunk", pack(prepare(batch)))):
                    return
        send(("done", None))
    except ImportFileError as exc:
        send(("file_error", (exc.message, exc.line, exc.column)))
    except BaseException as exc:  # the writer reports it; the traceback stays in this process's log
        logger.exception("import reader failed")
        send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connections.close_all()
        if os.getppid() != parent:
            # nobody will read what is still buffered: waiting to flush it would keep this process alive
            out.cancel_join_thread()
        out.close()


def _from_reader(prepare: Callable[[list[Row]], Prepared], open_rows: Any, size: int) -> Iterator[Prepared]:
    ctx = multiprocessing.get_context("fork")
    # The child must open its own connections: a forked one would share the parent's socket or file.
    connections.close_all()
    out = ctx.Queue(maxsize=QUEUE_CHUNKS)
    reader = ctx.Process(target=_reader, args=(prepare, open_rows, size, out, os.getpid()), daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, payload = out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not reader.is_alive():
                    raise ReaderStopped(f"the reader process ended with code {reader.exitcode}") from None
                continue
            if kind == "chunk":
                yield unpack(payload)
            elif kind == "done":
                return
            elif kind == "file_error":
                message, line, column = payload
                raise ImportFileError(message, line=line, column=column)
            else:
                raise ReaderStopped(payload)
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join(timeout=10)
        out.close()
