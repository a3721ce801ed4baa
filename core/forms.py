"""Form fields shared by the admin."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.jsonutil import TooDeep, check_depth


class BoundedJSONField(forms.JSONField):
    """A JSON textarea whose nesting is bounded before it is decoded: the standard
    decoder (and the form's re-rendering with json.dumps) recurse once per level,
    and a few hundred levels raised RecursionError (HTTP 500)."""

    def _too_deep(self, value) -> TooDeep | None:
        if not isinstance(value, str):
            return None
        try:
            check_depth(value)
        except TooDeep as exc:
            return exc
        return None

    def to_python(self, value):
        error = None if self.disabled else self._too_deep(value)
        if error is not None:
            raise ValidationError(str(error), code="too_deep")
        return super().to_python(value)

    def bound_data(self, data, initial):
        if self._too_deep(data) is not None:
            return forms.fields.InvalidJSONInput(data)  # shown back as typed
        return super().bound_data(data, initial)
