"""Views, API views and management commands read through selectors and write through services: none of them
touches a model manager (``Model.objects``) or looks a row up with ``get_object_or_404`` itself.

import-linter (pyproject.toml) keeps the packages apart; this test keeps the ORM out of the request and command
layer, which no import contract can see (a view imports its models for their vocabularies, legitimately)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The request and command layer: HTML views, DRF views, and every management command.
LAYER = [
    "selection/views", "annotation/views", "deft_site/views.py", "deft_site/dashboard.py", "deft_site/accounts.py",
    "deft_site/jobs/views.py", "selection/api/views.py", "selection/api/selection_views.py",
    "selection/api/training_views.py", "annotation/api/views.py", "annotation/api/report_views.py",
    "deft_site/jobs/api.py", "selection/management", "annotation/management", "deft_site/jobs/management",
]

# Lookups that only a selector may make (they are reads that decide a 404).
LOOKUP_SHORTCUTS = {"get_object_or_404", "get_list_or_404"}
# QuerySet methods no dict, list or path has: called in the layer, they build a query there (e.g. on a relation
# manager, ``dataset.examples.filter(...)``). Ambiguous names (values, count, exists, all, first) are left out.
QUERYSET_METHODS = {"filter", "exclude", "select_related", "prefetch_related", "order_by", "values_list",
                    "annotate", "aggregate", "iterator", "distinct", "only", "defer", "in_bulk", "update_or_create",
                    "get_or_create", "bulk_create", "bulk_update"}

# "path:line" -> why it must stay. Empty: every direct ORM use in the layer has moved to a selector or a service.
EXCEPTIONS: dict[str, str] = {}


def layer_files() -> list[Path]:
    files: list[Path] = []
    for entry in LAYER:
        path = ROOT / entry
        assert path.exists(), f"{entry} is listed in LAYER but does not exist (moved? update the list)"
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def direct_orm_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) for each ``X.objects``, each call of a 404-lookup shortcut and each QuerySet-only method call
    in ``source``.

    Serializer fields outside the listed modules (``queryset=Model.objects.all()``) are not scanned."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            owner = node.value.id if isinstance(node.value, ast.Name) else ast.unparse(node.value)
            found.append((node.lineno, f"{owner}.objects"))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in LOOKUP_SHORTCUTS:
                found.append((node.lineno, f"{name}(...)"))
            elif isinstance(func, ast.Attribute) and name in QUERYSET_METHODS:
                found.append((node.lineno, f".{name}(...)"))
    return sorted(found)


def test_the_scanner_finds_what_it_forbids():
    """The check itself can fail: each forbidden shape is found, and selector calls are not."""
    source = (
        "from django.shortcuts import get_object_or_404\n"
        "from django.shortcuts import get_list_or_404 as g\n"
        "def view(request, pk):\n"
        "    a = Study.objects.filter(pk=pk).first()\n"
        "    b = get_object_or_404(Job, pk=pk)\n"
        "    c = shortcuts.get_list_or_404(Job.objects.all())\n"
        "    d = selectors.study_named('x')\n"
        "    e = apps.get_model('annotation', 'Study').objects.count()\n"
        "    f = request.user.studies.order_by('name')\n"
        "    g = {'a': 1}.values(), sorted(d.items()), filter(None, [d])\n"
    )
    found = direct_orm_uses(source)
    assert [line for line, _ in found] == [4, 4, 5, 6, 6, 8, 9]
    assert (4, "Study.objects") in found and (5, "get_object_or_404(...)") in found
    assert (9, ".order_by(...)") in found
    assert not any(line in (7, 10) for line, _ in found)


def test_the_layer_lists_real_modules_with_views_and_commands():
    files = layer_files()
    names = {p.relative_to(ROOT).as_posix() for p in files}
    assert "annotation/views/rater.py" in names and "selection/management/commands/train.py" in names
    assert len(files) > 30


@pytest.mark.parametrize("path", layer_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_views_api_and_commands_use_no_model_manager_directly(path: Path):
    rel = path.relative_to(ROOT).as_posix()
    uses = [(line, what) for line, what in direct_orm_uses(path.read_text(encoding="utf-8"))
            if f"{rel}:{line}" not in EXCEPTIONS]
    assert not uses, (f"{rel} reads or writes the ORM directly: "
                      + ", ".join(f"line {line}: {what}" for line, what in uses)
                      + ". Move the read into the app's selectors module (named for what it returns) or the write "
                        "into a service, and call that.")


def test_every_exception_is_still_needed_and_says_why():
    for key, reason in EXCEPTIONS.items():
        rel, line = key.rsplit(":", 1)
        assert reason.strip(), f"{key}: say why it must stay"
        assert int(line) in [n for n, _ in direct_orm_uses((ROOT / rel).read_text(encoding="utf-8"))], (
            f"{key} is listed as an exception but has no direct ORM use any more: remove it")
