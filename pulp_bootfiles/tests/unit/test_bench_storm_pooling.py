"""The boot-storm benchmark's pooled figures: storms run one after another, judged as one."""

from benchmarks.bench_storm import LoneMachine
from benchmarks.storm_client import StormResult


def storm(wall, configs, errors=(), lag=()):
    result = StormResult(wall=wall, requests=len(configs), errors=list(errors))
    result.latencies["config"] += configs
    result.bytes_checked = 10 * len(configs)
    result.loop_lag += list(lag)
    return result


def test_storms_pool_every_request_and_add_walls_and_counts():
    first = storm(10.0, [0.010] * 99 + [0.200], lag=[0.001])
    second = storm(12.0, [0.020] * 100, errors=["x: HTTP 500"], lag=[0.002])
    pooled = StormResult.combined([first, second])
    assert (pooled.wall, pooled.requests, pooled.bytes_checked) == (22.0, 200, 2000)
    assert pooled.errors == ["x: HTTP 500"] and sorted(pooled.loop_lag) == [0.001, 0.002]
    # One slow config among 200: the pooled p99 is a typical one; the first storm's own p99
    # was that one request.
    assert first.percentile("config", 0.99) == 0.200
    assert pooled.percentile("config", 0.99) == 0.020
    assert pooled.percentile("probe", 0.99) == 0.0  # a kind no storm asked for
    assert first.latencies["config"][-1] == 0.200  # the storms themselves are left as they were


def test_the_lone_machines_samples_and_errors_pool_too():
    pooled = LoneMachine.combined(
        [
            LoneMachine({"probe": [0.001], "config": [0.002]}, []),
            LoneMachine({"probe": [0.003]}, ["e"]),
        ]
    )
    assert pooled.latencies == {"probe": [0.001, 0.003], "config": [0.002]}
    assert pooled.errors == ["e"]
    assert pooled.percentile("config", 0.99) == 0.002 and pooled.percentile("none", 0.5) == 0.0
