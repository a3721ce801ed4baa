"""Fill the benchmark database with one site, C counselors and V visitors, each
visitor with an active conversation already assigned to counselor i % C.

Assigning in the database (instead of letting V visitors start chats over the
socket) makes the pairing known in advance, so the load generator can connect every
visitor to the other server process than its counselor's: all measured messages
cross processes through Redis. Prints a JSON description of the population.

Run with the benchmark's environment (DJANGO_SETTINGS_MODULE, DATABASE_URL, ...):
    python bench/setup_ours.py --visitors 5000 --counselors 200 --origin http://bench.example
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from chat.models import Conversation, CounselorProfile, Site, Visitor  # noqa: E402
from chat.services.visitors import visitor_token  # noqa: E402


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE chat_site, auth_user, django_session RESTART IDENTITY CASCADE"
        )


def populate(visitors: int, counselors: int, origin: str) -> dict:
    User = get_user_model()
    now = timezone.now()
    unusable = make_password(None)
    with transaction.atomic():
        site = Site.objects.create(name="Bench", allowed_origins=origin)
        users = User.objects.bulk_create(
            User(username=f"bench-c{k:04d}", password=unusable)
            for k in range(counselors)
        )
        profiles = CounselorProfile.objects.bulk_create(
            CounselorProfile(
                user=user,
                display_name=f"Counselor {k}",
                status=CounselorProfile.Status.ONLINE,
                last_seen_at=now,
                max_concurrent=min(32_000, visitors // max(1, counselors) + 5),
            )
            for k, user in enumerate(users)
        )
        CounselorProfile.sites.through.objects.bulk_create(
            CounselorProfile.sites.through(counselorprofile_id=p.pk, site_id=site.pk)
            for p in profiles
        )
        people = Visitor.objects.bulk_create(
            Visitor(site=site, name=f"Visitor {i}") for i in range(visitors)
        )
        Conversation.objects.bulk_create(
            Conversation(
                site=site,
                visitor=visitor,
                assignee=profiles[i % counselors],
                status=Conversation.Status.ACTIVE,
                queued_at=now,
                assigned_at=now,
            )
            for i, visitor in enumerate(people)
        )
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    return {
        "site_key": site.public_key,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "tokens": [visitor_token(v) for v in people],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, required=True)
    parser.add_argument("--counselors", type=int, required=True)
    parser.add_argument("--origin", required=True)
    args = parser.parse_args()
    reset()
    json.dump(populate(args.visitors, args.counselors, args.origin), sys.stdout)


if __name__ == "__main__":
    main()
