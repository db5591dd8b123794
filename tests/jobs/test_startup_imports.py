"""Start-up stays light: manage.py and an idle worker import no torch, transformers, sentence-transformers or
scikit-learn (they load when a command or job needs them). Run in a fresh interpreter, as a user would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["torch", "transformers", "sentence_transformers", "sklearn"]
PROBE = """
import json, sys
sys.argv = ["manage.py", "check"]
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deft_site.settings.dev")
from django.core.management import call_command, execute_from_command_line
heavy = {heavy!r}
seen = {{}}
execute_from_command_line(["manage.py", "check", "-v", "0"])
seen["check"] = [m for m in heavy if m in sys.modules]
call_command("migrate", verbosity=0)
call_command("jobs", "--json", stdout=open(os.devnull, "w"))
seen["jobs"] = [m for m in heavy if m in sys.modules]
call_command("jobs_worker", queue="interactive,long", batch=True, verbosity=0)
seen["worker"] = [m for m in heavy if m in sys.modules]
print(json.dumps(seen))
"""


def test_manage_py_and_an_idle_worker_import_no_heavy_library(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DEFT_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="deft_site.settings.dev")
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"check": [], "jobs": [], "worker": []}, seen
