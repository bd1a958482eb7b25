"""Signals of the outbox.

`outcome_recorded` is sent after each attempt's outcome is saved, inside the
same transaction, with `request` (the ExternalRequest, its status already
updated). Apps whose records caused the request (a GlipMessage, a Notification)
connect to it to update their own status from `request.source`.
"""

from django.dispatch import Signal

outcome_recorded = Signal()
