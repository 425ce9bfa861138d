"""Calendars' URLs: the agents' pages first (under backoffice/), then the public and
space pages under /<slug>/, all before the authorities' /<slug>/… catch-alls."""

from django.urls import path, register_converter

from . import views, views_backoffice


class InseeConverter:
    """A commune's INSEE code: five digits, or 2A/2B and three digits (Corsica)."""

    regex = "[0-9][0-9AB][0-9]{3}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class TokenConverter:
    regex = "[A-Za-z0-9_-]{16,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(InseeConverter, "insee")
register_converter(TokenConverter, "feedtoken")

app_name = "calendars"
urlpatterns = [
    # Back office (agent_required): only the agent's authority.
    path("backoffice/calendriers/", views_backoffice.schedules, name="bo_schedules"),
    path(
        "backoffice/calendriers/nouveau/",
        views_backoffice.schedule_create,
        name="bo_schedule_create",
    ),
    path(
        "backoffice/calendriers/jours-feries/",
        views_backoffice.holiday_policy,
        name="bo_holiday_policy",
    ),
    path("backoffice/calendriers/secteurs/", views_backoffice.sectors, name="bo_sectors"),
    path(
        "backoffice/calendriers/secteurs/<int:pk>/",
        views_backoffice.sector_detail,
        name="bo_sector",
    ),
    path(
        "backoffice/calendriers/secteurs/<int:pk>/supprimer/",
        views_backoffice.sector_delete,
        name="bo_sector_delete",
    ),
    path(
        "backoffice/calendriers/exceptions/<int:pk>/supprimer/",
        views_backoffice.exception_remove,
        name="bo_exception_remove",
    ),
    path("backoffice/calendriers/<int:pk>/", views_backoffice.schedule_detail, name="bo_schedule"),
    path(
        "backoffice/calendriers/<int:pk>/supprimer/",
        views_backoffice.schedule_delete,
        name="bo_schedule_delete",
    ),
    path(
        "backoffice/calendriers/<int:pk>/exceptions/",
        views_backoffice.exception_add,
        name="bo_exception_add",
    ),
    # Public (no login).
    path("<slug:slug>/calendriers/", views.authority_calendars, name="authority"),
    path(
        "<slug:slug>/calendriers/abonnement/<feedtoken:token>.ics",
        views.account_ics,
        name="account_ics",
    ),
    path(
        "<slug:slug>/calendriers/rappels/desabonnement/<str:token>/",
        views.reminder_unsubscribe,
        name="reminder_unsubscribe",
    ),
    path("<slug:slug>/calendriers/<insee:insee>.ics", views.commune_ics, name="commune_ics"),
    path("<slug:slug>/calendriers/<insee:insee>/", views.commune, name="commune"),
    path("<slug:slug>/calendriers/<insee:insee>/<int:year>/", views.year_view, name="year"),
    # The resident's space (login).
    path("<slug:slug>/espace/calendrier/", views.space, name="space"),
    path("<slug:slug>/espace/calendrier/lien/", views.space_link_create, name="space_link"),
    path(
        "<slug:slug>/espace/calendrier/rappels/",
        views.space_reminders,
        name="space_reminders",
    ),
    path(
        "<slug:slug>/espace/calendrier/revoquer/",
        views.space_link_revoke,
        name="space_link_revoke",
    ),
]
