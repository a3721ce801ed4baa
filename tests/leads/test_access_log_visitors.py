"""Issue 8 #8: every staff read of visitors' personal data is in the access log
(one helper, leads.services.privacy.personal_data_viewed): the journey (CRM name and
phone), transcripts (REST and the counselor socket's sync), conversation lists and
details, live visitors, and the rule preview (API and admin). The log holds ids,
never the data; a panel the console refreshes stays one row with a repeat count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as db
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import CounselorProfile
from chat.services.conversations import conversation_start
from chat.services.messages import SendItem, messages_append
from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting.models import VisitorProfile
from tests.chat.wsutil import agent_socket, of_type, receive_until
from tests.factories import CounselorFactory, SiteFactory, VisitorFactory
from tests.targeting.rulesutil import rule_make

PHONE = "010-1234-5678"
NAME = "Kim Minji"


def client_for(profile) -> APIClient:
    client = APIClient()
    client.force_authenticate(profile.user)
    return client


def chat_with_crm(site):
    visitor = VisitorFactory(site=site, name="Minji")
    VisitorProfile.objects.create(
        visitor=visitor,
        site=site,
        user_id="u-77",
        crm={"name": NAME, "phone": PHONE},
    )
    conversation, _ = conversation_start(visitor=visitor)
    messages_append(
        items=[SendItem(conversation.pk, "visitor", visitor.pk, "c1", f"call {PHONE}")]
    )
    return visitor, conversation


def only_log(action: str) -> AccessLog:
    (row,) = AccessLog.objects.filter(action=action)
    text = " ".join(
        str(v)
        for v in (row.query, row.path, row.lead_ids, row.visitor_ids, row.user_agent)
    )
    assert PHONE not in text and NAME not in text  # ids, never the data
    return row


@pytest.mark.django_db
def test_the_journey_with_crm_data_is_logged(site):
    counselor = CounselorFactory(sites=[site])
    visitor, _ = chat_with_crm(site)
    response = client_for(counselor).get(f"/api/visitors/{visitor.public_id}/journey/")
    assert response.status_code == 200 and response.json()["crm"]["phone"] == PHONE
    row = only_log("journey")
    assert row.user_id == counselor.user.pk and row.username
    assert row.site_id == site.pk and row.visitor_ids == [visitor.pk]
    assert row.path == f"/api/visitors/{visitor.public_id}/journey/"


@pytest.mark.django_db
def test_transcripts_and_conversation_lists_are_logged(site):
    counselor = CounselorFactory(sites=[site])
    visitor, conversation = chat_with_crm(site)
    client = client_for(counselor)
    assert client.get("/api/conversations/").status_code == 200
    listed = only_log("conversations")
    assert listed.conversation_ids == [conversation.pk]
    assert listed.visitor_ids == [visitor.pk]
    assert client.get(f"/api/conversations/{conversation.pk}/").status_code == 200
    assert AccessLog.objects.filter(action="conversations").count() == 1  # repeated
    url = f"/api/conversations/{conversation.pk}/messages/"
    assert PHONE in client.get(url).content.decode()
    row = only_log("transcript")
    assert row.conversation_ids == [conversation.pk]
    assert row.visitor_ids == [visitor.pk] and row.site_id == site.pk


@pytest.mark.django_db
def test_live_visitors_and_the_preview_are_logged(site, admin_client):
    manager = CounselorFactory(sites=[site], role=CounselorProfile.Role.MANAGER)
    visitor, _ = chat_with_crm(site)
    client = client_for(manager)
    assert client.get("/api/visitors/live/").status_code == 200
    assert only_log("visitors").visitor_ids == []  # nobody live: still a read
    rule = rule_make(site)
    url = f"/api/targeting/rules/{rule.pk}/preview/"
    assert client.post(url, {"visitor": str(visitor.public_id)}).status_code == 200
    row = only_log("preview")
    assert row.visitor_ids == [visitor.pk] and row.query == f"rule={rule.pk}"
    page = f"/admin/targeting/rule/{rule.pk}/change/"
    admin_client.get(page, {"preview_visitor": str(visitor.public_id)})
    assert AccessLog.objects.filter(action="preview").count() == 2


@pytest.mark.django_db
def test_a_refreshed_panel_is_one_row_with_repeats(site):
    counselor = CounselorFactory(sites=[site])
    visitor = VisitorFactory(site=site)
    other = VisitorFactory(site=site)
    now = timezone.now()

    def view(who, at):
        return personal_data_viewed(
            user=counselor.user,
            action="journey",
            site_id=site.pk,
            visitor_ids=[who.pk],
            now=at,
        )

    first = view(visitor, now)
    view(visitor, now + timedelta(seconds=10))
    view(visitor, now + timedelta(minutes=4))
    view(other, now + timedelta(minutes=4))  # another visitor: its own row
    first.refresh_from_db()
    assert first.repeats == 2 and first.last_at == now + timedelta(minutes=4)
    view(visitor, now + timedelta(minutes=10))  # a later sitting: a new row
    assert AccessLog.objects.filter(visitor_ids=[visitor.pk]).count() == 2
    assert AccessLog.objects.count() == 3


@pytest.mark.django_db(transaction=True)
async def test_a_transcript_read_on_the_counselor_socket_is_logged():
    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site])
    visitor, conversation = await db(chat_with_crm)(site)
    comm, _, _ = await agent_socket(counselor.user)
    await comm.send_json_to(
        {"type": "sync", "conversation": conversation.pk, "after_seq": 0}
    )
    history, _ = await receive_until(comm, of_type("history"))
    assert any(PHONE in m["body"] for m in history["messages"])
    row = await db(only_log)("transcript")
    assert row.conversation_ids == [conversation.pk] and row.query == "socket"
    assert row.user_id == counselor.user_id
    await comm.disconnect()
