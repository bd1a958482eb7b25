"""The extensions' move from the glip app to the RingCentral provider's app, on a database with rows."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from glip.models import GlipMessage, GlipTeam
from planocore.providers.ringcentral.models import RingCentralExtension

BEFORE = [("glip", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_rows_keep_their_ids_credentials_times_and_references():
    ContentType.objects.clear_cache()
    content_type = ContentType.objects.get_for_model(RingCentralExtension)
    permissions = set(Permission.objects.filter(content_type=content_type).values_list("pk", flat=True))
    old = _migrate(BEFORE)
    OldExtension = old.get_model("glip", "RingCentralExtension")
    assert ContentType.objects.get(pk=content_type.pk).app_label == "glip"
    ext = OldExtension.objects.create(
        pk=41, extension_number="101", jwt="jwt-101", password="pw", is_default=True
    )
    OldExtension.objects.filter(pk=41).update(created_at="2026-01-02T03:04:05Z")
    team = old.get_model("glip", "GlipTeam").objects.create(name="Ops", chat_id="c1", source_extension=ext)
    message = old.get_model("glip", "GlipMessage").objects.create(team=team, text="hi", extension=ext)

    _migrate(_latest())

    moved = RingCentralExtension.objects.get(pk=41)
    assert (moved.extension_number, moved.jwt, moved.password, moved.is_default) == (
        "101",
        "jwt-101",
        "pw",
        True,
    )
    assert moved.created_at.isoformat().startswith("2026-01-02T03:04:05")
    assert GlipTeam.objects.get(pk=team.pk).source_extension == moved
    assert GlipMessage.objects.get(pk=message.pk).extension == moved
    assert RingCentralExtension.objects.create(extension_number="102").pk > 41  # the sequence moved on
    ContentType.objects.clear_cache()
    content_type = ContentType.objects.get(pk=content_type.pk)
    assert (content_type.app_label, content_type.model) == ("ringcentral", "ringcentralextension")
    assert (
        set(Permission.objects.filter(content_type=content_type).values_list("pk", flat=True)) == permissions
    )
    assert permissions

    # And back: the rows return to the glip app's table.
    old = _migrate(BEFORE)
    assert old.get_model("glip", "RingCentralExtension").objects.get(pk=41).jwt == "jwt-101"
    assert old.get_model("glip", "GlipMessage").objects.get(pk=message.pk).extension_id == 41
    _migrate(_latest())
    assert RingCentralExtension.objects.filter(pk__in=[41]).count() == 1
    ContentType.objects.clear_cache()
