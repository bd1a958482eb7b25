from django.urls import re_path

from cancelations import views

# `reasons` before the detail route, so /cancelations/reasons is never an id. The detail
# route comes before the list route so the registry documents the update route (which both
# answer) at its detail path.
urlpatterns = [
    re_path(
        r"^cancelations/reasons/?$", views.CancelationReasonListView.as_view(), name="cancelations-reasons"
    ),
    re_path(
        r"^cancelations/(?P<id>[^/]+)/?$", views.CancelationDetailView.as_view(), name="cancelations-detail"
    ),
    re_path(r"^cancelations/?$", views.CancelationListView.as_view(), name="cancelations-list"),
]
