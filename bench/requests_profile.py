"""Where the time of one request variant goes, under cProfile.

Run from the repository root (ours)::

    hatch run bench:python bench/requests_profile.py route_json [--iterations 20000]

or against python-dockerflow::

    hatch run bench-upstream:python bench/requests_profile.py route_json

Variants are those of ``bench/requests_worker.py``. Prints the functions with
the most own time, then the Dockerflow and logging functions by cumulative
time (cProfile inflates small functions; use it for where, not how much).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from requests_worker import VARIANTS, Side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--limit", type=int, default=25)
    args = parser.parse_args()

    side = Side()
    side.check(args.variant)
    side.time(args.variant, 500)
    profiler = cProfile.Profile()
    profiler.enable()
    side.time(args.variant, args.iterations)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.limit)
    stats.sort_stats("cumulative").print_stats(r"dockerflow|logging|json", args.limit)


if __name__ == "__main__":
    main()
