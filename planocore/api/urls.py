from django.urls import re_path

from planocore.api import sessions

urlpatterns = [
    re_path(r"^sessions/current/?$", sessions.CurrentSessionView.as_view(), name="sessions-current"),
]
