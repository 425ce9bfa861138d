from django.urls import path  # noqa: F401

app_name = "payments"
# « Régler », the gateways' notifications and return pages, the sandbox gateway's screens.
urlpatterns = []
