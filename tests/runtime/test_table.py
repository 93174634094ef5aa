"""The README's "Proven on real servers" table says what this run's servers showed, nothing else."""
from tests.runtime import table


def test_readme_table_is_this_runs_results(proven):
    assert table.readme_block() == table.markdown(proven.rows), (
        "README.md's 'Proven on real servers' table differs from what the runtime tests showed in this "
        "run: `python -m tests.runtime.table` rewrites it from .cache/runtime-proven.json"
    )
