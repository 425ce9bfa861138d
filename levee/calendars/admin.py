from django.contrib import admin

from .models import (
    CalendarFeedToken,
    CalendarSettings,
    CollectionReminder,
    CollectionSchedule,
    ScheduleException,
    Sector,
)


@admin.register(CalendarSettings)
class CalendarSettingsAdmin(admin.ModelAdmin):
    list_display = ["authority", "holiday_policy", "updated_at"]
    list_filter = ["holiday_policy"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "commune", "authority"]
    list_filter = ["authority"]
    search_fields = ["name", "commune__name", "streets"]
    autocomplete_fields = ["commune"]


class ScheduleExceptionInline(admin.TabularInline):
    model = ScheduleException
    fields = ["date", "kind", "moved_to", "reason"]
    extra = 0


@admin.register(CollectionSchedule)
class CollectionScheduleAdmin(admin.ModelAdmin):
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
