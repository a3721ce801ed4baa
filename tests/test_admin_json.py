"""Every JSON field an admin form shows is bounded before decoding (core.forms:
BoundedJSONField): a few hundred nested levels must be a form error, not a 500."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from core.forms import BoundedJSONField


def admin_forms(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        yield model.__name__, model_admin.get_form(request)
        for inline in model_admin.get_inline_instances(request):
            yield (
                f"{model.__name__}/{inline.model.__name__}",
                inline.get_formset(request).form,
            )


@pytest.mark.django_db
def test_every_admin_json_field_is_bounded(admin_user):
    unbounded = [
        f"{where}.{name}"
        for where, form in admin_forms(admin_user)
        for name, field in form.base_fields.items()
        if isinstance(field, forms.JSONField)
        and not isinstance(field, BoundedJSONField)
    ]
    assert unbounded == []


@pytest.mark.django_db
def test_a_deep_json_in_an_admin_form_is_a_form_error(admin_user):
    deep = "[" * 500 + "]" * 500
    checked = 0
    for _where, form in admin_forms(admin_user):
        for field in form.base_fields.values():
            if isinstance(field, forms.JSONField) and not field.disabled:
                with pytest.raises(forms.ValidationError, match="deep"):
                    field.clean(deep)
                checked += 1
    assert checked >= 5  # the admins do show JSON fields
