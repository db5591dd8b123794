"""Job, as it was in the selection app (its table already renamed by selection.0003_h4_job_table): state only."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("selection", "0003_h4_job_table"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Job",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(help_text="Which handler runs it, e.g. selection, training.", max_length=32)),
                        ("title", models.CharField(max_length=255)),
                        ("params", models.JSONField(blank=True, default=dict)),
                        ("status", models.CharField(choices=[("queued", "queued"), ("running", "running"), ("succeeded", "succeeded"), ("failed", "failed"), ("cancelled", "cancelled")], db_index=True, default="queued", max_length=16)),
                        ("progress_done", models.BigIntegerField(default=0)),
                        ("progress_total", models.BigIntegerField(blank=True, null=True)),
                        ("stage", models.CharField(blank=True, help_text="What it is doing now.", max_length=255)),
                        ("log", models.TextField(blank=True)),
                        ("error", models.TextField(blank=True)),
                        ("result", models.JSONField(blank=True, null=True)),
                        ("cancel_requested", models.BooleanField(default=False)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("task_result_id", models.CharField(blank=True, max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "jobs_job",
                        "ordering": ["-created_at"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("progress_done__gte", 0)), name="job_progress_nonnegative")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
