from django.urls import path

from . import views, views_accessibility

app_name = "authorities"
urlpatterns = [
    path("", views.platform_home, name="platform_home"),
    path("communes/recherche", views.commune_search_json, name="commune_search"),
    path("accessibilite/", views_accessibility.platform_statement, name="accessibility_platform"),
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/theme.css", views.theme_css, name="theme_css"),
    path("<slug:slug>/cgu/", views.cgu, name="cgu"),
    path("<slug:slug>/mentions-legales/", views.legal_notice, name="legal_notice"),
    path("<slug:slug>/donnees-personnelles/", views.personal_data, name="personal_data"),
    path("<slug:slug>/accessibilite/", views_accessibility.statement, name="accessibility"),
]
