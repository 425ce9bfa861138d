from django.urls import path

from levee.identity import views_backoffice as identity_bo

from . import views, views_agents, views_imports, views_integrations

app_name = "backoffice"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("connexion/", views.login, name="login"),
    path("deconnexion/", views.logout, name="logout"),
    path("collectivite/", views.switch_authority, name="switch_authority"),
    path("ouvertures/<int:pk>/", views.opening_detail, name="opening_detail"),
    path("ouvertures/<int:pk>/justificatif/", views.opening_proof, name="opening_proof"),
    path("ouvertures/<int:pk>/valider/", views.opening_accept, name="opening_accept"),
    path("ouvertures/<int:pk>/refuser/", views.opening_refuse, name="opening_refuse"),
    path("comptes/", views.accounts, name="accounts"),
    path("journal/", views.audit_log, name="audit_log"),
    path("journal/export.csv", views.audit_log_export, name="audit_log_export"),
    path("comptes/<int:pk>/", views.account_detail, name="account_detail"),
    path("comptes/<int:pk>/levees/", views.account_lifts, name="account_lifts"),
    path(
        "comptes/<int:pk>/nouvelle-cle/",
        views.account_key_regenerate,
        name="account_key_regenerate",
    ),
    path(
        "comptes/<int:pk>/dissocier/<int:access_pk>/",
        views.account_dissociate,
        name="account_dissociate",
    ),
    path(
        "comptes/<int:pk>/ouvrir-espace/",
        views.account_on_behalf_start,
        name="account_on_behalf_start",
    ),
    path(
        "comptes/<int:pk>/abonnements/<int:subscription_pk>/forfait/",
        views.account_plan_set,
        name="account_plan_set",
    ),
    path("comptes/<int:pk>/bacs/ajouter/", views.account_bin_add, name="account_bin_add"),
    path(
        "comptes/<int:pk>/bacs/<int:bin_pk>/remplacer/",
        views.account_bin_replace,
        name="account_bin_replace",
    ),
    path(
        "comptes/<int:pk>/bacs/<int:bin_pk>/retirer/",
        views.account_bin_remove,
        name="account_bin_remove",
    ),
    path("espace-usager/quitter/", views.on_behalf_stop, name="on_behalf_stop"),
    path("agents/", views_agents.agents, name="agents"),
    path("agents/proconnect/", identity_bo.proconnect_policy, name="proconnect_policy"),
    path("agents/<int:pk>/role/", views_agents.agent_role, name="agent_role"),
    path("agents/<int:pk>/desactiver/", views_agents.agent_deactivate, name="agent_deactivate"),
    path("agents/<int:pk>/reactiver/", views_agents.agent_reactivate, name="agent_reactivate"),
    path("agents/<int:pk>/invitation/", views_agents.agent_invitation, name="agent_invitation"),
    path(
        "agents/<int:pk>/double-authentification/",
        views_agents.agent_second_factor_reset,
        name="agent_second_factor_reset",
    ),
    path(
        "mot-de-passe/<str:uidb64>/<str:token>/",
        views_agents.password_set,
        name="password_set",
    ),
    path("imports/", views_imports.imports, name="imports"),
    path("imports/aide/", views_imports.import_help, name="import_help"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/progression/", views_imports.import_progress, name="import_progress"),
    path("imports/<int:pk>/rapport.csv", views_imports.import_report, name="import_report"),
    path("imports/<int:pk>/relancer/", views_imports.import_retry, name="import_retry"),
    path("cles-api/", views_integrations.api_keys, name="api_keys"),
    path("cles-api/<int:pk>/revoquer/", views_integrations.api_key_revoke, name="api_key_revoke"),
    path("webhooks/", views_integrations.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", views_integrations.webhook_detail, name="webhook_detail"),
    path(
        "webhooks/<int:pk>/desactiver/",
        views_integrations.webhook_disable,
        name="webhook_disable",
    ),
]
