"""The managers' lead API (/api/leads/): scoping, filters, pages, pipeline, notes,
CSV export, the privacy actions, and the access log every read writes."""

import csv
import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from chat.models import CounselorProfile
from leads.models import AccessLog, Lead, LeadEvent
from tests.factories import (
    CounselorFactory,
    LeadFactory,
    LeadSettingsFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_caches")]

URL = "/api/leads/"
IP = "198.51.100.23"
UA = "ConsoleTest/1.0"
HEADERS = {"REMOTE_ADDR": IP, "HTTP_USER_AGENT": UA}


def at(day, hour=0, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(db, api_client):
    site_a = SiteFactory(time_zone="Asia/Seoul")
    site_b = SiteFactory()
    LeadSettingsFactory(site=site_a)
    LeadSettingsFactory(site=site_b)
    manager = CounselorFactory(
        sites=[site_a], role=CounselorProfile.Role.MANAGER, display_name="Manager Kim"
    )
    counselor = CounselorFactory(sites=[site_a], display_name="Counselor Lee")
    outsider = CounselorFactory(sites=[site_b], display_name="Outsider Park")
    return SimpleNamespace(
        site_a=site_a,
        site_b=site_b,
        manager=manager,
        counselor=counselor,
        outsider=outsider,
        as_manager=api_client(manager),
        as_counselor=api_client(counselor),
        as_outsider=api_client(outsider),
    )


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_counselor_never_sees_another_sites_leads(world):
    mine = LeadFactory(site=world.site_a)
    theirs = LeadFactory(site=world.site_b)
    client = world.as_counselor

    assert ids(client.get(URL)) == [mine.pk]
    assert ids(client.get(URL, {"site": world.site_b.pk})) == []
    assert ids(world.as_outsider.get(URL)) == [theirs.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    patch = client.patch(f"{URL}{theirs.pk}/", {"status": "lost"}, format="json")
    assert patch.status_code == 404
    note = client.post(f"{URL}{theirs.pk}/notes/", {"text": "hi"}, format="json")
    assert note.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "new" and not theirs.events.exists()


def test_anonymous_and_non_counselors_are_refused(world, api_client):
    LeadFactory(site=world.site_a)
    assert api_client().get(URL).status_code == 403
    client = api_client()
    client.force_authenticate(UserFactory())
    assert client.get(URL).status_code == 403


@pytest.fixture
def exportable(world):
    LeadFactory(site=world.site_a, phone="+821011112222")
    return world


def test_manager_can_export_csv(exportable):
    response = exportable.as_manager.get(f"{URL}export/")
    assert response.status_code == 200
    assert AccessLog.objects.filter(action="export").count() == 1


def test_counselor_cannot_export_csv(exportable):
    response = exportable.as_counselor.get(f"{URL}export/")
    assert response.status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()


@pytest.mark.parametrize("action", ["person-export", "person-erase"])
def test_manager_can_export_or_erase_a_person(exportable, action):
    body = {"site": exportable.site_a.pk, "phone": "010-1111-2222"}
    response = exportable.as_manager.post(f"{URL}{action}/", body, format="json")
    assert response.status_code == 200
    assert Lead.objects.exists() is (action == "person-export")


@pytest.mark.parametrize("action", ["person-export", "person-erase"])
def test_counselor_cannot_export_or_erase_a_person(exportable, action):
    body = {"site": exportable.site_a.pk, "phone": "010-1111-2222"}
    response = exportable.as_counselor.post(f"{URL}{action}/", body, format="json")
    assert response.status_code == 403
    assert Lead.objects.exists()
    assert not AccessLog.objects.filter(action__in=["person_export", "erase"]).exists()


@pytest.mark.parametrize("mine", [True, False])
def test_manager_erases_only_in_their_own_sites(exportable, mine):
    site = exportable.site_a if mine else exportable.site_b
    LeadFactory(site=exportable.site_b, phone="+821011112222")
    body = {"site": site.pk, "phone": "010-1111-2222"}
    response = exportable.as_manager.post(f"{URL}person-erase/", body, format="json")
    assert response.status_code == (200 if mine else 400)
    assert Lead.objects.filter(site=exportable.site_b).count() == 1
    if not mine:
        # Another's site is answered as a site that does not exist.
        unknown = {"site": 10_000_000, "phone": "010-1111-2222"}
        missing = exportable.as_manager.post(
            f"{URL}person-erase/", unknown, format="json"
        )
        assert missing.status_code == 400
        assert response.json() == {
            "site": [f'Invalid pk "{site.pk}" - object does not exist.']
        }
        assert missing.json() == {
            "site": ['Invalid pk "10000000" - object does not exist.']
        }


def test_person_action_needs_a_phone_or_an_email(exportable):
    body = {"site": exportable.site_a.pk, "phone": "", "email": ""}
    response = exportable.as_manager.post(f"{URL}person-erase/", body, format="json")
    assert response.status_code == 400
    assert Lead.objects.count() == 1


@pytest.fixture
def catalogue(world):
    make = LeadFactory
    return {
        "kim": make(
            site=world.site_a,
            name="Kim Minji",
            phone="+821011112222",
            email="minji@example.com",
            assignee=world.counselor,
            created_at=at(1),
        ),
        "lee": make(
            site=world.site_a,
            name="Lee Jun",
            status="contacted",
            source="queue_overflow",
            overdue_since=at(6),
            created_at=at(5),
        ),
        "park": make(
            site=world.site_a,
            name="Park Sora",
            status="won",
            source="in_chat_form",
            assignee=world.manager,
            created_at=at(9),
        ),
        "choi": make(
            site=world.site_a,
            name="Choi Hana",
            status="lost",
            overdue_since=at(10),
            created_at=at(10),
        ),
        "other": make(site=world.site_b, name="Kim Other", created_at=at(3)),
    }


FILTERS = [
    ({}, ["choi", "park", "lee", "kim"]),
    ({"status": ["new", "contacted"]}, ["lee", "kim"]),
    ({"status": "won"}, ["park"]),
    ({"source": "queue_overflow"}, ["lee"]),
    ({"source": ["queue_overflow", "in_chat_form"]}, ["park", "lee"]),
    ({"assignee": "none"}, ["choi", "lee"]),
    ({"overdue": "true"}, ["lee"]),
    ({"created_after": "2026-03-05T00:00:00Z"}, ["choi", "park", "lee"]),
    (
        {"created_after": "2026-03-02T00:00:00Z", "created_before": at(9).isoformat()},
        ["lee"],
    ),
    ({"q": "kim"}, ["kim"]),
    ({"q": "010-1111-2222"}, ["kim"]),
    ({"q": "+82 10 1111 2222"}, ["kim"]),
    ({"q": "minji@EXAMPLE.com"}, ["kim"]),
    ({"q": "nobody"}, []),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_list_filters(world, catalogue, params, expected):
    got = ids(world.as_counselor.get(URL, params))
    assert got == [catalogue[key].pk for key in expected]


def test_list_filters_by_assignee_id(world, catalogue):
    got = ids(world.as_counselor.get(URL, {"assignee": world.manager.pk}))
    assert got == [catalogue["park"].pk]
    assert world.as_counselor.get(URL, {"assignee": "me"}).status_code == 400


def test_search_by_reference_finds_that_lead(world, catalogue):
    reference = catalogue["lee"].reference
    got = ids(world.as_counselor.get(URL, {"q": reference.lower()}))
    assert got == [catalogue["lee"].pk]


def test_cursor_pages_return_every_lead_once(world):
    # Three share one creation time: the cursor must not skip or repeat them.
    created = [at(1), at(2), at(2), at(2), at(3), at(4), at(5)]
    leads = [LeadFactory(site=world.site_a, created_at=c) for c in created]
    seen, url, params = [], URL, {"page_size": 2}
    for _ in range(10):
        response = world.as_counselor.get(url, params)
        seen += ids(response)
        url, params = response.json()["next"], None
        if url is None:
            break
    assert len(seen) == len(set(seen)) == len(leads)
    newest_first = sorted(leads, key=lambda lead: (lead.created_at, lead.pk))[::-1]
    assert seen == [lead.pk for lead in newest_first]


def test_stats_count_by_status_and_source(world, catalogue):
    stats = world.as_counselor.get(f"{URL}stats/").json()
    assert stats["by_status"] == {"new": 1, "contacted": 1, "won": 1, "lost": 1}
    assert stats["by_source"] == {
        "offline_form": {"total": 2, "won": 0},
        "queue_overflow": {"total": 1, "won": 0},
        "in_chat_form": {"total": 1, "won": 1},
    }
    # A lost lead is not overdue any more, whatever its flag says.
    assert stats["overdue"] == 1
    narrowed = world.as_counselor.get(f"{URL}stats/", {"q": "kim"}).json()
    assert narrowed["by_status"] == {"new": 1}


def patch(world, lead, client=None, **changes):
    client = client or world.as_counselor
    return client.patch(f"{URL}{lead.pk}/", changes, format="json", **HEADERS)


def test_status_moves_along_the_pipeline_with_the_actor_named(world):
    lead = LeadFactory(site=world.site_a)
    for status in ("contacted", "qualified", "won"):
        response = patch(world, lead, status=status)
        assert response.status_code == 200
        assert response.json()["status"] == status
    events = list(LeadEvent.objects.filter(lead=lead, kind="status"))
    assert [(e.data["from"], e.data["to"]) for e in events] == [
        ("new", "contacted"),
        ("contacted", "qualified"),
        ("qualified", "won"),
    ]
    assert {(e.actor_id, e.actor_name) for e in events} == {
        (world.counselor.user_id, "Counselor Lee")
    }
    timeline = response.json()["timeline"]
    assert timeline[-1]["actor"] == "Counselor Lee"


@pytest.mark.parametrize(("start", "target"), [("won", "lost"), ("qualified", "new")])
def test_refused_move_is_409_with_a_code(world, start, target):
    lead = LeadFactory(site=world.site_a, status=start)
    response = patch(world, lead, status=target)
    assert response.status_code == 409
    assert response.json()["code"] == "bad_transition"
    lead.refresh_from_db()
    assert lead.status == start and not lead.events.exists()


def test_reopening_a_lost_lead_while_the_person_has_an_open_one_is_409(world):
    lost = LeadFactory(site=world.site_a, phone="+821033334444", status="lost")
    LeadFactory(site=world.site_a, phone="+821033334444", status="new")
    response = patch(world, lost, status="contacted")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_open_lead"
    lost.refresh_from_db()
    assert lost.status == "lost" and not lost.events.exists()


def test_reopening_a_lost_lead_is_allowed_when_no_other_is_open(world):
    lost = LeadFactory(site=world.site_a, phone="+821033334444", status="lost")
    assert patch(world, lost, status="contacted").status_code == 200


def test_assigning_a_counselor_of_another_site_is_refused(world):
    lead = LeadFactory(site=world.site_a)
    response = patch(world, lead, assignee=world.outsider.pk)
    # The same answer as for an id that does not exist: no probing other tenants.
    missing = patch(world, lead, assignee=10**9)
    assert response.status_code == missing.status_code == 400
    assert response.json().keys() == missing.json().keys() == {"assignee"}
    lead.refresh_from_db()
    assert lead.assignee is None


def test_clearing_the_callback_time_means_as_soon_as_possible(world):
    lead = LeadFactory(site=world.site_a, callback_at=None, callback_due_at=None)
    response = patch(world, lead, callback_at=None)
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.callback_at is None and lead.callback_due_at is not None
    event = lead.events.get(kind="callback")
    assert event.data["asap"] is True


def test_search_by_the_last_digits_and_by_email_in_any_case(world):
    lead = LeadFactory(site=world.site_a, phone="+821098761234", email="minjun@ex.kr")
    LeadFactory(site=world.site_a, phone="+821011112222")
    for q in ("1234", "MINJUN@EX.KR"):
        assert ids(world.as_counselor.get(URL, {"q": q})) == [lead.pk], q


def test_assigning_and_unassigning_a_counselor_of_the_site(world):
    lead = LeadFactory(site=world.site_a)
    assigned = patch(world, lead, assignee=world.counselor.pk)
    assert assigned.status_code == 200
    assert assigned.json()["assignee"]["name"] == "Counselor Lee"
    assert patch(world, lead, assignee=None).json()["assignee"] is None
    changes = [e.data for e in lead.events.filter(kind="assignee")]
    assert changes == [
        {"from": None, "to": "Counselor Lee"},
        {"from": "Counselor Lee", "to": None},
    ]


def test_note_is_added_to_the_timeline(world):
    lead = LeadFactory(site=world.site_a)
    url = f"{URL}{lead.pk}/notes/"
    response = world.as_counselor.post(url, {"text": " Call after 3 "}, format="json")
    assert response.status_code == 201
    assert (response.json()["text"], response.json()["actor"]) == (
        "Call after 3",
        "Counselor Lee",
    )
    assert lead.events.get(kind="note").text == "Call after 3"


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_note_is_400(world, text):
    lead = LeadFactory(site=world.site_a)
    url = f"{URL}{lead.pk}/notes/"
    response = world.as_counselor.post(url, {"text": text}, format="json")
    assert response.status_code == 400 and "text" in response.json()
    assert not lead.events.exists()


def test_csv_export_rows_in_the_site_time_zone_and_safe_from_formulas(world):
    LeadFactory(site=world.site_a, status="lost", created_at=at(1))
    LeadFactory(site=world.site_b, created_at=at(1))
    lead = LeadFactory(
        site=world.site_a,
        name='=HYPERLINK("http://evil")',
        created_at=at(10, 15, 30),
        callback_due_at=at(11, 2, 0),
        assignee=world.counselor,
        marketing_consent=True,
    )
    response = world.as_manager.get(f"{URL}export/", {"status": "new"}, **HEADERS)
    body = b"".join(response.streaming_content).decode("utf-8")

    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    # The header names the zone; the values are ISO 8601 with the offset.
    assert rows[0] == (
        "reference,created_at (Asia/Seoul),source,status,name,phone,email,"
        "callback_due_at (Asia/Seoul),assignee,marketing_consent,message"
    ).split(",")
    assert rows[1:] == [
        [
            lead.reference,
            "2026-03-11T00:30+09:00",  # 15:30 UTC is past midnight in Seoul
            "offline_form",
            "new",
            '\'=HYPERLINK("http://evil")',
            lead.phone,
            lead.email,
            "2026-03-11T11:00+09:00",
            "Counselor Lee",
            "yes",
            "",
        ]
    ]
    log = AccessLog.objects.get(action="export")
    assert (log.user, log.lead_ids, log.count) == (world.manager.user, [lead.pk], 1)
    assert (log.ip, log.user_agent) == (IP, UA)


def test_list_writes_an_access_log_with_the_ids_shown_and_the_search_masked(world):
    kim = LeadFactory(site=world.site_a, name="Kim Minji", phone="+821011112222")
    LeadFactory(site=world.site_a, name="Lee Jun")
    response = world.as_counselor.get(URL, {"q": "010-1111-2222"}, **HEADERS)
    assert ids(response) == [kim.pk]

    log = AccessLog.objects.get()
    assert (log.action, log.user, log.username) == (
        "list",
        world.counselor.user,
        world.counselor.user.username,
    )
    assert (log.lead_ids, log.count, log.ip, log.user_agent) == ([kim.pk], 1, IP, UA)
    assert "q=%3C13+chars%3E" in log.query
    for value in (log.query, log.path, log.user_agent, str(log.lead_ids)):
        assert "1111" not in value and "Kim" not in value


def test_view_and_update_write_access_logs(world):
    lead = LeadFactory(site=world.site_a)
    client = world.as_counselor
    assert client.get(f"{URL}{lead.pk}/", **HEADERS).status_code == 200
    view = AccessLog.objects.get()
    assert (view.action, view.lead_ids, view.user) == (
        "view",
        [lead.pk],
        world.counselor.user,
    )
    assert (view.site_id, view.ip, view.user_agent) == (world.site_a.pk, IP, UA)

    assert patch(world, lead, status="contacted").status_code == 200
    update = AccessLog.objects.get(action="update")
    assert (update.lead_ids, update.query, update.user) == (
        [lead.pk],
        "status",
        world.counselor.user,
    )
    assert (update.ip, update.user_agent) == (IP, UA)


def test_csv_export_of_sites_in_two_zones_names_each_rows_offset(world, api_client):
    york = SiteFactory(time_zone="America/New_York")
    LeadSettingsFactory(site=york)
    both = CounselorFactory(
        sites=[world.site_a, york], role=CounselorProfile.Role.MANAGER
    )
    LeadFactory(site=world.site_a, created_at=at(10, 15, 30))
    LeadFactory(site=york, created_at=at(10, 15, 30))
    client = api_client(both)
    body = b"".join(client.get(f"{URL}export/").streaming_content).decode()
    header, *rows = csv.reader(io.StringIO(body[1:]))
    assert header[1] == "created_at (site time zone)"
    assert sorted(row[1] for row in rows) == [
        "2026-03-10T11:30-04:00",  # New York, daylight saving time since 8 March
        "2026-03-11T00:30+09:00",
    ]
    # One site chosen: its zone in the header.
    body = b"".join(
        client.get(f"{URL}export/", {"site": york.pk}).streaming_content
    ).decode()
    header, *rows = csv.reader(io.StringIO(body[1:]))
    assert header[1] == "created_at (America/New_York)"
    assert [row[1] for row in rows] == ["2026-03-10T11:30-04:00"]


def test_csv_export_pages_through_ties_without_losing_or_repeating_rows(world):
    from django.utils import timezone

    from leads.export import CSV_CHUNK

    same = timezone.now()
    Lead.objects.bulk_create(
        [
            Lead(site=world.site_a, source="offline_form", name=f"P{n}",
                 phone=f"+8210{30000000 + n}", reference=f"L-T{n:07d}",
                 created_at=same if n % 3 else same - timedelta(seconds=n),
                 updated_at=same)
            for n in range(CSV_CHUNK * 2 + 7)
        ]
    )  # fmt: skip
    response = world.as_manager.get(f"{URL}export/", {"site": world.site_a.pk})
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()[1:]
    references = [line.split(",")[0] for line in lines]
    assert len(references) == CSV_CHUNK * 2 + 7 == len(set(references))
    log = AccessLog.objects.filter(action="export").latest("id")
    assert log.count == CSV_CHUNK * 2 + 7 and len(log.lead_ids) == 1000
