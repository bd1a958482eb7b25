from django.urls import re_path

from planocore.api import applications, sessions, users

urlpatterns = [
    re_path(r"^sessions/?$", sessions.SessionsView.as_view(), name="sessions"),
    re_path(r"^sessions/current/?$", sessions.CurrentSessionView.as_view(), name="sessions-current"),
    re_path(r"^users/client_register/?$", users.ClientRegisterView.as_view(), name="users-client-register"),
    re_path(r"^applications/?$", applications.ApplicationsView.as_view(), name="applications"),
]
