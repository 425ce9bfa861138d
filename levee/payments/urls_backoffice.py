from django.urls import path

from . import views_backoffice as views

app_name = "payments_bo"
# « Prélèvements », under /backoffice/prelevements/.
urlpatterns = [
    path("", views.debit_files, name="debit_files"),
    path("generer/", views.generate, name="generate"),
    path("fichiers/<int:pk>/telecharger/", views.download, name="download"),
    path("fichiers/<int:pk>/transmis/", views.transmit, name="transmit"),
    path("rejets/", views.rejects, name="rejects"),
]
