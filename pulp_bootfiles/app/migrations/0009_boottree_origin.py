from django.db import migrations, models

TREEINFO_NAME = ".treeinfo"


def fill_origin(apps, schema_editor):
    """Trees made before the field: pushed ones kept their manifest, tree syncs stored a
    .treeinfo, and the rest came from a registry (or a capsule index that listed such trees)."""
    BootTree = apps.get_model("bootfiles", "BootTree")
    ContentArtifact = apps.get_model("core", "ContentArtifact")
    BootTree.objects.exclude(manifest_digest="").update(origin="push")
    with_treeinfo = ContentArtifact.objects.filter(
        relative_path__endswith="/" + TREEINFO_NAME
    ).values("content_id")
    BootTree.objects.filter(origin="", pk__in=with_treeinfo).update(origin="tree")
    BootTree.objects.filter(origin="").update(origin="registry")


class Migration(migrations.Migration):

    dependencies = [
        ("bootfiles", "0008_boottree_manifest_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="boottree",
            name="origin",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill_origin, migrations.RunPython.noop, elidable=True),
    ]
