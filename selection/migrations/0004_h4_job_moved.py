"""The runs' and score reports' foreign keys now point at jobs.Job (same table: state only), selection.Job
leaves the state, and a training run's status is its job's (the column goes)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("selection", "0003_h4_job_table"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="scorereport", name="job",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="score_reports", to="jobs.job"),
                ),
                migrations.AlterField(
                    model_name="selectionrun", name="job",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="selection_runs", to="jobs.job"),
                ),
                migrations.AlterField(
                    model_name="trainingrun", name="job",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="training_runs", to="jobs.job"),
                ),
                migrations.DeleteModel(name="Job"),
            ],
            database_operations=[],
        ),
        migrations.RemoveField(model_name="trainingrun", name="status"),
    ]
