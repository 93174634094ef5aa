"""`make fuzz`: a long fuzz run with its counts (docs/reliability.md has the last one).

    .venv/bin/python -m tests.fuzz.run [--cases 10000] [--seed fuzz] [--replay SEED --to FILE]

Every case follows from its seed, printed next to each failure: `--replay SEED` writes that
case's input (and plan) to files, to reproduce it with the console script.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import harness, mutate

IDEMPOTENCE_EVERY = 5  # every 5th clean function-mode case is run again on its own output
DETERMINISM_EVERY = 25  # every 25th function-mode case runs twice in-process ...
HASH_SEED_EVERY = 100  # ... and every 100th through the console script under two hash seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make fuzz")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", default="fuzz")
    parser.add_argument("--replay", help="a case's seed, as the report prints it")
    parser.add_argument("--to", default="fuzz-case", help="file name stem for --replay")
    args = parser.parse_args(argv)
    if args.replay:
        base, _, n = args.replay.rpartition(":")
        case = mutate.make(base, int(n))
        Path(args.to + ".input").write_bytes(case.data)
        if case.plan is not None:
            Path(args.to + ".plan.yaml").write_bytes(case.plan)
        print(f"{case.mode} case {case.seed} ({', '.join(case.kinds) or 'no mutation'}) written to {args.to}.*")
        return 0

    tally = harness.Tally()
    start = time.perf_counter()
    hash_seeds = 0
    for n in range(args.cases):
        case = mutate.make(args.seed, n)
        outcome = harness.run_case(case)
        harness.judge(case, outcome, tally, idempotence=n % IDEMPOTENCE_EVERY == 0,
                      determinism=n % DETERMINISM_EVERY == 0)
        if case.mode == "function" and n % HASH_SEED_EVERY == 0:
            hash_seeds += 1
            if not harness.across_hash_seeds(case):
                tally.fail("determinism", case, "stdout/stderr/exit differ under PYTHONHASHSEED 0 and 4242")
        if (n + 1) % 1000 == 0:
            print(f"... {n + 1} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(harness.report(tally, time.perf_counter() - start))
    print(f"(determinism includes {hash_seeds} console-script runs under two hash seeds)")
    return 0 if harness.clean(tally) else 1


if __name__ == "__main__":
    sys.exit(main())
