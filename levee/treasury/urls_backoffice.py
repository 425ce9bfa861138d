from django.urls import path

from . import views_backoffice as views

app_name = "treasury_bo"
# « Comptabilité publique » and « Titres et rôles », under /backoffice/comptabilite-publique/.
urlpatterns = [
    path("", views.files, name="roles"),
    path("reglages/", views.accounting_settings, name="accounting_settings"),
    path("facturations/<int:run_pk>/generer/", views.generate, name="generate"),
    path(
        "facturations/<int:run_pk>/avancement/",
        views.generation_progress,
        name="generation_progress",
    ),
    path("avoirs/generer/", views.generate_credit, name="generate_credit"),
    path("fichiers/<int:pk>/telecharger/", views.download, name="download"),
    path("fichiers/<int:pk>/transmis/", views.transmit, name="transmit"),
    path("fichiers/<int:pk>/accepte/", views.accept, name="accept"),
    path("fichiers/<int:pk>/rejete/", views.reject, name="reject"),
    path("accuse-de-reception/", views.acknowledgement, name="acknowledgement"),
]
