from django.urls import path

from . import views, views_proconnect, views_simulation

app_name = "identity"
urlpatterns = [
    path("franceconnect/retour/", views.franceconnect_callback, name="franceconnect_callback"),
    path("franceconnect/deconnexion/", views.logout_callback, name="logout_callback"),
    path(
        "<slug:slug>/franceconnect/connexion/",
        views.franceconnect_start,
        name="franceconnect_start",
    ),
    path("<slug:slug>/franceconnect/lier/", views.franceconnect_link, name="franceconnect_link"),
    path(
        "<slug:slug>/franceconnect/annuler/",
        views.franceconnect_cancel,
        name="franceconnect_cancel",
    ),
    path(
        "<slug:slug>/espace/franceconnect/retirer/",
        views.franceconnect_unlink,
        name="franceconnect_unlink",
    ),
    path("backoffice/proconnect/connexion/", views_proconnect.start, name="proconnect_start"),
    path("backoffice/proconnect/retour/", views_proconnect.callback, name="proconnect_callback"),
    path(
        "simulation/<str:provider>/autoriser/",
        views_simulation.authorize,
        name="simulation_authorize",
    ),
    path(
        "simulation/<str:provider>/deconnexion/", views_simulation.logout, name="simulation_logout"
    ),
]
