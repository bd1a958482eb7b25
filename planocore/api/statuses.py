"""Every status slug the API answers with, its HTTP code and its documentation.

The first block is the seeds' contract (names, codes and texts kept as the seeds
give them). The second block holds PlanoCore's own slugs for cases the seeds do
not cover; they follow the same style. A route's page lists the ones it can answer
(`planocore.api.endpoints.route_statuses`); docs/api.md says why each addition exists.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    slug: str
    code: int
    description: str
    uncommon: bool = False


def _status(slug: str, code: int, description: str, *, uncommon: bool = False) -> Status:
    return Status(slug=slug, code=code, description=description, uncommon=uncommon)


ACTION_SUCCESSFUL = _status(
    "action-successful",
    200,
    "This status indicates that the request was successful. If the request returns data, "
    "it can be found in the data key.",
)
INVALID_TOKEN = _status(
    "invalid-token", 401, "This status is returned when the authentication token passed is invalid."
)
SESSION_EXPIRED = _status(
    "session-expired",
    401,
    "This status is returned a session is older than seven days or hasn't been used in 72 "
    "hours. The user will need to reauthenticate. We allow our users to save a remember_me "
    "preference which will make there sessions last indefinitely.",
)
CLIENT_REQUIRED = _status(
    "client-required",
    401,
    "This status is returned when the user making the request doesn't have a client, employee "
    "or liaison record. This means that they don't have any roles or permissions. Because we "
    "only allow our clients to register as a client, the user should be redirected to the "
    "PlanoAuth clients registration page where they can use the `/api/v1/users/client_register` "
    "API to register as a client. Even though the request will not be successful, this status "
    "will still return a `session` object because a session token is needed to register as a user.",
)
MISSING_PARAM = _status(
    "missing-param", 400, "This status is returned when a required param was not passed with the request."
)
INVALID_PARAM = _status(
    "invalid-param",
    400,
    "This status is returned when a param was invalid when passed. For example, passing an id "
    "that doesn't exist or passing an invalid email address.",
)
APPLICATION_CRASH = _status(
    "application-crash",
    500,
    "This status is returned when there is an internal server error. Please try again later.",
)
MANDRILL_EMAIL_FAILED = _status(
    "mandrill-email-failed",
    500,
    "This status is returned when there was an issue using Mandrill to send an email. Any time "
    "this response is returned, there will be a notification in the production notifications "
    "tab so the dev team will be aware of the failure.",
)
INVALID_CONTENT_TYPE = _status(
    "invalid-content-type",
    400,
    "This status is returned if the request was made with the incorrect content-type so the "
    "request params could not be read.",
)
ROUTE_NON_EXISTENT = _status("route-non-existent", 500, "Response returned when HTTP route does not exist.")
NO_PARAMS_DECODED = _status(
    "no-params-decoded",
    400,
    "This status is returned the request body was decoded, but no params where found.",
    uncommon=True,
)
INVALID_ENCODED_PARAMS = _status(
    "invalid-encoded-params",
    400,
    "This status is returned when the request body could not be decoded properly. This "
    "generally means that you are requesting a sensitive_params API and your request body was "
    "not base64 encoded.",
    uncommon=True,
)
ROUTE_NOT_FOUND = _status(
    "route-not-found",
    404,
    "This status is returned when the route record being requested hasn't been deployed yet.",
    uncommon=True,
)
IDENTIFY_REQUEST_ERROR = _status(
    "identify-request-error",
    500,
    "This status is returned when there is an internal server error before the route could be "
    "identified. Please try again later.",
    uncommon=True,
)
SERVICE_NOT_FOUND = _status(
    "service-not-found",
    404,
    "This status is returned when the route's API service record being requested hasn't been deployed yet.",
    uncommon=True,
)

# PlanoCore's own slugs (documented on every route page).
PERMISSION_DENIED = _status(
    "permission-denied",
    403,
    "This status is returned when the token or the role selected by `application` lacks the "
    "permission the route needs.",
)
METHOD_NOT_ALLOWED = _status(
    "method-not-allowed",
    405,
    "This status is returned when the route exists but not for the HTTP method used.",
    uncommon=True,
)
TOO_MANY_REQUESTS = _status(
    "too-many-requests",
    429,
    "This status is returned after too many failed token or sign-in attempts from one address, "
    "too many notifications from one client, or too many refused RingCentral password logins "
    "for one rc_extension; "
    "wait the number of seconds in the Retry-After header.",
    uncommon=True,
)
REQUEST_TOO_LARGE = _status(
    "request-too-large",
    413,
    "This status is returned when the request body is larger than the route takes (its "
    "Content-Length, or the bytes of a chunked body); nothing of it was read. The message "
    "gives the limit in bytes.",
    uncommon=True,
)
DATABASE_UNAVAILABLE = _status(
    "database-unavailable",
    503,
    "This status is returned while PlanoCore's database cannot be reached; nothing was "
    "stored. Try again after the number of seconds in the Retry-After header.",
    uncommon=True,
)
PROVIDER_FAILED = _status(
    "provider-failed",
    502,
    "This status is returned when `execute` asked for an immediate send and the provider "
    "(RingCentral, Sunshine Conversations) failed. The record is saved; `data` holds it and "
    "the failure, and it is retried when its priority is 5 or more.",
    uncommon=True,
)
PROVIDER_UNAVAILABLE = _status(
    "provider-unavailable",
    503,
    "This status is returned when a provider that must answer inside the request timed out, "
    "failed or rate-limited us. Nothing was stored; try again after Retry-After.",
    uncommon=True,
)

COMMON = [
    ACTION_SUCCESSFUL,
    INVALID_TOKEN,
    SESSION_EXPIRED,
    CLIENT_REQUIRED,
    MISSING_PARAM,
    INVALID_PARAM,
    APPLICATION_CRASH,
    MANDRILL_EMAIL_FAILED,
    INVALID_CONTENT_TYPE,
    ROUTE_NON_EXISTENT,
    PERMISSION_DENIED,
]
UNCOMMON = [
    NO_PARAMS_DECODED,
    INVALID_ENCODED_PARAMS,
    ROUTE_NOT_FOUND,
    IDENTIFY_REQUEST_ERROR,
    SERVICE_NOT_FOUND,
    METHOD_NOT_ALLOWED,
    TOO_MANY_REQUESTS,
    REQUEST_TOO_LARGE,
    PROVIDER_FAILED,
    PROVIDER_UNAVAILABLE,
    DATABASE_UNAVAILABLE,
]
ALL = {status.slug: status for status in COMMON + UNCOMMON}
