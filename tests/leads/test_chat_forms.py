"""In-chat lead forms through both real sockets: the counselor sends the site's
form, the visitor's answer is validated, becomes a lead linked to the chat and a
`form_reply` both sides see; a resend is the same lead and the same message."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as db

from chat.models import Message
from leads.models import Lead
from tests.chat.wsutil import live_chat, of_type, receive_until
from tests.factories import CounselorFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(db):
    site = SiteFactory()
    return site, CounselorFactory(sites=[site], max_concurrent=3)


def is_form(frame):
    return frame["type"] == "message" and frame["message"]["kind"] == "form"


def is_reply(frame):
    return frame["type"] == "message" and frame["message"]["kind"] == "form_reply"


async def send_form(agent, visitor, conversation):
    await agent.send_json_to(
        {"type": "send", "kind": "lead_form", "conversation": conversation,
         "client_id": "form-1"}
    )  # fmt: skip
    await receive_until(agent, of_type("ack", client_id="form-1"))
    frame, _ = await receive_until(visitor, is_form)
    return frame["message"]


GOOD = {"name": "김민수", "phone": "010-1234-5678", "message": "대출 상담 원해요"}
CONSENT = {"collection": True, "marketing": False, "notice_version": "2026-11-01"}


async def test_visitor_answer_becomes_a_lead_linked_to_the_chat(setup):
    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    form = await send_form(agent, visitor, conversation)
    assert form["payload"]["lead"] is True
    assert [f["name"] for f in form["payload"]["fields"]] == [
        "name", "phone", "email", "message",
    ]  # fmt: skip
    # The visitor's socket asked for Korean: the notice is in Korean.
    assert "개인정보" in form["payload"]["notice"]["title"]

    submit = {
        "type": "form_submit", "client_id": "reply-1", "conversation": conversation,
        "form_seq": form["seq"], "values": GOOD, "consent": CONSENT,
        "inflow": {"utm_source": "naver", "keyword": "대출", "evil": "x" * 9000},
    }  # fmt: skip
    await visitor.send_json_to(submit)
    ack, _ = await receive_until(visitor, of_type("ack", client_id="reply-1"))
    reference = ack["lead"]["reference"]
    reply, _ = await receive_until(agent, is_reply)
    assert reply["message"]["payload"]["lead"] == reference
    assert "010-1234-5678" in reply["message"]["body"]

    lead = await db(Lead.objects.select_related("conversation").get)()
    assert (lead.reference, lead.source, lead.phone) == (
        reference, "in_chat_form", "+821012345678",
    )  # fmt: skip
    assert (lead.conversation_id, lead.assignee_id) == (conversation, counselor.pk)
    assert lead.inflow == {"utm_source": "naver", "keyword": "대출"}

    # A resend after a lost ack: the same lead, the same message.
    await visitor.send_json_to(submit)
    again, _ = await receive_until(visitor, of_type("ack", client_id="reply-1"))
    assert again["duplicate"] is True and again["seq"] == ack["seq"]
    assert again["lead"]["reference"] == reference
    assert await db(Lead.objects.count)() == 1
    replies = Message.objects.filter(kind="form_reply")
    assert await db(replies.count)() == 1
    await agent.disconnect()
    await visitor.disconnect()


async def test_the_name_given_in_the_form_becomes_the_visitors_name(setup):
    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    form = await send_form(agent, visitor, conversation)
    await visitor.send_json_to(
        {"type": "form_submit", "client_id": "reply-n", "conversation": conversation,
         "form_seq": form["seq"], "values": GOOD, "consent": CONSENT}
    )  # fmt: skip
    await receive_until(visitor, of_type("ack", client_id="reply-n"))

    def named(frame):
        return (
            frame["type"] == "conversation"
            and frame["conversation"]["visitor"]["name"] == "김민수"
        )

    # The console hears the new name, and the reply is sent under it.
    frame, _ = await receive_until(agent, named)
    assert frame["conversation"]["id"] == conversation
    reply, _ = await receive_until(agent, is_reply)
    assert reply["message"]["sender"]["name"] == "김민수"
    stored = await db(Message.objects.select_related("conversation__visitor").get)(
        kind="form_reply"
    )
    assert stored.conversation.visitor.name == "김민수"
    await agent.disconnect()
    await visitor.disconnect()


async def test_bad_answer_names_the_fields_and_creates_nothing(setup):
    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    form = await send_form(agent, visitor, conversation)
    await visitor.send_json_to(
        {"type": "form_submit", "client_id": "reply-2", "conversation": conversation,
         "form_seq": form["seq"], "values": {"name": "", "phone": "010-12"},
         "consent": {"collection": False}}
    )  # fmt: skip
    error, _ = await receive_until(visitor, of_type("error", ref="reply-2"))
    assert error["code"] == "invalid_form"
    assert set(error["fields"]) == {"name", "phone", "consent"}
    assert "전화번호" in error["fields"]["phone"]  # in the visitor's language
    assert await db(Lead.objects.count)() == 0
    assert await db(Message.objects.filter(kind="form_reply").count)() == 0
    await agent.disconnect()
    await visitor.disconnect()


async def test_form_seq_must_name_a_form_of_that_chat(setup):
    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    await visitor.send_json_to(
        {"type": "form_submit", "client_id": "reply-3", "conversation": conversation,
         "form_seq": 1, "values": GOOD, "consent": CONSENT}
    )  # fmt: skip
    error, _ = await receive_until(visitor, of_type("error", ref="reply-3"))
    assert error["code"] == "not_found"
    assert await db(Lead.objects.count)() == 0
    await agent.disconnect()
    await visitor.disconnect()


async def test_visitor_cannot_post_a_form_reply_through_send(setup):
    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    await visitor.send_json_to(
        {"type": "send", "client_id": "x-1", "kind": "form_reply", "body": "fake"}
    )
    ack, _ = await receive_until(visitor, of_type("ack", client_id="x-1"))
    stored = await db(Message.objects.get)(pk=ack["id"])
    assert stored.kind == "text"  # the visitor's send is always plain text
    await agent.disconnect()
    await visitor.disconnect()


async def test_a_form_is_answered_once_and_keeps_its_notice(setup):
    from leads.models import LeadSettings

    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    form = await send_form(agent, visitor, conversation)
    # The notice changes after the form was sent: the visitor agreed to the one shown.
    await db(LeadSettings.objects.filter(site=site).update)(notice_version="2027-01")
    submit = {
        "type": "form_submit", "client_id": "tab-1", "conversation": conversation,
        "form_seq": form["seq"], "values": GOOD, "consent": CONSENT,
    }  # fmt: skip
    await visitor.send_json_to(submit)
    await receive_until(visitor, of_type("ack", client_id="tab-1"))
    # A second tab (another client id) answering the same form is refused.
    await visitor.send_json_to({**submit, "client_id": "tab-2"})
    error, _ = await receive_until(visitor, of_type("error", ref="tab-2"))
    assert error["code"] == "already_answered"
    lead = await db(Lead.objects.get)()
    assert lead.submissions_count == 1
    consent = await db(lead.consents.get)(kind="collection")
    assert consent.notice_version == "2026-11-01"
    await agent.disconnect()
    await visitor.disconnect()


async def test_a_plain_form_is_not_a_lead_form(setup):
    site, counselor = setup
    agent, visitor, conversation, _ = await live_chat(site, counselor)
    await agent.send_json_to(
        {"type": "send", "kind": "form", "conversation": conversation,
         "client_id": "plain-1", "payload": {"title": "Size?", "fields": [
             {"name": "size", "label": "Size", "type": "text"}]}}
    )  # fmt: skip
    frame, _ = await receive_until(visitor, is_form)
    await visitor.send_json_to(
        {"type": "form_submit", "client_id": "p-1", "conversation": conversation,
         "form_seq": frame["message"]["seq"], "values": {"size": "M"},
         "consent": CONSENT}
    )  # fmt: skip
    error, _ = await receive_until(visitor, of_type("error", ref="p-1"))
    assert error["code"] == "not_found"
    assert await db(Lead.objects.count)() == 0
    await agent.disconnect()
    await visitor.disconnect()
