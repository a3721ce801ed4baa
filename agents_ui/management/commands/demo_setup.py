"""Create (or refresh) the demo site, a counselor and a manager; print the logins."""

import os
from datetime import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from chat.models import CounselorProfile, Site, Team
from leads.models import LeadSettings, OpeningPeriod

PORT = os.environ.get("PORT", "8000")
DEFAULT_ORIGINS = f"http://127.0.0.1:{PORT} http://localhost:{PORT}"


class Command(BaseCommand):
    help = "Create the demo site, counselor and manager (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--origins", default=DEFAULT_ORIGINS)
        parser.add_argument("--password", default="demo-pass-1234")
        parser.add_argument(
            "--demo-rules",
            action="store_true",
            help="Add the bag-sale targeting rule (bags viewed 4 times this visit and "
            "60 s on a bags page: a chat invitation, or a callback offer when "
            "nobody is free).",
        )
        parser.add_argument(
            "--office-hours",
            action="store_true",
            help="Open Mon-Fri 09:00-18:00 and Sat 10:00-14:00 (Asia/Seoul) with "
            "Korean public holidays; without it the site has no opening hours and "
            "is open whenever a counselor is online.",
        )

    @transaction.atomic
    def handle(self, *args, origins, password, office_hours, demo_rules, **options):
        site, _ = Site.objects.get_or_create(name="Demo shop")
        site.allowed_origins = "\n".join(origins.split())
        site.time_zone = "Asia/Seoul"
        site.save()
        LeadSettings.objects.update_or_create(
            site=site, defaults={"notify_emails": "sales@demo-shop.example"}
        )
        OpeningPeriod.objects.filter(site=site).delete()
        if office_hours:
            OpeningPeriod.objects.bulk_create(
                [
                    OpeningPeriod(
                        site=site, weekday=day, opens=time(9), closes=time(18)
                    )
                    for day in range(5)
                ]
                + [OpeningPeriod(site=site, weekday=5, opens=time(10), closes=time(14))]
            )
        sales, _ = Team.objects.get_or_create(site=site, name="Sales")
        Team.objects.get_or_create(site=site, name="Support")
        users = get_user_model()
        logins = []
        for username, name, role, staff in (
            ("counselor", "Jiwoo Kim", CounselorProfile.Role.COUNSELOR, False),
            ("manager", "Minseo Park", CounselorProfile.Role.MANAGER, True),
        ):
            user, _ = users.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = staff
            user.is_superuser = staff
            user.save()
            profile, _ = CounselorProfile.objects.get_or_create(
                user=user, defaults={"display_name": name, "role": role}
            )
            profile.sites.add(site)
            profile.teams.add(sales)
            logins.append((username, role))
        if demo_rules:
            self._bag_sale(site)
        self.stdout.write(f"Demo site '{site.name}' key={site.public_key}")
        self.stdout.write(f"  allowed origins: {', '.join(site.origins)}")
        for username, role in logins:
            self.stdout.write(f"  {role:9} login: {username} / {password}")
        self.stdout.write(f"  shop:    http://127.0.0.1:{PORT}/demo/")
        self.stdout.write(f"  console: http://127.0.0.1:{PORT}/console/")
        self.stdout.write(f"  leads:   http://127.0.0.1:{PORT}/console/leads/")
        self.stdout.write(
            "  hours:   "
            + (
                "Mon-Fri 09-18, Sat 10-14 Asia/Seoul"
                if office_hours
                else "none set: open whenever a counselor is online, else the "
                "callback form"
            )
        )
        self.stdout.write(
            f"  (http://localhost:{PORT}/demo/ chats from another origin)"
        )

    def _bag_sale(self, site) -> None:
        from targeting.engine.seed_rules import SEED_RULES
        from targeting.models import Rule

        seed = next(rule for rule in SEED_RULES if rule.key == "bags_sale")
        rule = Rule.objects.filter(site=site, name="Bag sale").first() or Rule(
            site=site, name="Bag sale"
        )
        rule.condition = seed.condition
        rule.target_pages = list(seed.target_pages)
        rule.priority = seed.priority
        rule.action = {
            "kind": "chat_invite",
            "title": "Bag sale: 20% off today",
            "body": "Questions about a bag? Ask me.",
            "persona": {"name": "Jiwoo"},
        }
        rule.fallback = {"kind": "callback", "title": "We can call you back"}
        rule.cap_per_session = 1
        rule.full_clean()
        rule.save()
        self.stdout.write("  targeting: rule 'Bag sale' (bags 4 times + 60 s)")
