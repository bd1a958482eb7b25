"""Parsers of request bodies, and the one JSON reader every caller-supplied body goes through.

`json_loads` bounds how deeply arrays and objects may nest (API_MAX_JSON_DEPTH):
a deeper document, even one of a few bytes, would otherwise exhaust Python's
recursion limit while parsing and crash the request. It also refuses NaN and
Infinity, which no JSON column stores, and a lone UTF-16 surrogate (`"\ud800"`),
which is not text: no database stores it and no answer that repeats it can be
encoded.
"""

import base64
import binascii
import codecs
import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser

from planocore.api import statuses
from planocore.api.exceptions import ApiError


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than API_MAX_JSON_DEPTH."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number.")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
# What could give a parsed string a lone surrogate: a `\uD800`-`\uDFFF` escape (a valid
# pair of them decodes to one character), or a surrogate already in a text given as str
# (bytes are decoded strictly, which refuses one). Only a body that holds one has its
# strings searched (_check); the others pay a substring search, and a non-ASCII body
# one scan for a surrogate character (bench/json_parse.py).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _may_hold_a_surrogate(text: str) -> bool:
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        return True
    return not text.isascii() and _SURROGATE.search(text) is not None


def _check_string(text: str, *, refuse_nul: bool, refuse_surrogates: bool) -> None:
    if refuse_nul and "\x00" in text:
        raise ValueError("a string holds a NUL character (\\u0000).")
    if refuse_surrogates and _SURROGATE.search(text):
        raise ValueError(
            "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text; "
            "send the character itself, or both halves of its pair."
        )


def _check(value: Any, limit: int, *, refuse_nul: bool, refuse_surrogates: bool) -> None:
    """Raise JSONTooDeep past `limit` levels; ValueError, when asked, on a key or string
    holding a NUL or a lone surrogate (iteratively: one walk for all three)."""
    strings = refuse_nul or refuse_surrogates
    if type(value) is str:
        if strings:
            _check_string(value, refuse_nul=refuse_nul, refuse_surrogates=refuse_surrogates)
        return
    if type(value) is not dict and type(value) is not list:
        return
    stack = [(value, 1)]
    push, pop = stack.append, stack.pop
    while stack:
        item, depth = pop()
        if depth > limit:
            raise JSONTooDeep(f"arrays and objects are nested more than {limit} levels deep.")
        if type(item) is dict:
            if strings:
                for key in item:
                    _check_string(key, refuse_nul=refuse_nul, refuse_surrogates=refuse_surrogates)
            item = item.values()
        for child in item:
            kind = type(child)
            if kind is dict or kind is list:
                push((child, depth + 1))
            elif strings and kind is str:
                _check_string(child, refuse_nul=refuse_nul, refuse_surrogates=refuse_surrogates)


def json_loads(text: str | bytes, *, max_depth: int | None = None, refuse_nul: bool = False) -> Any:
    """Parse caller-supplied JSON; ValueError (JSONTooDeep when too deep) if it cannot be taken.

    `refuse_nul` also refuses a NUL in any key or string (PostgreSQL stores none):
    for bodies whose values reach the database unchecked, such as webhooks'.
    """
    limit = max_depth or settings.API_MAX_JSON_DEPTH
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text))
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise JSONTooDeep(f"arrays and objects are nested more than {limit} levels deep.") from None
    _check(value, limit, refuse_nul=refuse_nul, refuse_surrogates=_may_hold_a_surrogate(text))
    return value


def too_deep_message(exc: JSONTooDeep) -> str:
    return f"The JSON body could not be read: {exc} Send at most {settings.API_MAX_JSON_DEPTH} levels."


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser reading through json_loads (bounded depth, no NaN)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_loads(codecs.getreader(encoding)(stream).read())
        except JSONTooDeep as exc:
            raise ApiError(statuses.INVALID_ENCODED_PARAMS, too_deep_message(exc)) from None
        except ValueError as exc:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from None


class Base64JSONParser(BaseParser):
    """Decode a base64 body into the JSON object of params (any content type)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            decoded = base64.b64decode(raw.strip(), validate=True)
            params = json_loads(decoded.decode("utf-8"))
        except JSONTooDeep as exc:
            raise ApiError(statuses.INVALID_ENCODED_PARAMS, too_deep_message(exc)) from None
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ApiError(
                statuses.INVALID_ENCODED_PARAMS,
                "This route takes sensitive params: send the base64 encoding of the JSON "
                "object of params as the request body.",
            ) from None
        if not isinstance(params, dict) or not params:
            raise ApiError(statuses.NO_PARAMS_DECODED)
        return params


class FieldsOnlyMultiPartParser(MultiPartParser):
    """multipart/form-data read for its fields; a file part is refused (no route takes files).

    The body is already bounded (API_MAX_BODY_BYTES) before it is parsed.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if parsed.files:
            names = ", ".join(f"`{name}`" for name in parsed.files)
            raise ApiError(
                statuses.INVALID_CONTENT_TYPE,
                f"No route takes files, and this body holds a file part ({names}); send the params as "
                "JSON, form fields or multipart fields without a file name.",
            )
        return parsed
