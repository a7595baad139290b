"""The request's loaders: keys asked for together are read together, each once, and a
failed or abandoned read never leaves another caller with a wrong answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from service.graphql.loader import Loader


class Source:
    """A batch function that records each call's keys; ``fail`` makes the next call raise."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self, keys: Sequence[int]) -> list[str]:
        self.calls.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            exc, self.fail = self.fail, None
            raise exc
        return [f"v{k}" for k in keys]


async def test_keys_asked_for_together_are_read_in_one_call_each_once() -> None:
    source = Source()
    loader = Loader(source)
    one, many, again = await asyncio.gather(
        loader.load(1), loader.load_many([2, 3, 1, 2]), loader.load(3)
    )
    assert (one, many, again) == ("v1", ["v2", "v3", "v1", "v2"], "v3")
    assert source.calls == [[1, 2, 3]]
    # Read keys come from memory; only the new one is read.
    assert await loader.load_many([3, 4, 1]) == ["v3", "v4", "v1"]
    assert source.calls == [[1, 2, 3], [4]]


async def test_a_key_asked_for_while_its_batch_runs_waits_for_that_batch() -> None:
    source = Source()
    source.gate = asyncio.Event()
    loader = Loader(source)
    first = asyncio.ensure_future(loader.load_many([1, 2]))
    await asyncio.sleep(0.01)  # the batch has started and waits on the gate
    second = asyncio.ensure_future(loader.load_many([2, 5]))
    await asyncio.sleep(0.01)
    source.gate.set()
    assert await first == ["v1", "v2"]
    assert await second == ["v2", "v5"]
    assert source.calls == [[1, 2], [5]]


async def test_a_failed_batch_fails_its_callers_and_is_read_again_later() -> None:
    source = Source()
    source.fail = RuntimeError("database gone")
    loader = Loader(source)
    results = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results), results
    assert await loader.load_many([1, 2]) == ["v1", "v2"]
    assert source.calls == [[1, 2], [1, 2]]


async def test_a_caller_giving_up_does_not_cancel_the_read_for_the_others() -> None:
    source = Source()
    source.gate = asyncio.Event()
    loader = Loader(source)
    quitter = asyncio.ensure_future(loader.load(1))
    stayer = asyncio.ensure_future(loader.load(1))
    await asyncio.sleep(0.01)
    quitter.cancel()
    await asyncio.sleep(0)
    source.gate.set()
    assert await stayer == "v1"
    assert quitter.cancelled()


async def test_a_batch_function_returning_the_wrong_number_of_values_is_an_error() -> None:
    async def short(keys: Sequence[int]) -> list[str]:
        return ["only one"]

    loader = Loader(short)
    with pytest.raises(ValueError, match="2 keys returned 1 values"):
        await loader.load_many([1, 2])


async def test_keys_repeated_in_one_call_are_read_once_and_answered_in_place() -> None:
    source = Source()
    loader = Loader(source)
    assert await loader.load_many([5, 5, 6, 5]) == ["v5", "v5", "v6", "v5"]
    assert await loader.load_many([6, 7, 7, 5]) == ["v6", "v7", "v7", "v5"]
    assert await loader.load_many([]) == []
    assert source.calls == [[5, 6], [7]]
