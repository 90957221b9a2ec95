import pytest


@pytest.fixture(autouse=True)
def _checkpoints_in_tmp(settings, tmp_path):
    """Checkpoints written or read by these tests live in the test's own folder, never beside manage.py."""
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "audit-checkpoints.jsonl")
