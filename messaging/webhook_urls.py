"""Sunshine Conversations' webhook, mounted at /webhooks/sunshine-conversations (outside /api/)."""

from django.urls import path

from messaging import views

urlpatterns = [
    path("", views.sunshine_conversations_webhook, name="sunshine-conversations-webhook"),
]
