from django.urls import path

from . import views

app_name = "twofactor"
urlpatterns = [
    path("activer/", views.enrol, name="enrol"),
    path("codes-de-secours/", views.recovery_codes, name="recovery_codes"),
    path("codes-de-secours/nouveaux/", views.recovery_codes_renew, name="recovery_codes_renew"),
    path("code/", views.verify, name="verify"),
    path("mon-espace/activer/", views.space_enable, name="space_enable"),
    path("mon-espace/desactiver/", views.space_disable, name="space_disable"),
]
