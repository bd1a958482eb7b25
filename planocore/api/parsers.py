"""Parsers for the sensitive-params routes: the body is base64 of the JSON params."""

import base64
import binascii
import json

from rest_framework.parsers import BaseParser

from planocore.api import statuses
from planocore.api.exceptions import ApiError


class Base64JSONParser(BaseParser):
    """Decode a base64 body into the JSON object of params (any content type)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            decoded = base64.b64decode(raw.strip(), validate=True)
            params = json.loads(decoded.decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ApiError(
                statuses.INVALID_ENCODED_PARAMS,
                "This route takes sensitive params: send the base64 encoding of the JSON "
                "object of params as the request body.",
            ) from None
        if not isinstance(params, dict) or not params:
            raise ApiError(statuses.NO_PARAMS_DECODED)
        return params
