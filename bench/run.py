"""`make bench`: krmfn's whole-process time against the floor any Python KRM function pays.

For each input size it times, interleaved run by run so machine noise hits both alike:
- krmfn:  `krmfn < rl.yaml > out` (function mode, IPv6Plan functionConfig);
- floor:  a Python process that loads the same file with PyYAML's CSafeLoader and writes it as JSON.
Then start-up (`python -c pass`, the floor and krmfn on an empty ResourceList) and, when the
image exists, `kubectl kustomize` with krmfn's container against an equivalent built-in patch.

Medians of BENCH_RUNS runs (default 5; the 20,000-object input gets at most 3). Prints a
table and writes every sample to bench/results/latest.json. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/run.py`
    sys.path.insert(0, str(ROOT))

from bench import e2e, inputs  # noqa: E402

SIZES = (100, 1_000, 10_000, 20_000)
LARGE = 20_000  # sizes from here on get at most LARGE_RUNS runs: a run costs a minute
LARGE_RUNS = 3
E2E_OBJECTS = 2_000
BUDGET = 570.0  # seconds for the whole bench; larger inputs get fewer runs to stay inside it
E2E_RESERVE = 190.0  # the kustomize rows at 2,000 objects: two checked builds and three rounds
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent

FLOOR = (
    "import sys, json, yaml; "
    "sys.stdout.write(json.dumps(yaml.load(sys.stdin.buffer, Loader=yaml.CSafeLoader), default=str))"
)

# Targets from the performance issue; shown beside the figures, never asserted.
TARGET_RATIO_10K = 1.3
TARGET_GROWTH = 2.2
TARGET_STARTUP = 3.0


@dataclass
class Sample:
    wall: float  # seconds, whole process
    cpu: float  # user + system seconds of the child
    rss_mb: float  # the child's peak resident set (ru_maxrss)
    rc: int


def child_env() -> dict:
    """The caller's environment with bytecode caching on, kept outside the tree.

    The image ships compiled bytecode; a host with PYTHONDONTWRITEBYTECODE would otherwise
    recompile krmfn's modules on every start and charge krmfn for it.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(inputs.CACHE / "pycache")
    return env


# GNU time (Debian's `time`, in the base image) reports the peak RSS of a child that a small
# process forked. Linux counts a process's peak from before its exec, so a child forked straight
# from this harness (30+ MB of Python) could never report less than the harness's own size.
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None


def run_once(cmd: list[str], stdin: Path, out: Path, env: dict) -> Sample:
    rss_file = out.with_suffix(".rss")
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
    with open(stdin, "rb") as fin, open(out, "wb") as fout, open(out.with_suffix(".stderr"), "wb") as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr, env=env)
        # wait4: this child's own rusage (its children's included), not a delta over every
        # child the bench ever ran.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kb = usage.ru_maxrss
    if GNU_TIME:
        rss_kb = int(rss_file.read_text().split()[-1])
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss_kb / 1024, proc.returncode)


def summary(samples: list[Sample]) -> dict:
    return {
        "wall": statistics.median(s.wall for s in samples),
        "cpu": statistics.median(s.cpu for s in samples),
        "rss_mb": max(s.rss_mb for s in samples),
        "samples": [asdict(s) for s in samples],
    }


def interleaved(variants: dict[str, list[str]], stdin: Path, runs: int, work: Path, env: dict,
                check=None, log=print, label: str = "") -> dict:
    """Run each variant once per round, `runs` rounds; medians per variant."""
    got: dict[str, list[Sample]] = {name: [] for name in variants}
    for i in range(runs):
        for name, cmd in variants.items():
            out = work / f"{name}.out"
            s = run_once(cmd, stdin, out, env)
            if s.rc != 0:
                err = out.with_suffix(".stderr").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited {s.rc} on {stdin.name}:\n{err}")
            if check and i == 0:
                check(name, out)
            got[name].append(s)
        log(f"  {label} run {i + 1}/{runs}: " + ", ".join(f"{n} {got[n][-1].wall:.2f} s" for n in variants))
    return {name: summary(samples) for name, samples in got.items()}


def _check_output(size: int):
    def check(name: str, out: Path) -> None:
        data = out.read_bytes()
        if name == "krmfn":
            # The function really ran: the ResourceList came back with the plan applied.
            if not data.startswith(b"apiVersion: config.kubernetes.io/v1") or b"ipFamilyPolicy: SingleStack" not in data:
                raise RuntimeError(f"krmfn's output for {size} objects is not a transformed ResourceList")
        elif not data.startswith(b"{"):
            raise RuntimeError(f"the floor's output for {size} objects is not JSON")
    return check


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_at_start": os.getloadavg()[0],
        "peak_rss_from": "GNU time" if GNU_TIME else "wait4 (an upper bound: includes the harness's size at fork)",
    }


def bench(sizes=SIZES, runs: int = 5, e2e_objects: int | None = E2E_OBJECTS, with_charts: bool = True,
          budget: float | None = BUDGET, log=print) -> dict:
    env = child_env()
    krmfn = [str(BIN / "krmfn")]
    python = str(BIN / "python")
    floor = [python, "-c", FLOOR]
    started = time.perf_counter()
    report: dict = {"machine": machine(), "runs": runs, "budget": budget or 0, "plan": inputs.PLAN,
                    "sizes": [], "startup": {}, "e2e": None}

    with tempfile.TemporaryDirectory(prefix="krmfn-bench-") as tmp:
        work = Path(tmp)
        empty = inputs.empty_file()
        startup_variants = {"python -c pass": [python, "-c", "pass"], "floor": floor, "krmfn": krmfn}
        # Untimed: writes the bytecode cache and warms the page cache.
        interleaved(startup_variants, empty, 1, work, env, log=lambda *_: None)
        st = interleaved(startup_variants, empty, 2 * runs, work, env, log=log, label="start-up")
        st["ratio"] = st["krmfn"]["wall"] / st["python -c pass"]["wall"]
        st["ratio_cpu"] = st["krmfn"]["cpu"] / st["python -c pass"]["cpu"]
        report["startup"] = st

        paths = {}
        for size in sizes:
            t0 = time.perf_counter()
            paths[size] = inputs.input_file(size, with_charts)
            log(f"{size} objects: {paths[size].stat().st_size / 1e6:.1f} MB ({time.perf_counter() - t0:.1f} s to make or find)")
        measured_at = time.perf_counter()
        # One krmfn+floor round costs about fixed + per_mb * MB; per_mb comes from the last size.
        fixed = st["krmfn"]["wall"] + st["floor"]["wall"]
        per_mb = None

        def cost(size: int) -> float:
            return fixed + per_mb * paths[size].stat().st_size / 1e6

        for i, size in enumerate(sizes):
            mb = paths[size].stat().st_size / 1e6
            n = min(runs, LARGE_RUNS) if size >= LARGE else runs
            if per_mb is not None and budget:
                # Keep inside the budget: one round for each size still to come, the rest here.
                later = sum(cost(s) for s in sizes[i + 1:])
                left = budget - (time.perf_counter() - started) - later - (E2E_RESERVE if e2e_objects else 0)
                n = max(1, min(n, int(left / cost(size))))
            t0 = time.perf_counter()
            row: dict = {"objects": size, "mb": mb, "runs": n}
            try:
                got = interleaved({"krmfn": krmfn, "floor": floor}, paths[size], n, work, env,
                                  check=_check_output(size), log=log, label=f"{size}")
            except RuntimeError as e:
                log(f"  {size}: {e}")
                report["sizes"].append({**row, "error": str(e)[-3000:]})
                continue
            per_mb = max(0.0, (time.perf_counter() - t0) / n - fixed) / mb
            report["sizes"].append({
                **row,
                **got,
                "ratio": got["krmfn"]["wall"] / got["floor"]["wall"],
                "ratio_cpu": got["krmfn"]["cpu"] / got["floor"]["cpu"],
            })
        report["measure_seconds"] = time.perf_counter() - measured_at

        if e2e_objects:
            log(f"end to end: kubectl kustomize, {e2e_objects} objects")
            try:
                deadline = started + budget if budget else None
                report["e2e"] = e2e.run(e2e_objects, runs, work / "e2e", deadline, log=log)
            except Exception as e:  # noqa: BLE001 - the e2e row must never sink the whole bench
                report["e2e"] = {"objects": e2e_objects, "runs": runs, "skipped": f"failed: {e}"}

    by_size = {row["objects"]: row for row in report["sizes"] if "error" not in row}
    if 10_000 in by_size and 20_000 in by_size:
        report["growth"] = {
            name: {m: by_size[20_000][name][m] / by_size[10_000][name][m] for m in ("wall", "cpu")}
            for name in ("krmfn", "floor")
        }
    report["seconds"] = time.perf_counter() - started
    report["machine"]["load_at_end"] = os.getloadavg()[0]
    return report


def _mark(value: float, target: float) -> str:
    return "ok" if value <= target else "MISS"


def table(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"krmfn bench: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, "
        f"load average {m['load_at_start']:.1f} at start, {m['load_at_end']:.1f} at end",
        "Medians; wall = whole process, cpu = user+sys of the child; ratio = krmfn / floor.",
        "",
        f"{'objects':>8} {'MB':>6} {'runs':>4} | {'krmfn':>8} {'floor':>8} {'ratio':>6} | "
        f"{'krmfn':>8} {'floor':>8} {'ratio':>6} | {'krmfn':>7} {'floor':>7}",
        f"{'':>8} {'':>6} {'':>4} | {'wall s':>8} {'wall s':>8} {'':>6} | "
        f"{'cpu s':>8} {'cpu s':>8} {'':>6} | {'RSS MB':>7} {'RSS MB':>7}",
    ]
    for r in report["sizes"]:
        if "error" in r:
            lines.append(f"{r['objects']:>8,} {r['mb']:>6.1f} {'':>4} | failed: {r['error'].splitlines()[0]}")
            continue
        k, f = r["krmfn"], r["floor"]
        runs = f"{r['runs']}*" if r["runs"] < report["runs"] else str(r["runs"])
        lines.append(
            f"{r['objects']:>8,} {r['mb']:>6.1f} {runs:>4} | {k['wall']:>8.3f} {f['wall']:>8.3f} {r['ratio']:>6.2f} | "
            f"{k['cpu']:>8.3f} {f['cpu']:>8.3f} {r['ratio_cpu']:>6.2f} | {k['rss_mb']:>7.0f} {f['rss_mb']:>7.0f}"
        )
    if any(r["runs"] < report["runs"] for r in report["sizes"]):
        lines.append(f"* fewer runs than BENCH_RUNS={report['runs']}: {LARGE:,} objects get at most {LARGE_RUNS}, "
                     f"and any size fewer when the bench would pass BENCH_BUDGET={report['budget']:.0f} s")
    lines.append("")
    st = report["startup"]
    lines.append(
        f"start-up (empty ResourceList with the plan): python -c pass {st['python -c pass']['wall']:.3f} s, "
        f"floor {st['floor']['wall']:.3f} s, krmfn {st['krmfn']['wall']:.3f} s"
    )
    targets = [("start-up krmfn / python -c pass", st["ratio"], st["ratio_cpu"], TARGET_STARTUP)]
    by_size = {r["objects"]: r for r in report["sizes"] if "error" not in r}
    if 10_000 in by_size:
        r = by_size[10_000]
        targets.append(("krmfn / floor at 10,000", r["ratio"], r["ratio_cpu"], TARGET_RATIO_10K))
    if "growth" in report:
        g = report["growth"]
        targets.append(("growth 20k / 10k, krmfn", g["krmfn"]["wall"], g["krmfn"]["cpu"], TARGET_GROWTH))
        lines.append(f"growth 20k / 10k, floor: wall {g['floor']['wall']:.2f}, cpu {g['floor']['cpu']:.2f}")
    lines.append("")
    lines.append(f"{'target':<34} {'wall':>6} {'cpu':>6} {'<=':>5}")
    for name, wall, cpu, target in targets:
        lines.append(f"{name:<34} {wall:>6.2f} {cpu:>6.2f} {target:>5} {_mark(wall, target)} (wall) {_mark(cpu, target)} (cpu)")
    lines.append("")
    e = report.get("e2e")
    if e is None:
        lines.append("end to end: not run (--no-e2e)")
    elif "skipped" in e:
        lines.append(f"end to end, kubectl kustomize, {e['objects']:,} objects: {e['skipped']}"
                     + (f" ({e['reason']})" if e.get("reason") else ""))
    else:
        lines.append(
            f"end to end, kubectl kustomize --enable-alpha-plugins, {e['objects']:,} objects, {e['runs']} runs "
            f"(image {e['image']}):"
        )
        lines.append(f"  built-in patch           {e['patch_wall']:7.2f} s")
        lines.append(f"  null container (cat)     {e['null_wall']:7.2f} s   what any container function costs in kustomize")
        lines.append(f"  krmfn container          {e['krmfn_wall']:7.2f} s   x{e['ratio']:.1f} the patch ({e['added']:+.2f} s), "
                     f"{e['over_null']:+.2f} s against the null function")
    lines.append(f"bench took {report['seconds']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated object counts")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)))
    ap.add_argument("--e2e-objects", type=int, default=E2E_OBJECTS, help="0 leaves out the kustomize row")
    ap.add_argument("--no-charts", action="store_true", help="generated objects only (no helm needed)")
    ap.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", BUDGET)),
                    help="seconds the whole bench should take; 0 for no limit")
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs (BENCH_RUNS) must be at least 1")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    report = bench(sizes, args.runs, args.e2e_objects or None, not args.no_charts, args.budget or None, log=log)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"(every sample: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out})")
    return 1 if any("error" in r for r in report["sizes"]) else 0


if __name__ == "__main__":
    sys.exit(main())
