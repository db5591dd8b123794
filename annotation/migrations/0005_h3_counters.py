"""Denormalised counters for the annotator's requests (bench/RESULTS.md, "Annotators under load"): each item's
taken seats and each rater's left/right tallies per pair of systems, filled from the slots that exist."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_counters(apps, schema_editor) -> None:  # noqa: ANN001
    Item = apps.get_model("annotation", "Item")
    Slot = apps.get_model("annotation", "Slot")
    SideTally = apps.get_model("annotation", "SideTally")
    taken: dict[int, int] = {}
    tallies: dict[tuple, list[int]] = {}
    for item_id, seat, status, left_is_a, rater_id, study_id, kind, a, b in Slot.objects.values_list(
            "item_id", "seat", "status", "left_is_a", "rater_id", "item__study_id", "item__kind",
            "item__system_a_id", "item__system_b_id").iterator(chunk_size=5000):
        if seat is not None:
            taken[item_id] = taken.get(item_id, 0) + 1
        if status in ("reserved", "done"):
            pair = f"real:{a}:{b}" if kind == "real" else kind
            tally = tallies.setdefault((study_id, rater_id, pair), [0, 0])
            tally[0] += bool(left_is_a)
            tally[1] += 1
    for item_id, n in taken.items():
        Item.objects.filter(pk=item_id).update(seats_taken=n)
    SideTally.objects.bulk_create([SideTally(study_id=s, rater_id=r, pair=p, a_left=a, n=n)
                                   for (s, r, p), (a, n) in tallies.items()], batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('annotation', '0004_h5_vocabularies'),
        ('selection', '0004_h4_job_moved'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SideTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pair', models.CharField(max_length=40)),
                ('a_left', models.PositiveIntegerField(default=0)),
                ('n', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='item',
            name='seats_taken',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['study', 'kind', 'seats_taken'], name='item_open_seats'),
        ),
        migrations.AddIndex(
            model_name='slot',
            index=models.Index(condition=models.Q(('status', 'reserved')), fields=['reserved_until'], name='slot_reserved_until'),
        ),
        migrations.AddField(
            model_name='sidetally',
            name='rater',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='sidetally',
            name='study',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotation.study'),
        ),
        migrations.AddIndex(
            model_name='sidetally',
            index=models.Index(fields=['study', 'pair'], name='annotation__study_i_9614b0_idx'),
        ),
        migrations.AddConstraint(
            model_name='sidetally',
            constraint=models.UniqueConstraint(fields=('study', 'rater', 'pair'), name='sidetally_unique'),
        ),
        migrations.AddConstraint(
            model_name='sidetally',
            constraint=models.CheckConstraint(condition=models.Q(('a_left__lte', models.F('n'))), name='sidetally_a_left_le_n'),
        ),
        migrations.RunPython(fill_counters, migrations.RunPython.noop),
    ]
