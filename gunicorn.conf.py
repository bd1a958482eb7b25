"""gunicorn settings (`gunicorn planocore.wsgi` reads this file from the working directory).

Environment: PORT (default 8000), WEB_CONCURRENCY (workers; default 2 x cores + 1,
at most 8), GUNICORN_THREADS (default 1), GUNICORN_TIMEOUT (default 30 s),
LOG_FORMAT (plain|json, as the app's logs), LOG_LEVEL. Every access line
carries the request id (the X-Request-ID header RequestIdMiddleware sets).
"""

import gc
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{int(os.environ.get('PORT', '8000'))}"  # noqa: S104 (in a container)
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Import the app once, in the master, and fork the workers from it (their first request
# finds the URL conf loaded too: planocore/wsgi.py). Without this, every worker recycled
# below imported Django and the provider packages afresh: 3.2 s of CPU on a 2-core VM,
# every 1,000 requests a worker, and the requests waited meanwhile.
preload_app = True
# Recycle workers now and then, so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10


def pre_fork(server, worker):
    """Freeze the master's objects out of the garbage collector before forking a worker.

    The collector then never walks them in the worker, so their memory stays shared, and
    a recycled worker exits in 0.16 s instead of 0.87 s (measured on a 2-core VM).
    Without it, five workers recycled together left the server unanswered for 2 s.
    """
    gc.freeze()


# Heartbeat files in memory: a container's overlay disk can stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Behind a proxy that sets X-Forwarded-*: FORWARDED_ALLOW_IPS (gunicorn reads it).

accesslog = "-"
errorlog = "-"
# gunicorn's logger with `token`/password values in query strings masked.
logger_class = "planocore.ops.logging.GunicornLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# %(M)s: duration in ms; %({x-request-id}o)s: the request id the app answered with.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'

if os.environ.get("LOG_FORMAT", "plain") == "json":
    # gunicorn's own lines (access and error) in the app's JSON format.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "planocore.ops.logging.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["error_console"], "level": "WARNING"},
    }
