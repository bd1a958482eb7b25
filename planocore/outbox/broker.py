"""kombu's Redis transport, publishing through one Redis client per channel.

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
