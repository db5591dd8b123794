"""python manage.py demo_logins: prints the demo accounts that `load_demo` made."""
from typing import Any

from django.core.management.base import BaseCommand

from annotation.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("  Demo logins (username / password):")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"    {role:<11} {username} / {password}")
