"""Issue 8 #2: a NUL (or another control character) in any input is a 400 with the
field named, never a 500 from PostgreSQL: the public form, the managers' API
bodies, query parameters, and the headers we record (core.text's policy)."""

import uuid

import pytest

from chat.models import Conversation, CounselorProfile
from leads.forms import FormInvalid, clean_chat_form
from leads.models import AccessLog, Lead
from tests.factories import ORIGIN, CounselorFactory, LeadFactory, VisitorFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("clean_caches", "frozen"),
]

NOTICE = "2026-11-01"


def form(lead_site, /, **changes):
    data = {
        "site": lead_site.public_key,
        "idempotency_key": uuid.uuid4().hex,
        "name": "김민지",
        "phone": "010-1234-5678",
        "email": "minji@example.com",
        "message": "Please call me.",
        "consent": {"collection": True, "marketing": False, "notice_version": NOTICE},
        "lang": "en",
    }
    data.update(changes)
    return data


def submit(client, data, **headers):
    return client.post(
        "/public/v1/leads",
        data,
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        REMOTE_ADDR="203.0.113.7",
        **headers,
    )


@pytest.mark.parametrize("field", ["name", "phone", "email", "message"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x9b"])
def test_a_control_character_in_a_form_field_is_a_400_naming_it(
    client, lead_site, field, char
):
    value = form(lead_site)[field]
    response = submit(client, form(lead_site, **{field: value[:3] + char + value[3:]}))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {
        field: "Remove the invisible control characters."
    }
    assert not Lead.objects.exists()


def test_the_message_is_translated(client, lead_site):
    response = submit(client, form(lead_site, name="a\x00", lang="ko"))
    assert response.json()["errors"]["name"] == "보이지 않는 제어 문자를 지워 주세요."


def test_line_breaks_are_kept_as_lf(client, lead_site):
    response = submit(client, form(lead_site, message="one\r\ntwo\rthree"))
    assert response.status_code == 201, response.content
    assert Lead.objects.get().message == "one\ntwo\nthree"


def test_recorded_values_are_cleaned_not_refused(client, lead_site):
    """The inflow the widget copies and the User-Agent header: nobody could correct
    them, so refused characters are removed and the lead is taken."""
    data = form(lead_site, inflow={"utm_source": "news\x00letter", "keyword": "\x00"})
    response = submit(client, data, HTTP_USER_AGENT="Bot\x00/1.0")
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.inflow == {"utm_source": "newsletter"}
    assert lead.submissions.get().user_agent == "Bot/1.0"


def test_a_lone_surrogate_or_a_nul_site_key_is_not_a_500(client, lead_site):
    body = f'{{"site": "{lead_site.public_key}", "name": "\\ud800"}}'
    assert submit(client, body).status_code == 400
    assert submit(client, form(lead_site, site="k\x00")).status_code == 404


def test_a_nul_in_the_public_site_parameter_is_a_404(client, lead_site):
    """The query parameter went into the site lookup as it came (500)."""
    response = client.get("/public/v1/lead-form", {"site": "k\x00"}, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 404


def test_a_form_nested_too_deep_is_a_400(client, lead_site):
    body = f'{{"site": "{lead_site.public_key}", "name": {"[" * 5000}}}'
    response = submit(client, body)
    assert response.status_code == 400
    assert "nested more than 64 levels" in response.json()["detail"]


def test_in_chat_forms_follow_the_same_policy():
    spec = {"fields": [{"name": "name", "type": "text", "required": True}]}
    spec["fields"].append({"name": "email", "type": "email", "required": True})
    with pytest.raises(FormInvalid) as caught:
        clean_chat_form(
            spec,
            {"name": "Kim\x00", "email": "a@example.com"},
            {"collection": True, "notice_version": NOTICE},
            region="KR",
            notice_version=NOTICE,
        )
    assert caught.value.errors == {"name": "Remove the invisible control characters."}


@pytest.fixture
def manager(lead_site, api_client):
    profile = CounselorFactory(sites=[lead_site], role=CounselorProfile.Role.MANAGER)
    return api_client(profile)


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/leads/", "q"),
        ("/api/leads/", "status"),
        ("/api/leads/", "assignee"),
        ("/api/leads/", "site"),
        ("/api/leads/", "created_after"),
        ("/api/leads/stats/", "q"),
        ("/api/leads/export/", "q"),
        ("/api/conversations/", "q"),
        ("/api/conversations/", "status"),
        ("/api/targeting/rules/", "site"),
        ("/api/visitors/live/", "site"),
    ],
)
def test_a_nul_in_a_query_parameter_is_not_a_500(manager, lead_site, url, param):
    LeadFactory(site=lead_site)
    response = manager.get(url, {param: "ab\x00c"})
    assert response.status_code in (200, 400, 404), (response.status_code, url)
    if response.status_code == 200 and url.startswith("/api/leads/"):
        # The access log keeps the query; a NUL there failed the insert.
        assert "\x00" not in AccessLog.objects.latest("pk").query


def test_api_text_fields_refuse_control_characters(manager, lead_site):
    lead = LeadFactory(site=lead_site)
    response = manager.post(
        f"/api/leads/{lead.pk}/notes/", {"text": "call\x00back"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"text": ["Remove the control character (U+0000)."]}
    response = manager.post(
        "/api/leads/person-export/",
        {"site": lead_site.pk, "phone": "010\x0012345678"},
        format="json",
    )
    assert response.status_code == 400
    assert "phone" in response.json()


def test_counselor_messages_refuse_control_characters(lead_site, api_client):
    counselor = CounselorFactory(sites=[lead_site])
    visitor = VisitorFactory(site=lead_site)
    conversation = Conversation.objects.create(
        site=lead_site, visitor=visitor, assignee=counselor
    )
    response = api_client(counselor).post(
        f"/api/conversations/{conversation.pk}/messages/",
        {"client_id": "r1", "body": "hi\x1b[2J"},
        format="json",
    )
    assert response.status_code == 400
    assert "body" in response.json()
