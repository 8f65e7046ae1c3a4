"""The 緊急 lane (queue slug "urgent") is open to leader-level peers; admins edit the gate as data."""

from django.db import migrations


def open_urgent_lane_to_leaders(apps, schema_editor):
    QueueGate = apps.get_model("peer", "QueueGate")
    QueueGate.objects.get_or_create(queue_slug="urgent", defaults={"min_training_level": "leader"})


def remove_gate(apps, schema_editor):
    apps.get_model("peer", "QueueGate").objects.filter(queue_slug="urgent").delete()


class Migration(migrations.Migration):
    dependencies = [("peer", "0002_responder_care")]

    operations = [migrations.RunPython(open_urgent_lane_to_leaders, remove_gate)]
