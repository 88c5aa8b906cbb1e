"""Sections share results through typed fields, not an open dictionary."""

import dataclasses

import pytest

from metaloss._src.study.report.document import Report, SharedResults


def test_report_state_is_typed_and_starts_empty(tmp_path):
    rep = Report(tmp_path, quick=True)
    assert rep.state == SharedResults()
    assert rep.state.landscape is None and rep.state.gradient_runs == {} == rep.state.es_finals
    assert [f.name for f in dataclasses.fields(SharedResults)] == [
        "landscape", "gradient_runs", "es_finals"]
    with pytest.raises(AttributeError):
        rep.state.lanscape = 1  # a misspelt field is refused, not stored
    assert Report(tmp_path, quick=True).state.gradient_runs is not rep.state.gradient_runs
