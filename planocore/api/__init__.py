"""The API conventions: envelope, statuses, authentication, parsing, base view."""
