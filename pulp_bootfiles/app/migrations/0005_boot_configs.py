from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("bootfiles", "0004_oci_remote"),
    ]

    operations = [
        migrations.AddField(
            model_name="bootfilesdistribution",
            name="kernel_args",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="bootfilesdistribution",
            name="boot_origin",
            field=models.TextField(blank=True, default=""),
        ),
    ]
