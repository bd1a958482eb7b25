"""Masking finds a token however many times it is percent-encoded (issue 25.7): a property test.

Hypothesis builds lines that carry a token in a query param, a path, a URL inside
another param or the admin login's `next`, with the token, its param, or the whole
URL percent-encoded zero to four times (whole or character by character); each
line goes through `mask_secrets` and through the plain and JSON formatters with
the masking filter. No form of the token's body may be left in any of them.
"""

import json
import logging
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planocore.ops.logging import JsonFormatter, MaskSecretsFilter, mask_secrets

BODY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def encode(text: str, times: int, char_by_char: bool) -> str:
    """`text` percent-encoded `times` times: whole (quote, nothing safe) or every character."""
    for _ in range(times):
        text = "".join(f"%{ord(c):02X}" for c in text) if char_by_char else quote(text, safe="")
    return text


@st.composite
def lines(draw):
    prefix = draw(st.sampled_from(["pca_", "pcs_"]))
    body = draw(st.text(BODY_CHARS, min_size=20, max_size=43))
    token = prefix + body
    times = draw(st.integers(0, 4))
    char_by_char = draw(st.booleans())
    what = draw(st.sampled_from(["token", "pair", "url"]))
    name = draw(st.sampled_from(["token", "TOKEN", "access_token", "q", "a"]))
    if what == "token":
        carried = f"{name}={encode(token, times, char_by_char)}"
    elif what == "pair":
        carried = "a=" + encode(f"&{name}={token}", times, char_by_char)
    else:
        carried = "next=" + encode(f"/admin/?{name}= {token}", times, char_by_char)
    where = draw(st.sampled_from(["query", "path", "message"]))
    if where == "query":
        line = f"GET /api/v1/notifications?view=default&{carried} HTTP/1.1"
    elif where == "path":
        line = f"GET /api/v1/{encode(token, times, char_by_char)}/x?view=default HTTP/1.1"
    else:
        line = f"Calling view=default with {carried}"
    return line, body


def _formatted(line: str, formatter: logging.Formatter) -> str:
    record = logging.LogRecord("planocore.api", logging.WARNING, __file__, 1, "%s", (line,), None)
    MaskSecretsFilter().filter(record)
    return formatter.format(record)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines())
def test_no_encoding_of_a_token_reaches_a_log_line(case):
    line, body = case
    plain = _formatted(line, logging.Formatter("%(levelname)s %(name)s %(message)s"))
    as_json = _formatted(line, JsonFormatter())
    for out in (mask_secrets(line), plain, json.loads(as_json)["message"], as_json):
        assert body not in out, (line, out)
        assert body[:12] not in out, (line, out)  # nor a long part of it
        assert "view=default" in out  # the rest of the line is kept


def test_the_issues_spellings_are_masked():
    token = "pca_Zk3v9QxT1bLm7RwYp2Hc8NjD4sGf6UaE0oIiKlMnBqV"
    body = token[4:]
    for line in (
        f"GET /x?a=%2526token%253D{token}",
        f"GET /x?token=pca%255F{body}",
        f"GET /admin/login/?next=/admin/%3Ftoken%3D%2520{token}",
        f"GET /admin/login/?next=/admin/%253Ftoken%253D%252520{token}",
    ):
        assert body not in mask_secrets(line), line


def _split_and_walk(text: str) -> str:
    """_mask_params without its pre-check: every part's name read (the reference)."""
    from planocore.ops.logging import _PAIR_SPLIT, _param_name
    from planocore.ops.logging import SECRET_PARAMS as secret

    parts = _PAIR_SPLIT.split(text)
    for index in range(0, len(parts), 2):
        name, equals, _ = parts[index].partition("=")
        if equals and _param_name(name) in secret:
            parts[index] = f"{name}=***"
    return "".join(parts)


# Pieces of names, encodings, delimiters and escapes: what could make a name read as a secret's.
PIECES = st.sampled_from(
    ["token", "TOKEN", "tok", "en", "t", "o", "k", "e", "n", "\u212a", "access_", "password", "a", "c",
     "%74", "%6F", "%6f", "%25", "%2B", "%20", "%3D", "%", "+", "2", "4", "7", "F",
     "=", "\\", "\\n", '"', "'", "&", "?", ";", "#", " ", "\t", "\u00a0", "x", "secret"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=14).map("".join))
def test_the_pre_check_never_skips_a_pair_the_split_would_mask(text):
    from planocore.ops.logging import _mask_params

    assert _mask_params(text, text.lower()) == _split_and_walk(text), text


def test_names_only_an_escape_or_an_encoding_makes_secret_are_masked():
    from planocore.ops.logging import _mask_params

    for text, masked in [
        ('{"msg": "a\\ntoken=pca_x1"}', '{"msg": "a\\ntoken=***"}'),  # a JSON line's `\n` before the name
        ("a \\%74oken=v", "a \\%74oken=v"),  # the escape takes the `%`: the name reads `74oken`
        ("a t%6Fken=v", "a t%6Fken=***"),
        ("a +token=v", "a +token=***"),
        ("ab t%6Fken=v", "ab t%6Fken=***"),  # the name starts after the space, not a character later
        ("a token%20=v", "a token%20=***"),
        ("a %2574oken=v", "a %2574oken=***"),  # twice encoded
        ("x = a + b; y = '%s' % c", "x = a + b; y = '%s' % c"),  # a traceback's source line
    ]:
        assert _mask_params(text, text.lower()) == masked, text
