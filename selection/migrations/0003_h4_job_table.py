"""Jobs move to their own app (deft_site.jobs, label "jobs"): first the table takes its new name, jobs_job.

Then jobs.0001_initial takes the model over in the migration state (no database change), and
selection.0004_h4_job_moved points the foreign keys at jobs.Job and drops selection.Job from the state.
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("selection", "0002_semdedup_strategy"),
    ]

    operations = [
        migrations.AlterModelTable(name="job", table="jobs_job"),
    ]
