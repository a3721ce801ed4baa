"""REST API: scoped to the counselor's sites; answers are idempotent sends."""

import pytest
from rest_framework.test import APIClient

from chat.models import Message
from chat.services.conversations import conversation_start
from chat.services.messages import SendItem, messages_append
from tests.factories import CounselorFactory, SiteFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(site, online_counselor):
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site, name="Mina"))
    messages_append(
        items=[
            SendItem(
                conversation.pk, "visitor", conversation.visitor_id, "c1", "환불 문의"
            )
        ]
    )
    return counselor, conversation


def client_for(counselor):
    client = APIClient()
    client.force_authenticate(counselor.user)
    return client


def test_counselor_lists_and_reads_own_site_conversations(chat):
    counselor, conversation = chat
    client = client_for(counselor)
    listing = client.get("/api/conversations/", {"q": "환불"}).json()
    assert [c["id"] for c in listing["results"]] == [conversation.pk]
    assert client.get("/api/conversations/", {"q": "nothing"}).json()["count"] == 0
    transcript = client.get(f"/api/conversations/{conversation.pk}/messages/").json()
    assert [m["body"] for m in transcript["messages"] if m["kind"] != "event"] == [
        "환불 문의"
    ]


def test_counselor_of_another_site_sees_nothing(chat):
    _, conversation = chat
    outsider = CounselorFactory(sites=[SiteFactory()])
    client = client_for(outsider)
    assert client.get("/api/conversations/").json()["count"] == 0
    assert client.get(f"/api/conversations/{conversation.pk}/").status_code == 404
    response = client.post(
        f"/api/conversations/{conversation.pk}/messages/",
        {"client_id": "x", "body": "hi"},
        format="json",
    )
    assert response.status_code == 404


def test_anonymous_and_non_counselors_are_refused(chat):
    assert APIClient().get("/api/conversations/").status_code == 403
    plain = CounselorFactory().user
    plain.counselor.delete()
    client = APIClient()
    client.force_authenticate(plain)
    assert client.get("/api/conversations/").status_code == 403


def test_async_answer_is_idempotent_by_client_id(chat):
    counselor, conversation = chat
    client = client_for(counselor)
    url = f"/api/conversations/{conversation.pk}/messages/"
    first = client.post(url, {"client_id": "r1", "body": "확인했습니다"}, format="json")
    again = client.post(url, {"client_id": "r1", "body": "확인했습니다"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["seq"] == again.json()["seq"] == 3  # 1 is "assigned"
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_bad_answer_gets_a_clear_error(chat):
    counselor, conversation = chat
    client = client_for(counselor)
    url = f"/api/conversations/{conversation.pk}/messages/"
    response = client.post(url, {"client_id": "r1", "body": "x" * 5000}, format="json")
    assert response.status_code == 400 and "body" in response.json()


def test_openapi_schema_describes_the_api(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/conversations/{id}/messages/" in response.content
