from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from helpdesk.defaults import install

    install(apps.get_model("helpdesk", "Queue"), apps.get_model("helpdesk", "RoutingRule"))


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
