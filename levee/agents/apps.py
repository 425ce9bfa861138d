from django.apps import AppConfig


class AgentsConfig(AppConfig):
    """The agents of an authority: their logins, roles and invitations, and the decisions
    they take on residents' accounts (opening requests, keys, acting on behalf)."""

    name = "levee.agents"
    verbose_name = "Agents"
    label = "agents"
    default_auto_field = "django.db.models.BigAutoField"
