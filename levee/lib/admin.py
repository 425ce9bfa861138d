"""What every admin of Levée's models shares.

A private file (a duplicata, a PES file, a debit file, a demande's attachment) has no public
URL, and Django's admin asks one of every file it shows (its « Actuellement : » link, its
read-only value): the admin would answer 500. Here such a field is shown read only, by its
name, linked to a download view that asks the admin's own permission to view the object.

Django writes its delete action « Supprimer les %(verbose_name_plural)s sélectionnés »,
masculine whatever the noun: an admin of a feminine model says its own sentence
(« Supprimer les factures sélectionnées »)."""

import os
from functools import cached_property

from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.db import models
from django.http import FileResponse, Http404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from levee.lib.storage import PrivateStorage


def private_file_fields(model) -> list:
    """The model's file fields kept on the private storage."""
    return [
        field
        for field in model._meta.fields
        if isinstance(field, models.FileField) and isinstance(field.storage, PrivateStorage)
    ]


def _url_name(model) -> str:
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_private_file"


class PrivateFileShown:
    """The read-only value standing for a private file field in a form, an inline or a list:
    the file's name, linked to its model admin's download view when there is one."""

    def __init__(self, field):
        self.field = field
        self.__name__ = field.name  # the admin's CSS class (« field-pdf »)
        self.short_description = field.verbose_name

    def __call__(self, obj):
        file = getattr(obj, self.field.name)
        if not file:
            return "-"
        name = os.path.basename(file.name)
        try:
            url = reverse(_url_name(type(obj)), args=[quote(obj.pk), self.field.name])
        except NoReverseMatch:  # an inline's model with no admin of its own
            return name
        return format_html('<a href="{}">{}</a>', url, name)


class PrivateFilesMixin:
    """For a ModelAdmin or an inline: private file fields become read-only values."""

    @cached_property
    def _private_shown(self) -> dict:
        return {field.name: PrivateFileShown(field) for field in private_file_fields(self.model)}

    def _shown(self, names):
        shown = []
        for name in names:
            if isinstance(name, (list, tuple)):
                shown.append(type(name)(self._private_shown.get(n, n) for n in name))
            elif isinstance(name, str):
                shown.append(self._private_shown.get(name, name))
            else:
                shown.append(name)
        return list(dict.fromkeys(shown))

    def get_readonly_fields(self, request, obj=None):
        excluded = set(self.get_exclude(request, obj) or ())
        kept = [shown for name, shown in self._private_shown.items() if name not in excluded]
        return self._shown([*super().get_readonly_fields(request, obj), *kept])

    def get_fields(self, request, obj=None):
        return self._shown(super().get_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        return [
            (title, {**options, "fields": self._shown(options.get("fields", ()))})
            for title, options in super().get_fieldsets(request, obj)
        ]


class ModelAdmin(PrivateFilesMixin, admin.ModelAdmin):
    """The base of Levée's model admins."""

    # An admin of a feminine model says its delete action whole:
    # « Supprimer les factures sélectionnées ».
    delete_selected_description = None

    def get_list_display(self, request):
        return self._shown(super().get_list_display(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.delete_selected_description and "delete_selected" in actions:
            func, name, _ = actions["delete_selected"]
            actions[name] = (func, name, self.delete_selected_description)
        return actions

    def get_urls(self):
        urls = super().get_urls()
        if not self._private_shown:
            return urls
        opts = self.model._meta
        download = path(
            "<path:object_id>/fichier/<str:field_name>/",
            self.admin_site.admin_view(self.private_file_view),
            name=f"{opts.app_label}_{opts.model_name}_private_file",
        )
        return [download, *urls]

    def private_file_view(self, request, object_id, field_name):
        """Downloads a private file of an object the operator may view in the admin."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or field_name not in self._private_shown:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise Http404
        file = getattr(obj, field_name)
        if not file or not file.storage.exists(file.name):
            raise Http404
        return FileResponse(
            file.open("rb"), as_attachment=True, filename=os.path.basename(file.name)
        )


class TabularInline(PrivateFilesMixin, admin.TabularInline):
    pass


class StackedInline(PrivateFilesMixin, admin.StackedInline):
    pass


class RecordAdmin(ModelAdmin):
    """A record of what happened (a file generated, an import, a generation): the operator
    reads it; only the services that wrote it change it, so their rules (gap-free numbers,
    statuses moving one way, the audit log) cannot be bypassed here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
