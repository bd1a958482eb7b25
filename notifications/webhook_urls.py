"""Provider webhooks of notifications, included at /webhooks/ (not under the API)."""

from django.urls import path

from notifications.webhooks import MandrillTrackingWebhookView

urlpatterns = [
    path("mandrill", MandrillTrackingWebhookView.as_view(), name="mandrill-tracking-webhook"),
]
