"""The public callback-request form: /public/v1/lead-form and /public/v1/leads."""

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chat.models import Conversation
from chat.services.conversations import conversation_start
from chat.services.visitors import visitor_token
from leads.models import ConsentRecord, Lead, LeadEvent, LeadNotice, LeadSubmission
from tests.factories import ORIGIN, LeadSettingsFactory, SiteFactory, VisitorFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("clean_caches", "frozen"),
]

SUBMIT = "/public/v1/leads"
CONFIG = "/public/v1/lead-form"
NOTICE = "2026-11-01"
IP = "203.0.113.7"
UA = "Mozilla/5.0 (lead form test)"
DROP = object()
HANGUL = re.compile("[\uac00-\ud7a3]")
SEOUL = ZoneInfo("Asia/Seoul")


def form(site, /, **changes):
    data = {
        "site": site.public_key,
        "idempotency_key": uuid.uuid4().hex,
        "name": "김민지",
        "phone": "010-1234-5678",
        "email": "minji@example.com",
        "message": "Please call me about the refund.",
        "consent": {"collection": True, "marketing": False, "notice_version": NOTICE},
        "lang": "en",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not DROP}


def submit(client, data, *, origin=ORIGIN, ip=IP, **headers):
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    return client.post(
        SUBMIT,
        data,
        content_type="application/json",
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=UA,
        **headers,
    )


def config_of(client, site, lang="en"):
    response = client.get(
        CONFIG, {"site": site.public_key, "lang": lang}, HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 200
    return response.json()


def counts():
    """Rows of (Lead, LeadSubmission, ConsentRecord, LeadEvent, LeadNotice)."""
    models = (Lead, LeadSubmission, ConsentRecord, LeadEvent, LeadNotice)
    return tuple(model.objects.count() for model in models)


NOTHING = (0, 0, 0, 0, 0)
ONE_LEAD = (1, 1, 2, 1, 1)


@pytest.mark.parametrize("marketing", [True, False])
def test_submission_creates_one_lead_with_its_submission_and_two_consents(
    client, lead_site, marketing
):
    consent = {"collection": True, "marketing": marketing, "notice_version": NOTICE}
    response = submit(client, form(lead_site, consent=consent))

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json()["lead"]["reference"] == lead.reference
    assert response.json()["lead"]["duplicate"] is False
    assert (lead.site, lead.source, lead.status) == (lead_site, "offline_form", "new")
    assert (lead.name, lead.email) == ("김민지", "minji@example.com")
    assert lead.marketing_consent is marketing
    submission = LeadSubmission.objects.get()
    assert (submission.lead, submission.site) == (lead, lead_site)
    assert (submission.ip, submission.user_agent) == (IP, UA)
    consents = {c.kind: c for c in ConsentRecord.objects.all()}
    assert ConsentRecord.objects.count() == 2
    assert consents["collection"].granted is True
    assert consents["marketing"].granted is marketing
    for record in consents.values():
        assert (record.lead, record.submission, record.site) == (
            lead,
            submission,
            lead_site,
        )
        assert (record.notice_version, record.ip) == (NOTICE, IP)
    assert counts() == ONE_LEAD


@pytest.mark.parametrize("raw", ["010-1234-5678", "+82 10 1234 5678", "01012345678"])
def test_phone_is_stored_in_e164(client, lead_site, raw):
    assert submit(client, form(lead_site, phone=raw)).status_code == 201
    assert Lead.objects.get().phone == "+821012345678"
    assert LeadSubmission.objects.get().data["phone"] == "+821012345678"


@pytest.mark.parametrize(
    ("lang", "stored"), [("ko", "ko"), ("ko-KR", "ko"), ("en-US", "en"), (DROP, "en")]
)
def test_lead_and_consents_record_the_visitors_language(
    client, lead_site, lang, stored
):
    assert submit(client, form(lead_site, lang=lang)).status_code == 201
    assert Lead.objects.get().language == stored
    assert set(ConsentRecord.objects.values_list("language", flat=True)) == {stored}


def test_public_form_cannot_claim_an_internal_source(client, lead_site):
    assert submit(client, form(lead_site, source="targeting")).status_code == 201
    assert Lead.objects.get().source == "offline_form"


def test_replay_of_the_same_idempotency_key_returns_the_first_receipt(
    client, lead_site
):
    data = form(lead_site)
    first = submit(client, data)
    again = submit(client, data)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["lead"]["reference"] == first.json()["lead"]["reference"]
    assert again.json()["lead"]["duplicate"] is True
    assert counts() == ONE_LEAD


def test_same_person_with_a_new_key_joins_their_open_lead(client, lead_site):
    first = submit(client, form(lead_site))
    second = submit(
        client, form(lead_site, phone="+82 10 1234 5678", message="Still waiting")
    )

    assert second.status_code == 201
    assert second.json()["lead"]["reference"] == first.json()["lead"]["reference"]
    lead = Lead.objects.get()
    assert lead.submissions_count == 2
    assert lead.message == "Still waiting"
    assert [e.kind for e in lead.events.all()] == ["created", "submitted"]
    assert LeadSubmission.objects.filter(lead=lead).count() == 2
    assert ConsentRecord.objects.filter(lead=lead).count() == 4
    # The team was told once, about the new lead.
    assert LeadNotice.objects.count() == 1


@pytest.mark.parametrize("closed", ["won", "lost"])
def test_closed_lead_does_not_absorb_a_new_request(client, lead_site, closed):
    first = submit(client, form(lead_site))
    Lead.objects.update(status=closed)

    second = submit(client, form(lead_site))

    assert second.status_code == 201
    assert second.json()["lead"]["reference"] != first.json()["lead"]["reference"]
    assert Lead.objects.count() == 2
    reopened = Lead.objects.get(reference=second.json()["lead"]["reference"])
    assert (reopened.status, reopened.submissions_count) == ("new", 1)


INVALID = [
    ({"phone": "010-12"}, "phone", "Enter a valid phone number, for example"),
    ({"phone": DROP}, "phone", "Enter your phone number so we can call you back."),
    ({"consent": DROP}, "consent", "Please agree to the collection and use"),
    (
        {"consent": {"collection": False, "marketing": True}},
        "consent",
        "Please agree to the collection and use",
    ),
    ({"name": DROP}, "name", "Enter your name."),
    ({"name": "   "}, "name", "Enter your name."),
    ({"email": "minji@"}, "email", "Enter a valid e-mail address."),
    # 03:00 in Seoul tomorrow: outside opening hours, never offered.
    ({"slot": "2026-03-12T03:00:00+09:00"}, "slot", "That time is no longer"),
    ({"slot": "tomorrow at 3"}, "slot", "Choose a callback time from the list."),
]


@pytest.mark.parametrize(("changes", "field", "english"), INVALID)
def test_invalid_form_answers_400_per_field_in_english_and_writes_nothing(
    client, lead_site, changes, field, english
):
    response = submit(client, form(lead_site, lang="en", **changes))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {field}
    assert errors[field].startswith(english)
    assert counts() == NOTHING


@pytest.mark.parametrize(("changes", "field", "english"), INVALID)
def test_invalid_form_answers_in_korean_when_lang_is_ko(
    client, lead_site, changes, field, english
):
    response = submit(client, form(lead_site, lang="ko", **changes))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {field}
    assert HANGUL.search(errors[field]), errors[field]
    assert counts() == NOTHING


def test_every_invalid_field_is_reported_at_once(client, lead_site):
    data = form(lead_site, name=DROP, phone="12", email="x@", consent=DROP)
    response = submit(client, data)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "phone", "email", "consent"}
    assert counts() == NOTHING


@pytest.mark.parametrize(
    "origin", ["https://evil.example.com", "https://other.example.com", None]
)
def test_origin_the_site_does_not_allow_is_refused_and_writes_nothing(
    client, lead_site, origin
):
    SiteFactory(allowed_origins="https://other.example.com")

    response = submit(client, form(lead_site), origin=origin)

    assert response.status_code == 403
    assert counts() == NOTHING


def test_allowed_origin_with_a_trailing_slash_and_capitals_is_accepted(
    client, lead_site
):
    response = submit(client, form(lead_site), origin=ORIGIN.upper() + "/")
    assert response.status_code == 201


def test_unknown_site_is_404(client, lead_site):
    data = form(lead_site, site="pk_no_such_site")
    assert submit(client, data).status_code == 404
    assert counts() == NOTHING


def test_honeypot_filled_is_accepted_silently_and_writes_nothing(client, lead_site):
    response = submit(client, form(lead_site, website="http://spam.example"))

    assert response.status_code == 202
    assert response.json() == {"lead": None}
    assert counts() == NOTHING


def test_body_over_16_kib_is_413(client, lead_site):
    response = submit(client, form(lead_site, message="x" * 17_000))

    assert response.status_code == 413
    assert counts() == NOTHING


def test_rate_limit_is_per_ip_and_site(client, lead_site, settings):
    settings.LEADS = {**settings.LEADS, "FORM_RATE": "3/minute"}
    other_site = SiteFactory()

    statuses = [submit(client, form(lead_site)).status_code for _ in range(4)]

    assert statuses == [201, 201, 201, 429]
    assert submit(client, form(other_site)).status_code == 201
    assert submit(client, form(lead_site), ip="198.51.100.9").status_code == 201


def test_spoofed_x_real_ip_does_not_escape_the_rate_limit(client, lead_site, settings):
    # nginx (deploy/nginx.conf) sets X-Forwarded-For and daphne turns it into
    # REMOTE_ADDR; X-Real-IP is whatever the client sent.
    settings.LEADS = {**settings.LEADS, "FORM_RATE": "2/minute"}

    statuses = [
        submit(client, form(lead_site), HTTP_X_REAL_IP=f"192.0.2.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [201, 201, 429]
    assert set(LeadSubmission.objects.values_list("ip", flat=True)) == {IP}


def test_cors_preflight_allows_an_origin_some_site_allows(client, lead_site):
    response = client.options(
        SUBMIT,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_cors_preflight_gives_an_unknown_origin_no_allow_header(client, lead_site):
    response = client.options(
        SUBMIT,
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_queue_overflow_links_the_visitor_and_leaves_the_queue(client, lead_site):
    visitor = VisitorFactory(site=lead_site)
    conversation, _ = conversation_start(visitor=visitor)
    assert conversation.status == Conversation.Status.QUEUED
    data = form(
        lead_site, source="queue_overflow", visitor_token=visitor_token(visitor)
    )

    assert submit(client, data).status_code == 201

    lead = Lead.objects.get()
    assert (lead.source, lead.visitor, lead.conversation) == (
        "queue_overflow",
        visitor,
        conversation,
    )
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED


def test_offline_form_links_the_visitor_but_leaves_the_chat_queued(client, lead_site):
    visitor = VisitorFactory(site=lead_site)
    conversation, _ = conversation_start(visitor=visitor)
    data = form(lead_site, visitor_token=visitor_token(visitor))

    assert submit(client, data).status_code == 201

    lead = Lead.objects.get()
    assert (lead.visitor, lead.conversation) == (visitor, conversation)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED


def test_lead_form_offers_slots_inside_opening_hours_only(client, lead_site, frozen):
    config = config_of(client, lead_site)

    assert config["availability"]["open"] is False
    assert config["availability"]["reason"] == "no_counselor"
    assert config["time_zone"] == "Asia/Seoul"
    assert config["slots"]
    for slot in config["slots"]:
        start = datetime.fromisoformat(slot["start"]).astimezone(SEOUL)
        end = datetime.fromisoformat(slot["end"]).astimezone(SEOUL)
        assert start >= frozen
        assert 9 <= start.hour and (end.hour, end.minute) <= (18, 0)
        assert start.date() == end.date()


def test_slot_offered_by_the_lead_form_is_accepted(client, lead_site):
    slot = config_of(client, lead_site)["slots"][2]["start"]

    response = submit(client, form(lead_site, slot=slot))

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.callback_at == datetime.fromisoformat(slot)
    assert lead.callback_due_at == lead.callback_at


def test_site_without_opening_hours_offers_and_accepts_no_slot(client, db):
    site = SiteFactory()
    LeadSettingsFactory(site=site)
    assert config_of(client, site)["slots"] == []

    refused = submit(client, form(site, slot="2026-03-11T14:00:00+09:00"))
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"slot"}
    # "As soon as possible" is still a valid request.
    assert submit(client, form(site)).status_code == 201


def test_lead_form_notice_is_in_english_by_default(client, lead_site):
    notice = config_of(client, lead_site, lang="fr")["notice"]

    assert notice["version"] == NOTICE
    assert notice["title"] == (
        "Consent to the collection and use of personal information"
    )
    assert "365 days" in notice["retention"]


def test_lead_form_notice_is_in_korean_for_lang_ko(client, lead_site):
    notice = config_of(client, lead_site, lang="ko-KR")["notice"]

    assert notice["version"] == NOTICE
    for key in ("title", "purpose", "items", "retention", "refusal", "marketing"):
        assert HANGUL.search(notice[key]), (key, notice[key])


def test_a_callback_offer_attributes_the_lead_to_its_rule(client, lead_site):
    from django.utils import timezone

    from targeting.models import Offer, Rule

    visitor = VisitorFactory(site=lead_site)
    stranger = VisitorFactory(site=lead_site)
    rule = Rule.objects.create(
        site=lead_site,
        name="Night booking",
        condition={"field": "dwell", "gte": 1},
        action={"kind": "callback", "title": "We can call you"},
    )
    offer = Offer.objects.create(
        rule=rule, site=lead_site, visitor=visitor, kind="callback",
        shown_at=timezone.now(),
    )  # fmt: skip
    # Someone else's offer id gives no attribution.
    data = form(lead_site, visitor_token=visitor_token(stranger), offer=offer.pk)
    assert submit(client, data).status_code == 201
    assert Lead.objects.get().rule_id is None
    data = form(
        lead_site, visitor_token=visitor_token(visitor), offer=offer.pk,
        phone="010-9999-8888", email="other@example.com",
    )  # fmt: skip
    assert submit(client, data).status_code == 201
    lead = Lead.objects.get(phone="+821099998888")
    assert (lead.source, lead.rule_id) == ("targeting", rule.pk)
    # The widget's "targeting" form without the id: their accepted callback offer.
    Offer.objects.filter(pk=offer.pk).update(state="accepted")
    data = form(
        lead_site, visitor_token=visitor_token(visitor), source="targeting",
        phone="010-7777-6666", email="third@example.com",
    )  # fmt: skip
    assert submit(client, data).status_code == 201
    lead = Lead.objects.get(phone="+821077776666")
    assert (lead.source, lead.rule_id) == ("targeting", rule.pk)
