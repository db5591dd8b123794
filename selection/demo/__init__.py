"""Synthetic data for the demo, the tests and the docs (no Django, no download): ``generator`` makes the
six-task demo dataset from the grammar in ``lexicon``; ``edit_pairs`` makes the short word-edit pairs a tiny
model learns quickly (training, tagging and generation tests and benchmarks)."""
from selection.demo.edit_pairs import synthetic_edit_examples
from selection.demo.generator import INSTRUCTIONS, TASKS, make_demo_rows, write_jsonl

__all__ = ["INSTRUCTIONS", "TASKS", "make_demo_rows", "synthetic_edit_examples", "write_jsonl"]
