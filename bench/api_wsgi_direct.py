"""Bench-only WSGI app (bench/api.py --compare-handoff): each committed outbox id is
published to the broker by itself, `send_external_request.delay(id)` run by
`transaction.on_commit` on the request's thread, instead of by the hand-off thread
(planocore/outbox/handoff.py). Never used in production.
"""

from planocore.wsgi import application  # noqa: I001, F401 (sets Django up first; the app gunicorn serves)
from planocore.outbox import enqueue
from planocore.outbox.tasks import send_external_request

enqueue.hand_off = send_external_request.delay
