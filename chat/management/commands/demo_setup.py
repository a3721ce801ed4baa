"""Create (or refresh) the demo site, a counselor and a manager; print the logins."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from chat.models import CounselorProfile, Site, Team

PORT = os.environ.get("PORT", "8000")
DEFAULT_ORIGINS = f"http://127.0.0.1:{PORT} http://localhost:{PORT}"


class Command(BaseCommand):
    help = "Create the demo site, counselor and manager (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--origins", default=DEFAULT_ORIGINS)
        parser.add_argument("--password", default="demo-pass-1234")

    @transaction.atomic
    def handle(self, *args, origins, password, **options):
        site, _ = Site.objects.get_or_create(name="Demo shop")
        site.allowed_origins = "\n".join(origins.split())
        site.save()
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
        self.stdout.write(f"Demo site '{site.name}' key={site.public_key}")
        self.stdout.write(f"  allowed origins: {', '.join(site.origins)}")
        for username, role in logins:
            self.stdout.write(f"  {role:9} login: {username} / {password}")
        self.stdout.write(f"  shop:    http://127.0.0.1:{PORT}/demo/")
        self.stdout.write(f"  console: http://127.0.0.1:{PORT}/console/")
        self.stdout.write(
            f"  (http://localhost:{PORT}/demo/ chats from another origin)"
        )
