from datetime import time

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from chat.models import CounselorProfile, Site, Team, Visitor
from leads.models import Lead, LeadSettings, OpeningPeriod

ORIGIN = "https://shop.example.com"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Shop {n}")
    allowed_origins = ORIGIN


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-12345678")


class CounselorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CounselorProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Counselor {n}")
    status = CounselorProfile.Status.OFFLINE

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.add(*extracted)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.add(*extracted)


class VisitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visitor

    site = factory.SubFactory(SiteFactory)


# Leads.


class LeadSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadSettings
        django_get_or_create = ("site",)

    site = factory.SubFactory(SiteFactory)
    # No public holidays: a test's dates must not depend on the calendar.
    holiday_country = ""


class OpeningPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningPeriod

    site = factory.SubFactory(SiteFactory)
    weekday = 0
    opens = time(9)
    closes = time(18)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    site = factory.SubFactory(SiteFactory)
    source = Lead.Source.OFFLINE_FORM
    name = factory.Sequence(lambda n: f"Lead person {n}")
    # Valid Korean mobile numbers in E.164, one per lead.
    phone = factory.Sequence(lambda n: f"+8210{20000000 + n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.created_at)
