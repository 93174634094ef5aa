"""The fuzzer's fixed-seed sample, run with the suite (`make fuzz` is the long run), and the
bad-input corpus through every mode: neither may ever reach the internal-error catch-all.

The sample's seed is fixed, so a failure here is reproducible with
`.venv/bin/python -m tests.fuzz.run --replay SEED` from the report in the assertion.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from krmfn.sdk import resourcelist, yaml12
from krmfn.sdk.errors import InputError
from tests.charts import ROOT

from . import harness, mutate

SEED = "make-test"
CASES = 2000
IDEMPOTENCE_EVERY, DETERMINISM_EVERY, HASH_SEEDS = 3, 10, 4
CORPUS = ROOT / "tests" / "reliability" / "bad_inputs"


@pytest.fixture(scope="module")
def sample() -> tuple[harness.Tally, list[mutate.Case]]:
    tally, cases = harness.Tally(), []
    for n in range(CASES):
        case = mutate.make(SEED, n)
        cases.append(case)
        harness.judge(case, harness.run_case(case), tally, idempotence=n % IDEMPOTENCE_EVERY == 0,
                      determinism=n % DETERMINISM_EVERY == 0)
    return tally, cases


def test_the_sample_never_fails(sample):
    tally, _ = sample
    assert harness.clean(tally), harness.report(tally, 0)


def test_the_sample_reaches_every_mode_mutation_and_outcome(sample):
    # A sample that never mutates text, or never exits 0, would pass the test above vacuously.
    tally, _ = sample
    assert set(tally.modes) == set(mutate.MODES)
    assert {"tree", "service", "annotation", "duplicate", "name", "plan", "text"} <= set(tally.kinds)
    assert tally.exit_codes[0] and tally.exit_codes[1]
    assert tally.checked["lost items"] > CASES / 2
    assert tally.checked["idempotence"] and tally.checked["determinism"]


def test_the_sample_is_deterministic_across_hash_seeds(sample):
    _, cases = sample
    chosen = [c for c in cases if c.mode == "function"][:: max(1, CASES // 50)][:HASH_SEEDS]
    assert len(chosen) == HASH_SEEDS
    assert all(harness.across_hash_seeds(c) for c in chosen)


def _plan_file(data: bytes) -> bytes:
    """The case's functionConfig as a --plan file, or the case itself when it does not read."""
    try:
        fc = resourcelist.parse(data).function_config
    except InputError:
        return data
    return yaml12.dump(fc).encode() if fc is not None else data


INDEX = yaml.safe_load((CORPUS / "index.yaml").read_text())


@pytest.mark.parametrize("name", sorted(INDEX))
def test_the_corpus_never_reaches_the_catch_all(name, tmp_path: Path):
    data = (CORPUS / name).read_bytes()
    (tmp_path / "in.yaml").write_bytes(data)
    (tmp_path / "plan.yaml").write_bytes(_plan_file(data))
    (tmp_path / "svc.yaml").write_text("{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {}}\n")
    outcomes = {
        "function": harness.function(data),
        "check -": harness.command(["check", "-"], stdin=data),
        "check --plan": harness.command(["check", "--plan", str(tmp_path / "plan.yaml"), str(tmp_path / "in.yaml")]),
        "render": harness.command(["render", "--plan", str(tmp_path / "plan.yaml"), "-o", str(tmp_path / "out"),
                                   str(tmp_path / "in.yaml")]),
        "render, the case as --plan": harness.command(["render", "--plan", str(tmp_path / "in.yaml"), "-o",
                                                       str(tmp_path / "out2"), str(tmp_path / "svc.yaml")]),
    }
    for mode, outcome in outcomes.items():
        assert outcome.exception is None, (mode, outcome.exception)
        assert outcome.rc in (0, 1) and not outcome.internal and "Traceback" not in outcome.err, (mode, outcome)
    # In function mode every corpus case is refused (test_bad_inputs.py says how), but for those
    # that lower a limit through the environment, which in-process runs keep at its default.
    if "env" not in INDEX[name]:
        assert outcomes["function"].rc == 1
