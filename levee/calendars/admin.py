from django.contrib import admin

from .cache import calendars_changed
from .models import (
    CalendarFeedToken,
    CalendarSettings,
    CollectionReminder,
    CollectionSchedule,
    ScheduleException,
    Sector,
)


class CalendarChangesForgotten(admin.ModelAdmin):
    """A change made in the admin forgets the authority's cached calendars, as the back
    office's services do (levee.calendars.cache): the authority before and after it."""

    def _forget(self, *authority_ids) -> None:
        for authority_id in {a for a in authority_ids if a is not None}:
            calendars_changed(authority_id)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        before = form.initial.get("authority") if change else None
        self._forget(obj.authority_id, getattr(before, "pk", before))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._forget(obj.authority_id)

    def delete_queryset(self, request, queryset):
        authority_ids = set(queryset.values_list("authority_id", flat=True))
        super().delete_queryset(request, queryset)
        self._forget(*authority_ids)


@admin.register(CalendarSettings)
class CalendarSettingsAdmin(CalendarChangesForgotten):
    list_display = ["authority", "holiday_policy", "updated_at"]
    list_filter = ["holiday_policy"]


@admin.register(Sector)
class SectorAdmin(CalendarChangesForgotten):
    list_display = ["name", "commune", "authority"]
    list_filter = ["authority"]
    search_fields = ["name", "commune__name", "streets"]
    autocomplete_fields = ["commune"]


class ScheduleExceptionInline(admin.TabularInline):
    model = ScheduleException
    fields = ["date", "kind", "moved_to", "reason"]
    extra = 0


@admin.register(CollectionSchedule)
class CollectionScheduleAdmin(CalendarChangesForgotten):
    list_display = ["commune", "sector", "flux", "kind", "weekday", "valid_from", "valid_until"]
    list_filter = ["authority", "flux", "kind"]
    search_fields = ["commune__name", "commune__insee", "sector__name"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune", "sector"]
    inlines = [ScheduleExceptionInline]

    def save_formset(self, request, form, formset, change):
        # An exception carries its schedule's authority (tenant guard).
        for exception in formset.save(commit=False):
            exception.authority_id = form.instance.authority_id
            exception.save()
        for removed in formset.deleted_objects:
            removed.delete()
        formset.save_m2m()
        self._forget(form.instance.authority_id)


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["account", "authority", "created_at", "revoked_at"]
    list_filter = ["authority"]
    search_fields = ["account__code", "account__last_name"]
    readonly_fields = ["authority", "account", "token", "created_by", "created_at"]
    fields = ["authority", "account", "token", "created_by", "created_at", "revoked_at"]

    def has_add_permission(self, request):
        return False


@admin.register(CollectionReminder)
class CollectionReminderAdmin(admin.ModelAdmin):
    list_display = ["account", "user", "fluxes", "on_eve", "on_change", "updated_at"]
    list_filter = ["authority", "on_eve", "on_change"]
    search_fields = ["account__code", "user__email"]
    raw_id_fields = ["account", "user"]
    list_select_related = ["account", "user"]
