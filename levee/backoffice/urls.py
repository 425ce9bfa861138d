from django.urls import path

from . import views

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
]
