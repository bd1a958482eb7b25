"""The broker: the outbox's one publish, and kombu's Redis transport with one client per channel.

`publish(task, *args)` sends one task message the way `task.delay(*args)` does,
through the two lower calls Celery's own `send_task` makes
(`app.amqp.create_task_message`, then `app.amqp.send_task_message` on a producer
from the app's pool), without what the outbox's messages never use: routing, the
check of the arguments against the task's signature, the parent-task lookup,
the AsyncResult, and, on Redis, the queue's declaration, for which kombu binds a
fresh copy of the queue to the channel on every publish. kombu's Redis transport
delivers a message by pushing it on the list named by the queue, and each worker
declares its queues when it starts; on any other broker the queue is declared as
Celery would. With no broker (tasks eager) `delay` runs the task right here.
bench/api_instructions.py (callgrind, PostgreSQL, Redis, 60 requests): 8.79 M
instructions a POST /api/v1/notifications against 9.75 M through `delay`
(declaring the queue on every publish: 0.24 M more).

kombu's Redis channel builds a new `redis.Redis` for every message it publishes
(`Channel.conn_or_acquire` → `_create_client`), and redis-py's constructor fills
its table of response callbacks each time: 546 of the 7,075 Python calls of a
POST /api/v1/notifications (bench/api_profile.py's request, counted with a
`sys.setprofile` hook), for a client that is thrown away. This channel keeps the
first one; a `redis.Redis` is safe to share between threads (each command takes
a connection from the channel's pool). Everything else is kombu's.

settings.CELERY_BROKER_TRANSPORT names it when CELERY_BROKER_URL is a `redis://`
URL. With it (and the API's route check no longer resolving the URL a second
time), bench/api_instructions.py counted 9.37 M instructions a request against
10.22 M before (callgrind, PostgreSQL, Redis, 60 requests).
"""

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis
from kombu.utils.uuid import uuid


class Channel(kombu_redis.Channel):
    _sync_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        if self._sync_client is None:
            self._sync_client = self._create_client()
        yield self._sync_client


class Transport(kombu_redis.Transport):
    Channel = Channel


def publish(task, *args) -> None:
    """Send `task(*args)` to the broker as one message (no broker: run it here), as `task.delay` would."""
    app = task.app
    if app.conf.task_always_eager:
        task.delay(*args)
        return
    name = task.name
    message = app.amqp.create_task_message(
        uuid(), name, args, {}, argsrepr=repr(args), kwargsrepr="{}", ignore_result=task.ignore_result
    )
    with app.producer_pool.acquire(block=True) as producer:
        declare = [] if isinstance(producer.channel, Channel) else None
        app.amqp.send_task_message(
            producer, name, message, queue=app.conf.task_default_queue, declare=declare
        )
