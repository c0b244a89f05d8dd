from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("bootfiles", "0005_boot_configs"),
    ]

    operations = [
        migrations.AddField(
            model_name="boottree",
            name="boot_iso_bootloaders",
            field=models.JSONField(default=None, null=True),
        ),
    ]
