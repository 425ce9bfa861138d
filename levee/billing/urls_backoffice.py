from django.urls import path  # noqa: F401

app_name = "billing_bo"
# Tariffs, billing runs and treasury exports, under /backoffice/facturation/.
urlpatterns = []
