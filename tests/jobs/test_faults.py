"""Fault tests: SIGKILL a worker during a selection and during a training run.

Real worker processes (``manage.py jobs_worker``) on a database of their own (a SQLite file, or a fresh
PostgreSQL database when DATABASE_URL points at one), with a short lease. After the kill the job's lease
lapses, a second worker's heartbeat re-queues it and that worker finishes it: the selection's picks and the
trained model are identical to a clean run's, and the training resumed from its last checkpoint.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import jsonl_bytes

ROOT = Path(__file__).resolve().parents[2]
LEASE = 4  # seconds: short for the test, long enough that a loaded machine still renews in time
TRAIN = {"num_layers": 1, "d_model": 32, "d_ff": 64, "num_heads": 2, "vocab_size": 300, "batch_size": 8,
         "log_every": 1, "checkpoint_every": 4, "max_steps": 40, "epochs": None, "num_threads": 1, "seed": 3}
SELECT = ["--strategy", "ucs", "--embedder", "tfidf:32", "--clusters", "4", "--seed", "5"]


class Site:
    """manage.py against a database of its own; SQL reads straight from that database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp, self.procs = tmp, []
        self.env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
        self.env.update(DJANGO_SETTINGS_MODULE="deft_site.settings.dev", DEFT_VAR_DIR=str(tmp),
                        DEFT_DATA_DIR=str(tmp / "data"), DEFT_JOB_LEASE_SECONDS=str(LEASE),
                        DEFT_JOB_MAX_ATTEMPTS="5", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                        TOKENIZERS_PARALLELISM="false", TASKS_BACKEND="db", LOG_LEVEL="WARNING")
        self.pg_admin, self.pg_name = None, None
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgres"):
            import psycopg

            self.pg_name = f"h4faults_{uuid.uuid4().hex[:8]}"
            self.pg_admin = psycopg.connect(url, autocommit=True)
            self.pg_admin.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            self.env.pop("DATABASE_URL", None)

    def manage(self, *args: str, timeout: float = 240) -> str:
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        print(f"[{time.monotonic() - t0:6.1f}s] manage.py {' '.join(args)[:60]}", file=sys.stderr)
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        return done.stdout

    def worker(self, tag: str) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{tag}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "manage.py", "jobs_worker", "--queue", "long", "--tag", tag,
                                 "--interval", "0.2"], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.procs.append(proc)
        return proc

    def sql(self, query: str, *params: object) -> list[tuple]:
        if self.pg_name:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
                return list(conn.execute(query.replace("?", "%s"), params).fetchall())
        with sqlite3.connect(self.tmp / "deft.sqlite3", timeout=30) as conn:
            return list(conn.execute(query, params).fetchall())

    def job(self, job_id: int) -> dict:
        row = self.sql("SELECT status, attempts, worker, stage, error FROM jobs_job WHERE id = ?", job_id)[0]
        return dict(zip(("status", "attempts", "worker", "stage", "error"), row))

    def wait(self, what: str, check, timeout: float = 180):  # noqa: ANN001, ANN201
        t0 = time.monotonic()
        try:
            return self._wait(what, check, timeout)
        finally:
            print(f"[{time.monotonic() - t0:6.1f}s] waited for {what}", file=sys.stderr)

    def _wait(self, what: str, check, timeout: float):  # noqa: ANN001, ANN202
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        logs = "\n".join(p.read_text()[-1500:] for p in self.tmp.glob("worker-*.log"))
        pytest.fail(f"timed out waiting for {what}\n{logs}")

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        if self.pg_admin is not None:
            self.pg_admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.pg_admin.close()


@pytest.fixture
def site(tmp_path):
    from selection.demo import make_demo_rows

    site = Site(tmp_path)
    try:
        site.manage("migrate", "--noinput", "-v", "0")
        (tmp_path / "demo.jsonl").write_bytes(jsonl_bytes(make_demo_rows(n_rows=600, seed=2)))
        site.manage("import_dataset", str(tmp_path / "demo.jsonl"), "--name", "faults")
        yield site
    finally:
        site.close()


def _json(value: str | dict) -> dict:
    """A JSON column as SQLite returns it (text) or PostgreSQL's driver does (already decoded)."""
    return value if isinstance(value, dict) else json.loads(value)


def _last_line_job(output: str) -> int:
    return int(output.strip().splitlines()[-1])


def _picks(site: Site, run: str) -> list[tuple]:
    return site.sql(
        "SELECT e.ext_id, p.chosen, p.reason, p.cluster, p.distance FROM selection_selectionpick p "
        "JOIN selection_example e ON e.id = p.example_id JOIN selection_selectionrun r ON r.id = p.run_id "
        "WHERE r.name = ? ORDER BY e.ext_id", run)


def test_sigkilled_workers_jobs_are_requeued_and_finished_by_another_identically(site, tmp_path):
    # A selection, its worker killed while it runs; a second worker finishes it.
    selection = _last_line_job(site.manage("select", "--dataset", "faults", "--name", "faulted", *SELECT, "--enqueue"))
    first = site.worker("first")
    site.wait("the selection to start", lambda: site.job(selection)["status"] == "running")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    killed_at = time.monotonic()
    assert site.job(selection)["status"] == "running"  # what a dead worker leaves behind
    site.worker("second")
    done = site.wait("the selection to finish", lambda: (j := site.job(selection))["status"] not in ("queued", "running") and j)
    assert done["status"] == "succeeded", done
    assert done["attempts"] >= 2 and done["worker"].endswith(":second")
    assert time.monotonic() - killed_at < LEASE + 120

    # A training run, the second worker killed after its first checkpoint; a third worker resumes it.
    sets = [f"--set={k}={json.dumps(v)}" for k, v in TRAIN.items() if k not in ("max_steps", "seed")]
    args = ["--dataset", "faults", "--max-steps", str(TRAIN["max_steps"]), "--seed", str(TRAIN["seed"]), *sets]
    training = _last_line_job(site.manage("train", "--name", "faulted-train", *args, "--enqueue"))
    run_dir = tmp_path / "data" / "runs" / "faulted-train"
    site.wait("a checkpoint", lambda: any((run_dir / "checkpoints").glob("step-*/trainer_state.json")))
    assert site.job(training)["status"] == "running"
    second = next(p for p in site.procs if p.args[-3] == "second")
    second.send_signal(signal.SIGKILL)
    second.wait(timeout=30)
    site.worker("third")
    done = site.wait("the training to finish", lambda: (j := site.job(training))["status"] not in ("queued", "running") and j,
                     timeout=300)
    assert done["status"] == "succeeded", done
    assert done["attempts"] >= 2 and done["worker"].endswith(":third")
    metrics = _json(site.sql("SELECT metrics FROM selection_trainingrun WHERE name = ?", "faulted-train")[0][0])
    assert metrics["resumed_from_step"] >= TRAIN["checkpoint_every"]  # it continued from its checkpoint

    # Clean runs of the same work (inline, in one process) give the same results.
    commands = [["select", "--dataset", "faults", "--name", "clean", *SELECT], ["train", "--name", "clean-train", *args]]
    site.manage("shell", "-c", "from django.core.management import call_command\n"
                + "\n".join(f"call_command(*{c!r})" for c in commands))
    assert _picks(site, "faulted") == _picks(site, "clean") and len(_picks(site, "clean")) > 0
    clean_dir = tmp_path / "data" / "runs" / "clean-train"
    losses = [[(r["step"], r["loss"]) for r in map(json.loads, (d / "loss.jsonl").read_text().splitlines())]
              for d in (run_dir, clean_dir)]
    assert losses[0] == losses[1] and len(losses[0]) == TRAIN["max_steps"]
    assert (run_dir / "final" / "model.safetensors").read_bytes() == (clean_dir / "final" / "model.safetensors").read_bytes()
