from django.db import migrations


class Migration(migrations.Migration):
    """Job names and worker calibration were added side by side; neither depends on the other."""

    dependencies = [
        ("jobs", "0008_job_name"),
        ("jobs", "0008_worker_calibration"),
    ]

    operations = []
