"""End to end: `kubectl kustomize --enable-alpha-plugins` with krmfn's container against the
same kustomization doing the Service part with a built-in JSON 6902 patch, and against a
container function that does nothing (`cat`, on krmfn's own image): what any container
function costs inside kustomize.

All read the same generated objects (no chart renders: a built-in patch cannot do what the
adapters do). The patch targets exactly the Services krmfn changes (every ClusterIP and
headless Service, no ExternalName), and the krmfn and patch outputs are compared object by
object before anything is timed, so the row compares equal work.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from pathlib import Path

import yaml

from bench import inputs

ROOT = inputs.ROOT
IMAGE = "localhost/krmfn:dev"
NULL_IMAGE = "localhost/krmfn-bench-null:dev"  # krmfn's image with `cat` as its entrypoint
SKIPPED = "skipped: run make image"
MAX_RUNS = 3  # a round is three kustomize builds, half a minute at 2,000 objects

FN_CONFIG = {
    **inputs.PLAN,
    "metadata": {
        "name": "ipv6",
        "annotations": {"config.kubernetes.io/function": f"container:\n  image: {IMAGE}\n"},
    },
}

# Generated Service names: app00042, app00042-headless, app00042-metrics, app00042-externalname.
PATCH = {
    "target": {"kind": "Service", "name": "app[0-9]+(-headless|-metrics)?"},
    "patch": "- op: add\n  path: /spec/ipFamilyPolicy\n  value: SingleStack\n"
             "- op: add\n  path: /spec/ipFamilies\n  value: [IPv6]\n",
}


def container_env() -> tuple[dict | None, str]:
    """The environment hack/container-env.sh makes, or None and why the row is skipped."""
    if shutil.which("kubectl") is None:
        return None, "kubectl is not installed"
    if shutil.which("podman") is None:
        return None, "podman is not installed"
    proc = subprocess.run(["bash", "-c", "source hack/container-env.sh && env -0"], cwd=ROOT, capture_output=True)
    if proc.returncode:
        return None, "hack/container-env.sh failed"
    env = dict(kv.split("=", 1) for kv in proc.stdout.decode().split("\0") if "=" in kv)
    for needed in (Path(env.get("CONTAINERS_CONF", "")), ROOT / ".cache" / "shim" / "docker"):
        if not needed.is_file() and not needed.is_symlink():
            return None, f"{needed} is missing"
    if subprocess.run(["podman", "image", "exists", IMAGE], env=env, capture_output=True).returncode:
        return None, f"{IMAGE} is missing"
    return env, ""


def _null_image(workdir: Path, env: dict) -> None:
    """Rebuilt on every bench (it takes well under a second) so it always sits on the current image."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "Containerfile").write_text(f'FROM {IMAGE}\nENTRYPOINT ["cat"]\n')
    subprocess.run(["podman", "build", "--pull=never", "-q", "-t", NULL_IMAGE, str(workdir)],
                   env=env, capture_output=True, check=True)


def _write(workdir: Path, objects: Path) -> tuple[Path, Path, Path]:
    fn_dir, patch_dir, null_dir = workdir / "krmfn", workdir / "patch", workdir / "null"
    for d in (fn_dir, patch_dir, null_dir):
        d.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(objects, d / "objects.yaml")
    transformers = {"resources": ["objects.yaml"], "transformers": ["fn.yaml"]}
    (fn_dir / "fn.yaml").write_text(yaml.safe_dump(FN_CONFIG, sort_keys=False))
    (fn_dir / "kustomization.yaml").write_text(yaml.safe_dump(transformers, sort_keys=False))
    null_fn = {"apiVersion": "bench.krmfn.dev/v1", "kind": "Nothing", "metadata": {
        "name": "nothing", "annotations": {"config.kubernetes.io/function": f"container:\n  image: {NULL_IMAGE}\n"}}}
    (null_dir / "fn.yaml").write_text(yaml.safe_dump(null_fn, sort_keys=False))
    (null_dir / "kustomization.yaml").write_text(yaml.safe_dump(transformers, sort_keys=False))
    (patch_dir / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": ["objects.yaml"], "patches": [PATCH]}, sort_keys=False)
    )
    return fn_dir, patch_dir, null_dir


def _build(directory: Path, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["kubectl", "kustomize", "--enable-alpha-plugins", str(directory)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
    )
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"kubectl kustomize {directory.name} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return wall, proc.stdout


def _key(doc: dict) -> tuple:
    md = doc.get("metadata") or {}
    return doc.get("kind"), md.get("namespace"), md.get("name")


def run(count: int, runs: int, workdir: Path, deadline: float | None = None, log=print) -> dict:
    """Median wall times of the three builds; a dict with `skipped` when the container cannot run.

    `deadline` (a time.perf_counter() value) cuts the rounds, at least one, to end by then.
    """
    env, why = container_env()
    row: dict = {"objects": count}
    if env is None:
        return {**row, "runs": 0, "skipped": SKIPPED, "reason": why}
    _null_image(workdir / "null-image", env)
    fn_dir, patch_dir, null_dir = _write(workdir, inputs.kustomize_resources(count))
    # One untimed build each of krmfn and the patch: the image's first start pays for page cache
    # and podman's storage checks; and the outputs must agree, or the comparison would be of
    # unequal work.
    t0 = time.perf_counter()
    _, fn_out = _build(fn_dir, env)
    _, patch_out = _build(patch_dir, env)
    fn_docs = {_key(d): d for d in yaml.safe_load_all(fn_out) if d}
    patch_docs = {_key(d): d for d in yaml.safe_load_all(patch_out) if d}
    families = sum(1 for d in fn_docs.values() if (d.get("spec") or {}).get("ipFamilies") == ["IPv6"])
    if fn_docs != patch_docs or not families:
        differ = sorted(str(k) for k in fn_docs.keys() | patch_docs.keys() if fn_docs.get(k) != patch_docs.get(k))
        raise RuntimeError(f"krmfn and the built-in patch disagree on {len(differ)} object(s), e.g. {differ[:3]}")
    runs = min(runs, MAX_RUNS)
    if deadline is not None:
        # A round also builds the null function, about as long as krmfn's build.
        round_cost = (time.perf_counter() - t0) * 1.8
        runs = max(1, min(runs, int((deadline - time.perf_counter()) / round_cost)))
    times: dict[str, list[float]] = {"patch": [], "null": [], "krmfn": []}
    for i in range(runs):
        for name, d in (("patch", patch_dir), ("null", null_dir), ("krmfn", fn_dir)):
            times[name].append(_build(d, env)[0])
        log(f"  e2e run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        **row,
        "runs": runs,
        "services_changed": families,
        "patch_wall": med["patch"],
        "null_wall": med["null"],
        "krmfn_wall": med["krmfn"],
        "samples": times,
        "image": subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", IMAGE], env=env,
                                capture_output=True, text=True).stdout.strip()[:12],
        "ratio": med["krmfn"] / med["patch"],
        "added": med["krmfn"] - med["patch"],
        "over_null": med["krmfn"] - med["null"],
    }
