"""The request's batched, cached reads: a DataLoader whose waits are per batch.

Every key asked for while the event loop turns (by sibling resolvers, or the relations of a
page loading side by side) is read in one call of the batch function, and each key at most
once per request. It behaves as strawberry's ``DataLoader`` does (the same dispatch
timing, so the same keys share a batch), but a caller waits on one future per batch it
needs, not one per key: loading the managers, units and roles of a page of a hundred people
makes a handful of futures, not hundreds, each with its callbacks and a ``gather``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Batch(Generic[K]):
    """Keys to read in one call, and the future that is done once they are."""

    __slots__ = ("done", "keys", "started", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.keys: list[K] = []
        self.done: asyncio.Future[None] = loop.create_future()
        self.started = False
        self.task: asyncio.Task[None] | None = None  # held: the loop keeps only weak ones

    async def wait(self) -> None:
        # Shielded: a caller that gives up (its task cancelled) must not cancel the batch
        # for the others waiting on it.
        await asyncio.shield(self.done)


class Loader(Generic[K, V]):
    """``load_fn(keys)`` returns one value per key, in order; ``load`` and ``load_many``
    read through it. A failed batch fails every caller waiting on it, and its keys are
    read again when asked for again."""

    def __init__(self, load_fn: Callable[[Sequence[K]], Awaitable[Sequence[V]]]) -> None:
        self._load_fn = load_fn
        self._values: dict[K, V] = {}
        self._reading: dict[K, _Batch[K]] = {}  # keys asked for, not read yet: their batch
        self._next: _Batch[K] | None = None  # the batch that keys join until it starts

    async def load(self, key: K) -> V:
        if key not in self._values:
            await self._batch_of(key).wait()
        return self._values[key]

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        keys = list(keys)
        values, reading = self._values, self._reading
        # Whole lists at a time, not key by key: a page asks for a hundred keys at once.
        fresh = dict.fromkeys([k for k in keys if k not in values and k not in reading])
        waits = {reading[k]: None for k in keys if k in reading}
        if fresh:
            batch = self._joinable()
            batch.keys.extend(fresh)
            reading.update(dict.fromkeys(fresh, batch))
            waits[batch] = None
        for batch in waits:
            await batch.wait()
        return [values[k] for k in keys]

    def _batch_of(self, key: K) -> _Batch[K]:
        batch = self._reading.get(key)
        if batch is None:
            batch = self._joinable()
            batch.keys.append(key)
            self._reading[key] = batch
        return batch

    def _joinable(self) -> _Batch[K]:
        """The batch that keys asked for now join: the next one, until it starts."""
        batch = self._next
        if batch is None or batch.started:
            loop = asyncio.get_running_loop()
            batch = self._next = _Batch(loop)
            # As strawberry's DataLoader: the batch runs in a task created on the next
            # turn, so keys asked for on this turn and the next join it.
            loop.call_soon(self._start, batch)
        return batch

    def _start(self, batch: _Batch[K]) -> None:
        batch.task = asyncio.get_running_loop().create_task(self._run(batch))

    async def _run(self, batch: _Batch[K]) -> None:
        batch.started = True
        if self._next is batch:
            self._next = None
        try:
            values = list(await self._load_fn(batch.keys))
            if len(values) != len(batch.keys):
                raise ValueError(f"a batch of {len(batch.keys)} keys returned {len(values)} values")
        except BaseException as exc:
            for key in batch.keys:
                self._reading.pop(key, None)
            batch.done.set_exception(exc)
            batch.done.exception()  # retrieved: callers that gave up need not see it logged
            if not isinstance(exc, Exception):
                raise
            return
        self._values.update(zip(batch.keys, values, strict=True))
        reading = self._reading
        for key in batch.keys:
            if key in reading:
                del reading[key]
        batch.done.set_result(None)
