"""RingCentral's webhook, mounted at /webhooks/ringcentral (outside /api/)."""

from django.urls import path

from inbound import views

urlpatterns = [
    path("", views.ringcentral_webhook, name="ringcentral-webhook"),
]
