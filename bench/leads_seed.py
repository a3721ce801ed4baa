"""Seed the leads benchmark database: 3 sites, 20 counselors and a manager, N leads
with their submissions, consent records, history and notices, written with COPY.

Imported by bench/leads.py after django.setup() against the benchmark database. The
data is deterministic (seeded random) and shaped like a year of real capture:
newer leads are denser and mostly open, older ones mostly won or lost; names are
Korean (85%) and Latin; phones are unique E.164 Korean mobiles "+8210[2-8]#######"
(the public-form benchmark uses "+82109...", so it never collides with them).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from chat.models import CounselorProfile, Site
from leads.models import (
    AccessLog,
    ConsentRecord,
    Lead,
    LeadEvent,
    LeadNotice,
    LeadSettings,
    LeadSubmission,
    OpeningPeriod,
)

MANAGER = "bench-manager"
PASSWORD = "bench-manager-password"  # a throwaway benchmark database only
SITES = [
    ("Seoul Clinic", "https://clinic-seoul.example", 0.55),
    ("Busan Clinic", "https://clinic-busan.example", 0.30),
    ("Online Academy", "https://academy.example", 0.15),
]
# Counselors of each site (index into SITES); the manager has sites 0 and 1.
COUNSELOR_SITES = [0] * 10 + [1] * 6 + [2] * 4
SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍"
SURNAME_WEIGHTS = [21, 15, 8, 5, 4, 2.4, 2.1, 2.1, 2, 1.7, 1.5] + [1.4] * 10
ROMAN = dict(
    zip(
        SURNAMES,
        "kim lee park choi jung kang cho yoon jang lim han oh "
        "seo shin kwon hwang ahn song ryu jeon hong".split(),
        strict=True,
    )
)
GIVEN = (
    "민준 서준 도윤 예준 시우 하준 주원 지호 지후 준우 준서 건우 현우 우진 선우 서진 "
    "민재 현준 연우 유준 정우 승우 승현 시윤 준혁 은우 지환 승민 유찬 서연 서윤 지우 "
    "서현 민서 하은 하윤 윤서 지유 지민 채원 지원 수아 다은 은서 예은 수빈 소율 예린 "
    "지아 영숙 영희 정숙 순자 미경 성호 영수 상철 동현 혜진"
).split()
# Zipf-like: a few given names are very common, with a long tail.
GIVEN_WEIGHTS = [1 / (k + 1) ** 0.6 for k in range(len(GIVEN))]
LATIN_FIRST = "Emma Liam Olivia Noah Ava James Sophia Lucas Mia Ethan Daniel Grace "
LATIN_FIRST += "Michael Sarah David Anna John Maria"
LATIN_LAST = (
    "Smith Johnson Brown Lee Kim Park Garcia Miller Wilson Nguyen Tanaka Muller"
)
DOMAINS = ["naver.com", "gmail.com", "daum.net", "kakao.com", "hanmail.net"]
MESSAGES = [
    "상담 가능한 시간에 연락 부탁드립니다.",
    "가격이 궁금합니다.",
    "예약 변경하고 싶어요.",
    "주말에도 상담 되나요?",
    "Please call me after 6pm.",
    "I would like to know the price of the course.",
    "임플란트 상담 원합니다. 오전에 통화 가능해요.",
]
AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
    "Mozilla/5.0 (Linux; Android 15; SM-S928N) AppleWebKit/537.36 Chrome/131.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0",
]
SOURCES = (
    ["offline_form", "queue_overflow", "in_chat_form", "targeting"],
    [45, 25, 20, 10],
)
STATUSES = ["new", "contacted", "qualified", "won", "lost"]
# Status mix by age of the lead (days): recent ones are open, old ones closed.
STATUS_BY_AGE = [
    (2, [70, 20, 5, 2, 3]),
    (14, [30, 30, 15, 10, 15]),
    (60, [8, 15, 12, 25, 40]),
    (10_000, [3, 5, 5, 30, 57]),
]
PIPELINE = {"contacted": 1, "qualified": 2, "won": 3, "lost": 3, "new": 0}


def _copy(table: str, columns: list[str], rows) -> int:
    count = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _reset_sequence(model) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT max(id) FROM {table}))"
        )


def _people(rng: random.Random, n: int):
    """(name, email local part) for n people."""
    first, last = LATIN_FIRST.split(), LATIN_LAST.split()
    for i in range(n):
        if rng.random() < 0.85:
            surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
            given = rng.choices(GIVEN, GIVEN_WEIGHTS)[0]
            yield surname + given, f"{ROMAN[surname]}{i}"
        else:
            a, b = rng.choice(first), rng.choice(last)
            yield f"{a} {b}", f"{a.lower()}.{b.lower()}{i}"


def _setup_sites_and_people(now: datetime) -> tuple[list[Site], list]:
    User = get_user_model()
    sites = [
        Site.objects.create(name=name, allowed_origins=origin)
        for name, origin, _share in SITES
    ]
    for site in sites:
        LeadSettings.objects.create(site=site)
        OpeningPeriod.objects.bulk_create(
            [
                OpeningPeriod(site=site, weekday=day, opens="09:00", closes="18:00")
                for day in range(5)
            ]
            + [OpeningPeriod(site=site, weekday=5, opens="10:00", closes="14:00")]
        )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"bench-counselor-{k:02d}", password=unusable)
        for k in range(len(COUNSELOR_SITES))
    )
    profiles = CounselorProfile.objects.bulk_create(
        CounselorProfile(user=user, display_name=f"상담사 {k + 1:02d}")
        for k, user in enumerate(users)
    )
    for profile, site_index in zip(profiles, COUNSELOR_SITES, strict=True):
        profile.sites.add(sites[site_index])
    manager_user = User.objects.create(
        username=MANAGER, password=make_password(PASSWORD), last_login=now
    )
    manager = CounselorProfile.objects.create(
        user=manager_user, display_name="Bench Manager", role="manager"
    )
    manager.sites.add(sites[0], sites[1])
    return sites, profiles


COLUMNS = {
    Lead: "id site_id reference source status assignee_id name phone email message "
    "fields language marketing_consent callback_at callback_due_at overdue_since "
    "reminded_for rule_id inflow submissions_count created_at updated_at",
    LeadSubmission: "id lead_id site_id idempotency_key source data ip user_agent "
    "created_at",
    ConsentRecord: "lead_id submission_id site_id kind granted notice_version "
    "language ip user_agent created_at",
    LeadEvent: "lead_id kind actor_id actor_name data text created_at",
    LeadNotice: "lead_id kind key state attempts last_error claimed_at sent_at "
    "created_at",
}


class _Rows:
    """Rows of one table per model, as tuples in COLUMNS order."""

    def __init__(self) -> None:
        self.rows: dict = {model: [] for model in COLUMNS}
        self.submission_id = 0

    def add(self, model, *values) -> None:
        self.rows[model].append(values)


def _lead(out: _Rows, rng: random.Random, lead_id: int, person, site_index, ctx):
    """One lead as the capture path and a counselor's work on it leave it."""
    name, handle = person
    site, now = ctx["sites"][site_index], ctx["now"]
    age = timedelta(days=365 * rng.random() ** 1.4, seconds=rng.randrange(86400))
    created = now - age
    weights = next(w for limit, w in STATUS_BY_AGE if age.days < limit)
    status = rng.choices(STATUSES, weights)[0]
    source = rng.choices(*SOURCES)[0]
    assigned = status != "new" or rng.random() < 0.4
    assignee = rng.choice(ctx["by_site"][site_index]) if assigned else None
    phone = f"+8210{ctx['phones'][lead_id - 1]}"
    email = f"{handle}@{rng.choice(DOMAINS)}" if rng.random() < 0.4 else ""
    message = rng.choice(MESSAGES) if rng.random() < 0.6 else ""
    callback_at = due = overdue = None
    if rng.random() < 0.3:
        callback_at = created + timedelta(minutes=30 * rng.randrange(2, 96))
    if source in ("offline_form", "queue_overflow") or rng.random() < 0.7:
        due = callback_at or created + timedelta(hours=1)
    is_open = status in Lead.OPEN_STATUSES
    if is_open and due and due < now - timedelta(minutes=15) and rng.random() < 0.5:
        overdue = due + timedelta(minutes=15)
    updated = min(now, created + timedelta(hours=rng.randrange(0, 24 * 20)))
    n_subs = rng.choices([1, 2, 3], [90, 8, 2])[0]
    inflow = {}
    if rng.random() < 0.5:
        inflow = {"utm_source": rng.choice(["naver", "google", "kakao"])}
        inflow.update(utm_medium="cpc", keyword=rng.choice(["임플란트", "치아교정"]))
    language = "ko" if rng.random() < 0.85 else "en"
    marketing = rng.random() < 0.35
    reference = f"L-{(lead_id * 2654435761) % 2**32:08X}"
    rule = rng.randrange(1, 21) if source == "targeting" else None
    out.add(Lead, lead_id, site.pk, reference, source, status,
            assignee and assignee.pk, name, phone, email, message, "{}", language,
            marketing, callback_at, due, overdue, overdue and due, rule,
            json.dumps(inflow), n_subs, created, updated)  # fmt: skip
    data = {"name": name, "phone": phone, "email": email, "message": message}
    data = json.dumps({**data, "callback_at": None, "fields": {}, "inflow": inflow})
    ip = f"211.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    agent = rng.choice(AGENTS)
    for k in range(n_subs):
        out.submission_id += 1
        at = created + timedelta(hours=k * rng.randrange(1, 72))
        key = f"seed-{lead_id}-{k}"
        out.add(LeadSubmission, out.submission_id, lead_id, site.pk, key, source,
                data, ip, agent, at)  # fmt: skip
        for kind, granted in (("collection", True), ("marketing", marketing)):
            out.add(ConsentRecord, lead_id, out.submission_id, site.pk, kind,
                    granted, "2026-11-01", language, ip, agent, at)  # fmt: skip
    actor = assignee.user_id if assignee else None
    actor_name = assignee.display_name if assignee else ""

    def event(kind: str, at, data: dict, text: str = "") -> None:
        out.add(LeadEvent, lead_id, kind, actor, actor_name, json.dumps(data), text,
                at)  # fmt: skip

    first = json.dumps({"source": source})
    out.add(LeadEvent, lead_id, "created", None, "", first, "", created)
    step = created
    if assignee:
        step += timedelta(minutes=rng.randrange(1, 600))
        event("assignee", step, {"to": assignee.pk})
    path = ["contacted", "qualified", status][: PIPELINE[status]]
    if status in ("won", "lost") and rng.random() < 0.5:
        path.remove("qualified")
    previous = "new"
    for target in dict.fromkeys(path):
        step += timedelta(hours=rng.randrange(1, 48))
        event("status", step, {"from": previous, "to": target})
        previous = target
    if rng.random() < 0.2:
        event("note", step, {}, "통화 완료, 다음 주 재연락 예정")
    out.add(LeadNotice, lead_id, "new_lead", "", "sent", 1, "", created, created,
            created)  # fmt: skip


def seed(n: int, *, seed_value: int = 20261124) -> dict:
    """Fill an empty, migrated database. Returns row counts per table."""
    rng = random.Random(seed_value)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        sites, profiles = _setup_sites_and_people(now)
    ctx = {
        "now": now,
        "sites": sites,
        "by_site": {
            i: [p for p, s in zip(profiles, COUNSELOR_SITES, strict=True) if s == i]
            for i in range(len(sites))
        },
        "phones": rng.sample(range(20_000_000, 90_000_000), n),
    }
    shares = [share for _name, _origin, share in SITES]
    out = _Rows()
    for i, person in enumerate(_people(rng, n)):
        site_index = rng.choices(range(len(SITES)), shares)[0]
        _lead(out, rng, i + 1, person, site_index, ctx)
    counts = {}
    with transaction.atomic():
        for model, columns in COLUMNS.items():
            counts[model._meta.model_name] = _copy(
                model._meta.db_table, columns.split(), out.rows[model]
            )
        _reset_sequence(Lead)
        _reset_sequence(LeadSubmission)
    vacuum()
    return counts


def vacuum() -> None:
    with connection.cursor() as cursor:
        for model in (Lead, LeadSubmission, ConsentRecord, LeadEvent, LeadNotice):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def seeded_leads() -> int | None:
    """Number of seeded leads, or None when the database holds no benchmark seed."""
    if not get_user_model().objects.filter(username=MANAGER).exists():
        return None
    return Lead.objects.count()


FORM_PHONES = "+82109%"  # what the public-form steps submit (never seeded)


def cleanup() -> int:
    """Remove what benchmark runs add: the leads the form steps created (with their
    rows) and the access log. Returns the number of leads removed."""
    lead_table = Lead._meta.db_table
    ids = f"SELECT id FROM {lead_table} WHERE phone LIKE %s"
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ConsentRecord, LeadSubmission, LeadEvent, LeadNotice):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE lead_id IN ({ids})",
                [FORM_PHONES],
            )
        cursor.execute(f"DELETE FROM {lead_table} WHERE phone LIKE %s", [FORM_PHONES])
        removed = cursor.rowcount
        cursor.execute(f"TRUNCATE {AccessLog._meta.db_table}")
    return removed


def redis_cleanup(url: str) -> dict:
    """Delete what the server left in its Redis db: the Celery queue (no worker
    consumes the new-lead notices) and the throttle counters."""
    import redis

    client = redis.Redis.from_url(url)
    deleted = 0
    for pattern in ("celery", "_kombu.*", "unacked*", ":1:throttle:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            deleted += client.delete(*keys)
    left = client.dbsize()
    client.close()
    return {"deleted": deleted, "left": left}


def describe() -> dict:
    """What the load steps need: ids, search values, and how many rows each matches."""
    from leads.forms import display_phone

    site, form_site = (Site.objects.get(name=s[0]) for s in SITES[:2])
    mine = Lead.objects.filter(site=site)
    new = mine.filter(status="new")
    fragment = GIVEN[20]
    phone = new.order_by("-created_at", "-id").values_list("phone", flat=True)[100]
    assignee = (
        mine.filter(status="contacted", assignee__isnull=False)
        .values_list("assignee")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    overdue = new.filter(overdue_since__isnull=False)
    return {
        "site": site.pk,
        "manager": MANAGER,
        "password": PASSWORD,
        "name_fragment": fragment,
        "phone_national": display_phone(phone, region="KR"),
        "assignee": assignee[0],
        "form": {
            "site": form_site.public_key,
            "origin": SITES[1][1],
            "notice_version": LeadSettings.objects.get(site=form_site).notice_version,
        },
        "counts": {
            "leads": Lead.objects.count(),
            "site_leads": mine.count(),
            "site_new": new.count(),
            "q_name_new": new.filter(name__icontains=fragment).count(),
            "q_name_any": mine.filter(name__icontains=fragment).count(),
            "q_digits_any": mine.filter(phone__endswith=phone[-4:]).count(),
            "assignee_contacted": assignee[1],
            "overdue_new": overdue.count(),
            "submissions": LeadSubmission.objects.count(),
            "consents": ConsentRecord.objects.count(),
            "events": LeadEvent.objects.count(),
            "notices": LeadNotice.objects.count(),
        },
    }
