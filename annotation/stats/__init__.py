"""Statistics for human evaluation: agreement, preferences, rater quality, humans vs metrics.

Pure Python/numpy/scipy: no Django. Import the modules directly, e.g.
``from annotation.stats.agreement import agreement_report``.
"""
