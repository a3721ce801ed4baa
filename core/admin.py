"""What every ModelAdmin of the project shares."""

from __future__ import annotations

from django.db import models

from core.forms import BoundedJSONField


class BoundedJSONMixin:
    """JSON fields as `BoundedJSONField`s: nesting bounded before decoding."""

    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONField}}
