"""Signals of the messaging app: what other apps may hear from Sunshine Conversations' webhook."""

from django.dispatch import Signal

# A user wrote in a conversation (a `conversation:message` event whose author is a user).
# Sent with `message`: a MessageFromUser. A receiver returns True when it stored the
# message, False when it had it already (a replay).
conversation_message = Signal()
