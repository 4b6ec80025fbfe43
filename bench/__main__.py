"""Run every benchmark: ``python -m bench [--quick]`` (``make bench``)."""

from __future__ import annotations

import sys

from bench import bench_billing, bench_schedule


def main() -> None:
    args = sys.argv[1:]
    print("== billing ==", flush=True)
    bench_billing.main(args)
    print("\n== scheduling ==", flush=True)
    bench_schedule.main(args)


if __name__ == "__main__":
    main()
