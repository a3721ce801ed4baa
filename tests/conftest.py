import pytest
from django.utils import timezone

from chat.models import CounselorProfile
from tests.factories import CounselorFactory, SiteFactory, VisitorFactory


@pytest.fixture(autouse=True)
def _close_worker_connections():
    """Worker threads (the message writer, asgiref's sync thread, the visitor
    sockets' pool) hold their own database connections; close them so the test
    database can be flushed/dropped."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from chat.consumers.base import visitor_db_close
    from chat.writer import close_writers
    from targeting import live
    from targeting.writer import close_track_writers

    close_writers()
    close_track_writers()
    live._live.clear()
    live.presence.clear()
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()
    visitor_db_close()


@pytest.fixture
def site(db):
    return SiteFactory()


@pytest.fixture
def visitor(site):
    return VisitorFactory(site=site)


@pytest.fixture
def online_counselor(site):
    def make(**kwargs):
        kwargs.setdefault("status", CounselorProfile.Status.ONLINE)
        kwargs.setdefault("last_seen_at", timezone.now())
        return CounselorFactory(sites=[site], **kwargs)

    return make
