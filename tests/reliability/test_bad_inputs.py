"""Bad input never crashes: every file of the corpus through the real console script.

Each case must end in exit 1, an error result saying what is wrong (with the field's path
where one field is at fault), the ResourceList on stdout, one line per error on stderr and
no traceback. Alias bombs and oversized input are refused by limits, not by running out of
time: a bomb that got expanded could not finish within the subprocess timeout.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from .conftest import BAD_INPUTS, Run, read12, run_cli

INDEX: dict = yaml.safe_load((BAD_INPUTS / "index.yaml").read_text())
CASES = sorted(INDEX)


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    # One process per case, several at a time: start-up, not the cases, is the cost.
    def one(name: str) -> Run:
        return run_cli((BAD_INPUTS / name).read_bytes(), INDEX[name].get("env"))

    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        return dict(zip(CASES, pool.map(one, CASES)))


def test_the_corpus_is_indexed():
    files = {p.name for p in BAD_INPUTS.iterdir()} - {"index.yaml"}
    assert files == set(INDEX)
    assert len(files) >= 60


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_clearly(name: str, runs: dict[str, Run]):
    case, run = INDEX[name], runs[name]

    assert "Traceback" not in run.err
    assert run.rc == 1, run.err
    doc = run.doc
    assert doc["kind"] == "ResourceList"

    errors = run.results("error")
    hits = [r for r in errors if case["error"] in r["message"]]
    assert hits, f"no error result says {case['error']!r}: {[r['message'] for r in errors]}"
    if "path" in case:
        assert case["path"] in [r.get("field", {}).get("path") for r in hits]

    # One line per error or warning, each the whole message; kustomize shows only stderr.
    lines = run.err.splitlines()
    assert all(line.startswith(("krmfn: error: ", "krmfn: warning: ")) for line in lines), lines
    reported = [r for r in run.results() if r["severity"] in ("error", "warning")]
    assert len(lines) == len(reported)
    for result, line in zip(reported, lines):
        assert " ".join(result["message"].split()) in line

    if case.get("kept"):
        # stdin was read as a ResourceList: all of it comes back, unchanged but for the results.
        sent = read12((BAD_INPUTS / name).read_text())
        assert {k: v for k, v in doc.items() if k != "results"} == sent
    else:
        assert doc["items"] == []
