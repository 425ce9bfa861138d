from django.urls import path

from . import views

app_name = "collection"
urlpatterns = [
    path("<slug:slug>/espace/mes-bacs-levees/", views.production, name="production"),
    path("<slug:slug>/espace/mes-bacs-levees/levees.csv", views.lifts_csv, name="lifts_csv"),
    path("<slug:slug>/espace/mes-bacs-levees/apports.csv", views.dropoffs_csv, name="dropoffs_csv"),
]
