import pytest


@pytest.fixture(autouse=True)
def _close_worker_connections():
    """The pure targeting core opens no database connection: nothing to close."""
    yield
