"""A JSON log formatter (python-json-logger's): one object per line, with the request id.

Wired by settings.LOGGING when LOG_FORMAT=json (and by gunicorn.conf.py for
gunicorn's own logs). A line looks like:

    {"time": "2026-11-23T09:30:00.123Z", "level": "INFO", "logger": "planocore.api",
     "message": "...", "request_id": "4f0c...", "process": 12}

`request_id` comes from RequestIdLogFilter (planocore.api.middleware); for
gunicorn's access lines it is read from the response's X-Request-ID header,
and the request's fields are given under "http". Values passed with
`extra={...}` are added as keys; a request (django.request's `request`) is
written as its method and path, without the query string, which may hold a
`token`. An exception adds "exception" (the traceback).

Secrets never reach a line: `mask_secrets` is the one masking function, run
by `MaskSecretsFilter` on every log path (settings.LOGGING's handler,
`GunicornLogger` — gunicorn.conf.py's `logger_class` — for gunicorn's access
and error lines, and the Celery app's handlers) and once more on each JSON
line. It masks secret params however their name is spelled, anything that
looks like a PlanoCore token, and Authorization credentials.
"""

import contextlib
import functools
import logging
import re
from datetime import UTC, datetime
from urllib.parse import unquote, unquote_plus

from gunicorn.glogging import Logger as _GunicornBaseLogger
from pythonjsonlogger import json as jsonlogger

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()) | {
    "message",
    "asctime",
    "request_id",
}

# gunicorn's access-log atoms (record.args) worth keeping, by the key they get.
_ACCESS_ATOMS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "user_agent": "a",
}


class JsonFormatter(jsonlogger.JsonFormatter):
    """python-json-logger's formatter in PlanoCore's shape, each line masked (mask_secrets)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(process)s")
        kwargs.setdefault(
            "rename_fields",
            {"levelname": "level", "name": "logger", "exc_info": "exception", "stack_info": "stack"},
        )
        kwargs.setdefault("reserved_attrs", sorted(_RECORD_ATTRIBUTES))
        kwargs.setdefault("json_default", str)
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        at = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["time"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)  # level, logger, message, process, extras
        log_data["request_id"] = getattr(record, "request_id", "-")
        if record.exc_text:  # MaskSecretsFilter's masked traceback, when it ran
            log_data["exception"] = record.exc_text
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            log_data.update(self._access_fields(record.args))

    def process_log_record(self, log_data: dict) -> dict:
        return {key: _without_query(value) for key, value in log_data.items()}

    def jsonify_log_record(self, log_data: dict) -> str:
        return mask_secrets(super().jsonify_log_record(log_data))

    @staticmethod
    def _access_fields(atoms: dict) -> dict:
        request_id = atoms.get("{x-request-id}o") or "-"
        http = {
            key: atoms.get(atom)
            for key, atom in _ACCESS_ATOMS.items()
            if atoms.get(atom) not in (None, "-", "")
        }
        for key in ("status", "bytes", "duration_ms"):
            if key in http:
                with contextlib.suppress(TypeError, ValueError):
                    http[key] = int(http[key])
        return {"request_id": request_id, "http": http}


# Params whose values never reach a log line (compared after percent-decoding,
# `+` as a space, trimmed, in any case).
SECRET_PARAMS = frozenset(
    {"token", "password", "rc_password", "access_token", "refresh_token", "client_secret", "authorization"}
)
# What ends a `name=value` pair in a query string, a URL, a form body or a message.
# (A backslash escape too, `\n` or `\"` in a JSON line, which then survives the masking.)
_PAIR_SPLIT = re.compile(r"(\\.|[?&;#\s\"'\\])")
# `"name": "value"` in JSON or a dict's repr.
_QUOTED = re.compile(
    r"(?i)(?P<lead>([\"'])(?:" + "|".join(SECRET_PARAMS) + r")\2\s*:\s*)([\"'])(?P<value>.*?)\3"
)
# What looks like one of our tokens (planocore.accounts.tokens: `pca_`/`pcs_` then
# urlsafe base64), any character possibly percent-encoded; at least 8 characters past
# the prefix, so a token's public 10-character prefix (`pca_Zk3v9Q`) stays readable;
# after a letter or digit it is a word, not a token, unless that ends an escape (`%3D`).
_ENC = "(?:{}|%{:02x})"
_TOKEN_LOOK = re.compile(
    r"(?i)(?:(?<![a-z0-9%])|(?<=%[0-9a-f]{2}))(?P<prefix>"
    + _ENC.format("p", ord("p"))
    + _ENC.format("c", ord("c"))
    + "(?:a|s|%61|%73)"
    + "(?:_|%5f))"
    + r"(?:[a-z0-9_-]|%[0-9a-f]{2}){8,}"
)
# An Authorization header's credentials. (No value class takes a backslash, so a
# JSON line's escaped quotes survive the masking.)
_CREDENTIALS = re.compile(r"(?i)\b(bearer|basic)(\s+|%20|\+)[^\s\"',;&\\]+")


@functools.lru_cache(maxsize=1024)  # the same few names come again and again
def _param_name(name: str) -> str:
    """A param's name as a server reads it: percent-decoded (twice), `+` as a space, trimmed, lowercased."""
    if "%" in name or "+" in name:
        for _ in range(2):
            name = unquote_plus(name)
    return name.strip().lower()


# What ends a name before an `=` going back: _PAIR_SPLIT's delimiters (whitespace
# aside, tested with str.isspace as `\s` does), and another `=`.
_NAME_STOPS = frozenset("?&;#\"'\\=")


def _may_name_a_secret(text: str, lowered: str) -> bool:
    """Whether some `name=` in `text` could read as a secret param's name (never a wrong no).

    A name without `%` or `+` reads as itself lowercased, so `<secret name>=` in `lowered`
    answers for those. For each other `=`, the run of characters before it back to a
    delimiter is read as _mask_params reads a name: the name is that run or, when a
    backslash escape (`\\n`) ends just before, the run less its first character.
    """
    if any(f"{name}=" in lowered for name in SECRET_PARAMS):
        return True
    if "%" not in text and "+" not in text:
        return False
    end = text.find("=")
    while end >= 0:
        start = end
        while start and text[start - 1] not in _NAME_STOPS and not text[start - 1].isspace():
            start -= 1
        run = text[start:end]
        if ("%" in run or "+" in run) and (
            _param_name(run) in SECRET_PARAMS or _param_name(run[1:]) in SECRET_PARAMS
        ):
            return True
        end = text.find("=", end + 1)
    return False


def _mask_params(text: str, lowered: str) -> str:
    """`text` with the value of every secret `name=value` pair replaced by `***` (`lowered`: text.lower()).

    A text in which no `name=` could read as a secret's (_may_name_a_secret) is returned
    unsplit: splitting and walking every word of a long line cost more than the rest of
    the masking. An SQL statement logged at DEBUG (1.3 kB, `args=` and `alias=`) took
    80 us to mask, now 9 us; a 2.7 kB traceback (`%` and `+` in its source lines) 124 us,
    now 32 us (bench/log_masking.py).
    """
    if not _may_name_a_secret(text, lowered):
        return text
    parts = _PAIR_SPLIT.split(text)
    changed = False
    for index in range(0, len(parts), 2):  # the even parts lie between delimiters
        name, equals, _ = parts[index].partition("=")
        if equals and _param_name(name) in SECRET_PARAMS:
            parts[index] = f"{name}=***"
            changed = True
    return "".join(parts) if changed else text


# How many percent-decodings a line is searched through (a caller can encode any number
# of times; each decoding shortens the text, and no real URL needs more than a few).
MAX_DECODINGS = 16
# What one masking pass cannot see through: another level of encoding (`%25`), an encoded
# `=` hiding a pair, encoded quotes hiding `"password": "…"`. Lines without them (most
# access lines, `%20` and `%2F` included) are not decoded at all.
_HIDDEN = re.compile(r"(?i)%(?:25|3d|22|27)")


def mask_secrets(text: str) -> str:
    """`text` with every secret replaced by `***`: the one masking of every log path.

    Masks the values of secret params (`token=`, `t%6Fken=`, `TOKEN=`, `+token=`,
    `"password": "…"`…), anything that looks like one of our tokens wherever it
    appears (`pca_…`, `pcs_…`, percent-encoded or not), and `Bearer`/`Basic`
    credentials. A secret percent-encoded more than once (`%2526token%253Dpca_…`,
    `pca%255F…`) is found by decoding the line again and again: when a decoding
    reveals one, the line is written decoded that far, masked.
    """
    if not text or not isinstance(text, str):
        return text
    masked = _mask_once(text)
    if "%" not in masked or not _HIDDEN.search(masked):
        return masked
    decoded = masked
    for _ in range(MAX_DECODINGS):
        further = unquote(decoded)
        if further == decoded:
            break
        decoded = further
        remasked = _mask_once(decoded)
        if remasked != decoded:
            # Something was hidden under this encoding: write this decoding, masked, and look deeper.
            return mask_secrets(remasked)
    return masked


def _mask_once(text: str) -> str:
    """One masking pass over `text` as it is (mask_secrets decodes and calls it again)."""
    # Each pattern runs only when the text holds what it needs: most lines hold none.
    lowered = text.lower()
    if "=" in text:
        text = _mask_params(text, lowered)
    if ":" in text and any(name in lowered for name in SECRET_PARAMS):
        text = _QUOTED.sub(lambda m: f"{m['lead']}{m[3]}***{m[3]}", text)
    if "pc" in lowered or "%7" in lowered or "%6" in lowered:
        text = _TOKEN_LOOK.sub(lambda m: unquote_plus(m["prefix"]).lower() + "***", text)
    if "bearer" in lowered or "basic" in lowered:
        text = _CREDENTIALS.sub(r"\1 ***", text)
    return text


class MaskSecretsFilter(logging.Filter):
    """Mask secrets in a record before any handler writes it (see mask_secrets).

    settings.LOGGING puts it on the console handler (every logger of the app,
    django.request, django.server), GunicornLogger on gunicorn's loggers, and the
    Celery app on the handlers its processes install. The record's message, its
    `args` (gunicorn's access atoms), its `extra=` values and its exception text
    are masked in place.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            # In place: gunicorn's atoms are a dict subclass that answers "-" for a missing key.
            for key, value in record.args.items():
                if isinstance(value, str):
                    record.args[key] = mask_secrets(value)
        else:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed record is logging's to report
                return True
            record.msg, record.args = mask_secrets(message), None
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, mask_secrets(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True


def add_mask_filter(target) -> None:
    """Add one MaskSecretsFilter to a logger or handler (once, however often it is called)."""
    if not any(isinstance(f, MaskSecretsFilter) for f in target.filters):
        target.addFilter(MaskSecretsFilter())


def _without_query(value):
    """An HttpRequest as "METHOD /path" (its repr shows the query string); anything else as is."""
    if hasattr(value, "get_full_path") and hasattr(value, "path") and hasattr(value, "method"):
        return f"{value.method} {value.path}"
    return value


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger, with secrets masked in its access and error lines (MaskSecretsFilter)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            add_mask_filter(logger)


def logging_config(*, level: str, log_format: str) -> dict:
    """settings.LOGGING: one console handler, `plain` or `json` lines, the request id and
    the masking on every record; any other format stops the start (ImproperlyConfigured)."""
    if log_format not in ("plain", "json"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "planocore.api.middleware.RequestIdLogFilter"},
            # Secrets (tokens, passwords, Authorization) never reach a line: MaskSecretsFilter.
            "mask_secrets": {"()": "planocore.ops.logging.MaskSecretsFilter"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "planocore.ops.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "mask_secrets"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            # The development server's request lines through the same handler (masked), not Django's own.
            "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        },
    }
