"""The benchmark suite of pulp_bootfiles: `benchmarks/run.sh [--smoke|--full]`.

Benchmarks are not tests: each prints its figures beside a baseline measured in the same run.
"""
