"""A refusal to manage a study is logged (the security log is where an operator sees who tried)."""
from __future__ import annotations

import logging

import pytest


@pytest.mark.django_db
def test_a_study_refused_to_a_non_member_is_logged(study_factory, django_user_model, caplog):
    from annotation import blinding
    from annotation.services import NotAllowed

    study = study_factory(name="logged")
    stranger = django_user_model.objects.create_user("stranger")
    with caplog.at_level(logging.WARNING, logger="annotation.blinding"), pytest.raises(NotAllowed):
        blinding.require_manager(stranger, study, "export")
    assert any("stranger" in r.getMessage() and "logged" in r.getMessage() for r in caplog.records)
