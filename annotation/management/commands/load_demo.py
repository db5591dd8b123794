"""python manage.py load_demo: demo users, the demo dataset and its background pipeline, once."""
from typing import Any

from django.core.management.base import BaseCommand

from annotation.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo (idempotent): users of each role, the demo dataset, and the demo pipeline's jobs."

    def handle(self, *args: Any, **options: Any) -> None:
        demo_load(say=self.stdout.write)
