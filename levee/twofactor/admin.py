from django.contrib import admin

from levee.lib.admin import ModelAdmin

from .models import SpaceSecondFactor


@admin.register(SpaceSecondFactor)
class SpaceSecondFactorAdmin(ModelAdmin):
    """The residents who turned the second factor on. The operator resets anyone's factor
    by deleting his « TOTP device » and « static device » (django-otp's own pages)."""

    list_display = ["user", "created_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
