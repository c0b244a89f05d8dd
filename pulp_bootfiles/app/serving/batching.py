"""
Calls of a blocking function that serve every request waiting at the time, one call at a time.

`FreshBatches(function)` gathers the items of the requests of one event loop. While no call
runs, an item starts one at once; items that arrive while a call runs wait for the next call,
which starts after all of them arrived. So each item's result is computed after its request
arrived: a database read in `function` sees everything committed before the request came,
exactly as a read per request would. Under load, one call (one thread hop, one query) serves
every request that queued behind the previous one, instead of one each.

`function(items) -> outcomes` runs in pulpcore's database thread (`sync_to_async`) and returns
one `(True, result)` or `(False, exception)` per item, in order. It runs in the context of the
request that started the current run, not of each item's: whatever it needs of a request (its
domain, say) must travel in the item.
"""

import asyncio

from asgiref.sync import sync_to_async


class FreshBatches:
    def __init__(self, function):
        self._function = sync_to_async(function)
        self._waiting = []  # (item, future)
        self._runner = None  # the task calling `function` while items wait

    async def submit(self, item):
        """The result for `item`, from a call that started after this was called."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run())
        return await future

    async def _run(self):
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    outcomes = await self._function([item for item, __ in batch])
                except Exception as error:  # the whole call failed: every item gets it
                    outcomes = [(False, error)] * len(batch)
                for (__, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():  # its request went away (client disconnected)
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self._runner = None
