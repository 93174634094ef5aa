import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class YAMLSnapshot(SingleFileSnapshotExtension):
    """One readable .yaml file per snapshot, so a reviewer reads the output, not a pickle."""

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def yaml_snapshot(snapshot):
    return snapshot.use_extension(YAMLSnapshot)
