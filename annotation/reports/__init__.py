"""The study report, in four steps: ``gather`` (Django reads of a study's judgments, scores and facts, and the
cache), ``build`` (pure assembly over the typed records of ``records``), ``export`` (CSV and self-contained
HTML) and ``display`` / ``prose`` (what the page shows and says). Callers use the names below."""
from annotation.reports.build import METRICS, build_report
from annotation.reports.display import AGREEMENT_LABELS, report_display
from annotation.reports.export import report_csv, report_html
from annotation.reports.gather import ReportInputs, study_meta, study_report, study_report_inputs
from annotation.reports.prose import methods_paragraph, report_headline
from annotation.reports.records import ALL, AUTO_TIE, JudgmentRecord

__all__ = ["AGREEMENT_LABELS", "ALL", "AUTO_TIE", "METRICS", "JudgmentRecord", "ReportInputs", "build_report",
           "methods_paragraph", "report_csv", "report_display", "report_headline", "report_html", "study_meta",
           "study_report", "study_report_inputs"]
