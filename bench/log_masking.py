"""What masking secrets costs a log line: planocore.ops.logging.mask_secrets and its filter.

    .venv/bin/python bench/log_masking.py

Prints microseconds per call (best of 5 runs) for: an ordinary access line, the
same with a token in its query string, a short value with nothing to mask (most
of gunicorn's access atoms), a logged SQL statement of 1.4 kB (django.db.backends at
DEBUG: `args=`, `alias=` but no secret), a formatted traceback of 20 frames (`=`,
`%` and `+` in its source lines, no secret), the whole filter on one gunicorn access record
(every atom of a real request), and the query-param regex the code used before, for scale.
"""

import logging
import os
import re
import sys
import timeit
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "b" * 40)  # none built in

from gunicorn.config import Config  # noqa: E402

from planocore.ops.logging import GunicornLogger, MaskSecretsFilter, mask_secrets  # noqa: E402

LINE = (
    '10.0.0.7 "GET /api/v1/notifications?view=default&page%5Bsize%5D=50 HTTP/1.1" 200 1234 5ms '
    '"python-requests/2.32" request_id=4f0c9d0e1b2a'
)
TOKEN_LINE = LINE.replace("view=default", "t%6Fken=pca_" + "Zk3v9QxT1bLm7RwYp2Hc8NjD4sGf6UaE0oIiKlMnBqV")
SQL_LINE = (
    '(0.001) SELECT "outbox_externalrequest"."id", "outbox_externalrequest"."status" '
    'FROM "outbox_externalrequest" WHERE ("outbox_externalrequest"."status" = \'queued\' AND '
    '"outbox_externalrequest"."id" IN (1, 2, 3, 4, 5)) ORDER BY "outbox_externalrequest"."created_at" '
    "DESC LIMIT 21; args=('queued', 1, 2, 3, 4, 5); alias=default "
) * 4
# A formatted traceback of 20 frames (the template engine logs one at DEBUG for each variable it
# cannot resolve): `=`, `%` and `+` in its source lines, and no secret.
TRACEBACK = (
    "Traceback (most recent call last):\n"
    + (
        '  File "/app/.venv/lib/python3.11/site-packages/django/template/base.py", line 883, in _resolve\n'
        "    current = current[bit]\n"
        "              ~~~~~~~^^^^^\n"
        '  File "/app/planocore/admin_display.py", line 40, in shortened\n'
        '    message = "%s of %s" % (count, total) + suffix\n'
    )
    * 10
    + "KeyError: 'email_subject'\n"
)
BEFORE = re.compile(r"(?i)((?:^|[?&;])(?:token|password|rc_password|access_token)=)[^&;#\s]*")


def per_call_us(func, number: int = 20000) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6


def access_record() -> logging.LogRecord:
    """One gunicorn access record with the atoms of a real request (headers and environ included)."""
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = GunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/notifications?view=default",
        "PATH_INFO": "/api/v1/notifications",
        "QUERY_STRING": "view=default",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_USER_AGENT": "python-requests/2.32",
        "HTTP_ACCEPT": "*/*",
    }
    response = SimpleNamespace(status="200 OK", headers=[("X-Request-ID", "rid-1")], sent=42)
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer pca_x"), ("ACCEPT", "*/*")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    return logging.LogRecord("gunicorn.access", logging.INFO, "", 0, cfg.access_log_format, (atoms,), None)


def main() -> None:
    record = access_record()
    atoms = dict(record.args)
    masker = MaskSecretsFilter()

    def filter_once():
        record.args = dict(atoms)
        masker.filter(record)

    figures = [
        ("mask_secrets, an access line", per_call_us(lambda: mask_secrets(LINE))),
        ("mask_secrets, an access line with a token", per_call_us(lambda: mask_secrets(TOKEN_LINE))),
        ("mask_secrets, a value with nothing to mask", per_call_us(lambda: mask_secrets("*/*"))),
        (f"mask_secrets, an SQL line of {len(SQL_LINE)} chars", per_call_us(lambda: mask_secrets(SQL_LINE))),
        (
            f"mask_secrets, a traceback of {len(TRACEBACK)} chars",
            per_call_us(lambda: mask_secrets(TRACEBACK), 2000),
        ),
        (f"MaskSecretsFilter, one access record ({len(atoms)} atoms)", per_call_us(filter_once, 2000)),
        ("before: the query-param regex, an access line", per_call_us(lambda: BEFORE.sub(r"\1***", LINE))),
    ]
    for label, micros in figures:
        print(f"{label:<52} {micros:7.1f} us")


if __name__ == "__main__":
    main()
