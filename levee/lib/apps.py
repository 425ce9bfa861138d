from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "levee.lib"
    verbose_name = "Outils communs"
    label = "lib"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from levee.lib import checks  # noqa: F401 (registers Levée's system checks)

        _third_party_names_in_french()

    def periodic_jobs(self):
        from .captcha import captcha_used_purge
        from .periodic import Job
        from .tasks import tasks_lease_expired_requeue

        return [
            Job("captcha", lambda: f"{captcha_used_purge()} expired challenge(s) forgotten"),
            Job(
                "tasks left running",
                lambda: f"{tasks_lease_expired_requeue()} task(s) past their lease enqueued again",
            ),
        ]


# The operator's admin reads in French: the apps installed beside Levée's own that bring no
# French names (their headings would read « Otp_Static », « Task Results »). Names only: no
# migration follows from them.
THIRD_PARTY_NAMES = {
    "otp_static": (
        "Double authentification : codes de secours",
        {
            "staticdevice": ("jeu de codes de secours", "jeux de codes de secours"),
            "statictoken": ("code de secours", "codes de secours"),
        },
    ),
    "otp_totp": (
        "Double authentification : applications",
        {"totpdevice": ("application d'authentification", "applications d'authentification")},
    ),
    "django_tasks_database": (
        "Tâches en arrière-plan",
        {"dbtaskresult": ("tâche", "tâches")},
    ),
}


def _third_party_names_in_french():
    from django.apps import apps

    for label, (app_name, models) in THIRD_PARTY_NAMES.items():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
