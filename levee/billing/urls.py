from django.urls import path  # noqa: F401

app_name = "billing"
# The resident's « Mes factures » and its duplicatas.
urlpatterns = []
