"""Token generation and hashing.

Tokens are 256-bit random strings with a short prefix saying what they are
(`pca_` application token, `pcs_` session token), so a lookup goes to one table
and an unknown prefix costs no query at all. Only the SHA-256 of a token is
stored: tokens are random, so a fast hash is enough and a lookup is one indexed
equality query.
"""

import hashlib
import secrets

APPLICATION_PREFIX = "pca_"
SESSION_PREFIX = "pcs_"


def make_token(prefix: str) -> str:
    """Return a new random token with the given prefix."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 digest that is stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
