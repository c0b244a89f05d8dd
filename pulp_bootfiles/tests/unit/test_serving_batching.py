"""FreshBatches: one blocking call at a time, each serving every item that arrived before it
started, and no item served by a call that started before the item arrived."""

import asyncio
import threading
import time

import pytest

from pulp_bootfiles.app.serving.batching import FreshBatches


class Recorder:
    """A blocking function recording each call's items and start time; the first call waits
    for `release` so that others queue behind it."""

    def __init__(self, fail_items=(), fail_call=False):
        self.calls, self.release = [], threading.Event()
        self.fail_items, self.fail_call = set(fail_items), fail_call

    def __call__(self, items):
        self.calls.append((time.monotonic(), list(items)))
        if len(self.calls) == 1:
            self.release.wait(5)
        if self.fail_call:
            raise RuntimeError("database gone")
        return [
            (False, KeyError(item)) if item in self.fail_items else (True, item * 10)
            for item in items
        ]


async def submit_later(batches, item, arrivals):
    arrivals[item] = time.monotonic()
    return await batches.submit(item)


def test_items_that_arrive_during_a_call_share_the_next_one_which_starts_after_them():
    recorder = Recorder()

    async def scenario():
        batches, arrivals = FreshBatches(recorder), {}
        first = asyncio.create_task(submit_later(batches, 1, arrivals))
        await asyncio.sleep(0.05)  # the first call is running and waits for `release`
        later = [asyncio.create_task(submit_later(batches, i, arrivals)) for i in (2, 3, 4)]
        await asyncio.sleep(0.05)
        recorder.release.set()
        results = await asyncio.gather(first, *later)
        return results, arrivals

    results, arrivals = asyncio.run(scenario())
    assert results == [10, 20, 30, 40]
    assert [items for __, items in recorder.calls] == [[1], [2, 3, 4]]
    for started, items in recorder.calls:
        assert all(arrivals[item] <= started for item in items)


def test_an_items_exception_is_raised_for_that_item_only():
    recorder = Recorder(fail_items={2})
    recorder.release.set()

    async def scenario():
        batches = FreshBatches(recorder)
        return await asyncio.gather(*(batches.submit(i) for i in (1, 2, 3)), return_exceptions=True)

    one, two, three = asyncio.run(scenario())
    assert (one, three) == (10, 30) and isinstance(two, KeyError)


def test_a_failed_call_fails_its_items_and_the_next_call_still_runs():
    recorder = Recorder(fail_call=True)
    recorder.release.set()

    async def scenario():
        batches = FreshBatches(recorder)
        with pytest.raises(RuntimeError, match="database gone"):
            await batches.submit(1)
        recorder.fail_call = False
        return await batches.submit(2)

    assert asyncio.run(scenario()) == 20


def test_a_request_that_went_away_does_not_stop_the_others():
    recorder = Recorder()

    async def scenario():
        batches = FreshBatches(recorder)
        first = asyncio.create_task(batches.submit(1))
        await asyncio.sleep(0.05)
        gone, kept = asyncio.create_task(batches.submit(2)), asyncio.create_task(batches.submit(3))
        await asyncio.sleep(0.01)
        gone.cancel()
        recorder.release.set()
        return await first, await kept

    assert asyncio.run(scenario()) == (10, 30)
