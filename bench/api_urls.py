"""Bench-only URL conf: the project's URLs plus one plain Django view that inserts one row.

Used only by bench/api.py (through bench/api_settings.py); never in production.
"""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from planocore.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def plain_insert(request):
    """The baseline: parse the JSON body, INSERT one notification row, answer JSON."""
    from notifications.models import Notification

    data = json.loads(request.body or b"{}")
    # bulk_create: one INSERT and no signals, so nothing but the row is written.
    [row] = Notification.objects.bulk_create(
        [
            Notification(
                key=data.get("key", ""),
                notification_type=data.get("notification_type", ""),
                email_to=data.get("email_to", ""),
                email_subject=data.get("email_subject", ""),
                email_body=data.get("email_body", ""),
            )
        ]
    )
    return JsonResponse({"id": row.pk}, status=200)


urlpatterns = [path("bench/plain-insert", plain_insert), *project_urlpatterns]
