"""Personal data of leads: the retention purge, one person's export and erasure,
and the access log, which must never hold the data itself."""

import json
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils import timezone

from chat.models import Conversation, Message, Visitor
from chat.services.conversations import conversation_start
from chat.services.messages import SendItem, messages_append
from leads.forms import LeadInput
from leads.models import (
    AccessLog,
    ConsentRecord,
    Lead,
    LeadEvent,
    LeadNotice,
    LeadSettings,
    LeadSubmission,
)
from leads.services.capture import lead_capture
from leads.services.chatforms import form_reply_submit, lead_form_send
from leads.services.pipeline import lead_note_add, lead_update
from leads.services.privacy import leads_purge_expired, person_erase, person_export
from tests.factories import CounselorFactory, LeadSettingsFactory, VisitorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_caches")]

NOTICE = "2026-11-01"
CONSENT = {"collection": True, "marketing": True, "notice_version": NOTICE}
MINSU = {"name": "김민수", "phone": "+821055556666", "email": "minsu@example.com"}
SEOYEON = {"name": "이서연", "phone": "+821012121212", "email": "seoyeon@example.com"}
IP = "203.0.113.50"


def chat_lead(site, counselor, person, *, phone_as_typed="010-5555-6666"):
    """The real in-chat flow: a chat, the counselor's form, the visitor's reply."""
    visitor = VisitorFactory(site=site, name=person["name"], language="ko", ip=IP)
    conversation, _ = conversation_start(visitor=visitor)
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=counselor, status=Conversation.Status.ACTIVE
    )
    messages_append(
        items=[
            SendItem(conversation.pk, "visitor", visitor.pk, "hi", "상담 원해요"),
            SendItem(conversation.pk, "agent", counselor.pk, "n", "VIP", kind="note"),
        ]
    )
    form = lead_form_send(
        counselor=counselor, conversation_id=conversation.pk, client_id="form"
    )
    values = {"name": person["name"], "phone": phone_as_typed}
    values["email"] = person["email"]
    _, lead = form_reply_submit(
        visitor=visitor,
        conversation_id=conversation.pk,
        form_seq=form.message.seq,
        values=values,
        consent=CONSENT,
        client_id="reply",
        ip=IP,
    )
    return lead


def form_lead(site, key, **person):
    data = LeadInput(notice_version=NOTICE, marketing_consent=True, **person)
    return lead_capture(
        site=site, source="offline_form", data=data, idempotency_key=key, ip=IP
    ).lead


@pytest.fixture
def people(db):
    """Minsu: a won chat lead, and an open form lead under his old number that his
    new number later joined by e-mail. Seoyeon: a chat lead of her own."""
    counselor = CounselorFactory(display_name="Counselor Lee")
    site = LeadSettingsFactory().site
    counselor.sites.add(site)
    chat = chat_lead(site, counselor, MINSU)
    lead_update(lead=chat, user=counselor.user, status="won")
    old_number = form_lead(
        site, "minsu-1", name="김민수", phone="+821077778888", email=MINSU["email"]
    )
    assert form_lead(site, "minsu-2", **MINSU) == old_number  # joined by e-mail
    lead_note_add(lead=old_number, user=counselor.user, text="Prefers evenings")
    other = chat_lead(site, counselor, SEOYEON, phone_as_typed="010-1212-1212")
    return site, counselor, [chat, old_number], other


def request_by(user):
    request = RequestFactory().post(
        "/api/leads/person-erase/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="UA"
    )
    request.user = user
    return request


def holds(person) -> dict:
    """Where anything of `person` is still stored, by table (empty = nowhere)."""
    name, phone, email = person["name"], person["phone"], person["email"]
    found = {
        "Lead": Lead.objects.filter(name=name)
        | Lead.objects.filter(phone=phone)
        | Lead.objects.filter(email=email),
        "LeadSubmission": LeadSubmission.objects.filter(data__name=name)
        | LeadSubmission.objects.filter(data__phone=phone)
        | LeadSubmission.objects.filter(data__email=email),
        "Visitor": Visitor.objects.filter(name=name),
        "Message": Message.objects.filter(body__contains=name)
        | Message.objects.filter(body__contains=national(phone))
        | Message.objects.filter(payload__icontains=email),
    }
    return {table: rows.count() for table, rows in found.items() if rows.exists()}


def national(phone: str) -> str:
    return f"0{phone[3:5]}-{phone[5:9]}-{phone[9:]}"


def assert_access_log_holds_no_personal_data():
    assert AccessLog.objects.exists()
    for row in AccessLog.objects.all():
        text = json.dumps(model_to_dict(row), default=str, ensure_ascii=False)
        for person in (MINSU, SEOYEON):
            phone = person["phone"]
            for value in (
                person["name"],
                person["email"],
                phone,
                phone[3:],
                national(phone),
                national(phone).replace("-", ""),
            ):
                assert value not in text, (row.action, value)


def test_fixture_stores_each_person_everywhere(people):
    # Guards the erase and purge tests: there is data in every table to remove.
    assert set(holds(MINSU)) == {"Lead", "LeadSubmission", "Visitor", "Message"}
    assert set(holds(SEOYEON)) == {"Lead", "LeadSubmission", "Visitor", "Message"}


@pytest.mark.parametrize(
    "identify",
    [{"phone": MINSU["phone"]}, {"email": MINSU["email"]}],
    ids=["by_phone", "by_email"],
)
def test_erase_removes_every_trace_of_the_person_and_only_theirs(people, identify):
    site, counselor, minsu_leads, seoyeon_lead = people
    minsu_ids = [lead.pk for lead in minsu_leads]
    minsu_visitor = minsu_leads[0].visitor
    minsu_chat = minsu_leads[0].conversation_id
    theirs = {
        model: model.objects.exclude(lead__in=minsu_ids).count()
        for model in (LeadSubmission, ConsentRecord, LeadEvent, LeadNotice)
    }
    theirs[Message] = Message.objects.exclude(conversation_id=minsu_chat).count()
    theirs[Visitor] = Visitor.objects.exclude(pk=minsu_visitor.pk).count()

    removed = person_erase(site=site, request=request_by(counselor.user), **identify)

    # Rows of each table, as the console shows them (not the cascade's total).
    assert removed == {"leads": 2, "submissions": 0, "visitors": 1, "form_replies": 1}
    assert holds(MINSU) == {}
    for model in (LeadSubmission, ConsentRecord, LeadEvent, LeadNotice):
        assert not model.objects.filter(lead__in=minsu_ids).exists(), model
    assert not Visitor.objects.filter(pk=minsu_visitor.pk).exists()
    assert not Conversation.objects.filter(pk=minsu_chat).exists()
    assert not Message.objects.filter(conversation_id=minsu_chat).exists()
    # Seoyeon's data is untouched.
    assert set(holds(SEOYEON)) == {"Lead", "LeadSubmission", "Visitor", "Message"}
    assert Lead.objects.filter(pk=seoyeon_lead.pk).exists()
    for model, count in theirs.items():
        assert model.objects.count() == count, model
    log = AccessLog.objects.get(action="erase")
    assert sorted(log.lead_ids) == sorted(minsu_ids)
    assert (log.user, log.site_id, log.ip) == (counselor.user, site.pk, "198.51.100.4")
    assert_access_log_holds_no_personal_data()


def test_erase_removes_a_submission_carrying_the_phone_under_another_lead(people):
    site, counselor, _, _ = people
    stray = LeadSubmission.objects.get(idempotency_key="minsu-2")
    assert stray.lead.phone != MINSU["phone"]

    person_erase(site=site, phone=MINSU["phone"])

    assert not LeadSubmission.objects.filter(pk=stray.pk).exists()


def test_erase_of_an_unknown_person_removes_nothing(people):
    site, counselor, _, _ = people
    before = Lead.objects.count(), Message.objects.count(), Visitor.objects.count()

    removed = person_erase(site=site, phone="+821099990000")

    assert removed["leads"] == 0
    assert (Lead.objects.count(), Message.objects.count()) == before[:2]
    assert Visitor.objects.count() == before[2]


def test_export_returns_the_persons_leads_submissions_consents_history_and_chats(
    people,
):
    site, counselor, minsu_leads, _ = people

    export = person_export(
        site=site, phone=MINSU["phone"], request=request_by(counselor.user)
    )

    by_ref = {lead["reference"]: lead for lead in export["leads"]}
    assert set(by_ref) == {lead.reference for lead in minsu_leads}
    chat, old_number = (by_ref[lead.reference] for lead in minsu_leads)
    assert (chat["status"], chat["phone"], chat["source"]) == (
        "won",
        MINSU["phone"],
        "in_chat_form",
    )
    assert len(chat["submissions"]) == 1 and len(old_number["submissions"]) == 2
    assert {s["data"]["phone"] for s in old_number["submissions"]} == {
        "+821077778888",
        MINSU["phone"],
    }
    assert len(old_number["consents"]) == 4
    assert {
        (c["kind"], c["granted"], c["notice_version"]) for c in chat["consents"]
    } == {
        ("collection", True, NOTICE),
        ("marketing", True, NOTICE),
    }
    assert [h["kind"] for h in chat["history"]] == ["created", "status"]
    assert [h["kind"] for h in old_number["history"]] == [
        "created",
        "submitted",
        "note",
    ]
    assert old_number["history"][-1]["text"] == "Prefers evenings"
    [conversation] = export["conversations"]
    bodies = [m["body"] for m in conversation["messages"]]
    assert "상담 원해요" in bodies
    assert any("010-5555-6666" in body for body in bodies)  # the form reply
    assert "VIP" not in bodies  # counselors' internal notes are not theirs
    assert SEOYEON["name"] not in json.dumps(export, ensure_ascii=False)
    log = AccessLog.objects.get(action="person_export")
    assert sorted(log.lead_ids) == sorted(lead.pk for lead in minsu_leads)
    assert log.user == counselor.user
    assert_access_log_holds_no_personal_data()


def age(lead, days, now):
    Lead.objects.filter(pk=lead.pk).update(updated_at=now - timedelta(days=days))


def test_purge_destroys_leads_past_their_sites_retention_with_all_their_data(
    people,
):
    site, counselor, minsu_leads, seoyeon_lead = people
    now = timezone.now()
    LeadSettings.objects.filter(site=site).update(retention_days=30)
    elsewhere = LeadSettingsFactory(retention_days=365).site
    kept_elsewhere = form_lead(elsewhere, "b-1", **MINSU)
    for lead in minsu_leads:
        age(lead, 31, now)
    age(seoyeon_lead, 29, now)
    age(kept_elsewhere, 200, now)
    minsu_ids = [lead.pk for lead in minsu_leads]
    reply = Message.objects.get(
        kind="form_reply", payload__lead=minsu_leads[0].reference
    )

    assert leads_purge_expired(now=now) == 2

    # Searched table by table: only the other site's lead still holds Minsu.
    assert list(Lead.objects.filter(name=MINSU["name"])) == [kept_elsewhere]
    assert list(Lead.objects.filter(phone=MINSU["phone"])) == [kept_elsewhere]
    assert list(Lead.objects.filter(email=MINSU["email"])) == [kept_elsewhere]
    for field in ("name", "phone", "email"):
        rows = LeadSubmission.objects.filter(**{f"data__{field}": MINSU[field]})
        assert {row.lead_id for row in rows} == {kept_elsewhere.pk}, field
    assert not LeadSubmission.objects.filter(data__phone="+821077778888").exists()
    for model in (LeadSubmission, ConsentRecord, LeadEvent, LeadNotice):
        assert not model.objects.filter(lead__in=minsu_ids).exists(), model
    assert not LeadEvent.objects.filter(text="Prefers evenings").exists()
    assert (
        not ConsentRecord.objects.filter(site=site, ip=IP)
        .exclude(lead=seoyeon_lead)
        .exists()
    )
    reply.refresh_from_db()
    # Only which form it answered is kept, so clients can mark that form answered.
    assert reply.body == ""
    assert reply.payload == {"erased": True, "form_seq": reply.payload["form_seq"]}
    assert isinstance(reply.payload["form_seq"], int)
    assert not Message.objects.filter(body__contains="010-5555-6666").exists()
    # The younger lead of the site and the other site's older one are kept.
    assert Lead.objects.filter(pk=seoyeon_lead.pk).exists()
    assert set(holds(SEOYEON)) == {"Lead", "LeadSubmission", "Visitor", "Message"}
    assert kept_elsewhere.submissions.count() == 1
    log = AccessLog.objects.get(action="purge")
    assert sorted(log.lead_ids) == sorted(minsu_ids)
    assert (log.site_id, log.user, log.query) == (site.pk, None, "retention_days=30")
    assert_access_log_holds_no_personal_data()


def test_purge_in_small_batches_destroys_every_expired_lead(db):
    site = LeadSettingsFactory(retention_days=10).site
    now = timezone.now()
    leads = [
        form_lead(site, f"k-{n}", name=f"Person {n}", phone=f"+8210300000{n}{n}")
        for n in range(5)
    ]
    for lead in leads:
        age(lead, 11, now)

    assert leads_purge_expired(now=now, batch=2) == 5

    assert not Lead.objects.exists() and not LeadSubmission.objects.exists()
    assert sorted(
        n for log in AccessLog.objects.filter(action="purge") for n in log.lead_ids
    ) == sorted(lead.pk for lead in leads)
    assert AccessLog.objects.filter(action="purge").count() == 3


def test_purge_keeps_a_lead_touched_within_the_retention_period(db):
    site = LeadSettingsFactory(retention_days=10).site
    now = timezone.now()
    lead = form_lead(site, "k", name="Person", phone="+821030000011")
    age(lead, 9, now)

    assert leads_purge_expired(now=now) == 0
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert not AccessLog.objects.exists()
