"""Pages of the annotation app: researchers' study pages (researcher.py) and annotators' work (rater.py)."""
