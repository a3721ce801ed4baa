import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("livechat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "presence-sweep": {"task": "chat.tasks.presence_sweep", "schedule": 10.0},
    "lead-callbacks": {
        "task": "leads.tasks.callbacks_scan",
        "schedule": float(os.environ.get("LEADS_SCAN_SECONDS", "15")),
    },
    "lead-notices-recover": {"task": "leads.tasks.notices_recover", "schedule": 60.0},
    "availability-tick": {"task": "leads.tasks.availability_tick", "schedule": 30.0},
    "leads-purge": {"task": "leads.tasks.leads_purge_expired", "schedule": 3600.0},
    "offers-expire": {"task": "targeting.tasks.offers_expire", "schedule": 60.0},
}
