import pytest
from django.utils import timezone

from chat.models import CounselorProfile
from tests.factories import CounselorFactory, SiteFactory, VisitorFactory


@pytest.fixture(autouse=True)
def _close_writer_threads():
    yield
    from chat.writer import close_writers

    close_writers()


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
