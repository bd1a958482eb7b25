"""Signal receivers of the glip app, connected in GlipConfig.ready()."""

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save

from glip.models import GlipMessage
from planocore.outbox.signals import outcome_recorded


def enqueue_new_message(sender, instance: GlipMessage, created: bool, raw: bool = False, **kwargs) -> None:
    """A new GlipMessage, saved from anywhere, puts its post in the outbox."""
    if not created or raw:  # raw: loaddata must not send anything
        return
    from glip.services import glip_message_enqueue_post

    glip_message_enqueue_post(message=instance)


def _message_type_id() -> int:
    return ContentType.objects.get_for_model(GlipMessage).pk  # cached by ContentType's manager


def follow_outcome(sender, request, **kwargs) -> None:
    """Mirror the outcome of a Glip post on its GlipMessage."""
    # Other apps post to Glip too (a Notification is the source of its own posts).
    if request.channel != "glip" or request.content_type_id != _message_type_id():
        return
    from glip.services import glip_message_record_outcome

    glip_message_record_outcome(request=request)


def connect() -> None:
    post_save.connect(enqueue_new_message, sender=GlipMessage, dispatch_uid="glip.enqueue_new_message")
    outcome_recorded.connect(follow_outcome, dispatch_uid="glip.follow_outcome")
