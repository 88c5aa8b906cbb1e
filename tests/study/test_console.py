"""The console of the long commands: stage lines, counts, quiet, errors."""

import io

import pytest

from metaloss.study.console import Console, spread


def test_stages_print_one_line_each_with_counts_when_not_a_terminal():
    out = io.StringIO()
    con = Console(stream=out)
    assert not con.live  # a StringIO is not a terminal: lines only, no bars
    con.part_begins(1, 3, "The inner problem")
    with con.stage("estimators", total=3, unit="estimators") as st:
        for name in ("a", "b", "c"):
            st.advance(1, name)
    with con.stage("figures"):
        pass
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/3] The inner problem (at ")
    assert lines[1].startswith("  estimators: 3/3 estimators, ") and lines[1].endswith(" s")
    assert lines[2].startswith("  figures: ") and "/" not in lines[2]
    assert "\r" not in out.getvalue()


def test_quiet_prints_nothing_and_a_failed_stage_prints_no_line():
    out = io.StringIO()
    with Console(quiet=True, stream=out).stage("x", total=2) as st:
        st.advance()
    assert out.getvalue() == ""
    loud = Console(stream=out)
    with pytest.raises(ValueError), loud.stage("doomed"):
        raise ValueError("bad input")
    assert out.getvalue() == ""


def test_no_bar_for_sub_second_work_on_a_terminal():
    out = io.StringIO()
    con = Console(stream=out, live=True)
    with con.stage("quick", total=5, unit="items") as st:
        st.advance(5)
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[-1]]
    assert out.getvalue().startswith("  quick: 5/5 items, ")


def test_summary_lists_files_and_key_numbers(tmp_path):
    out = io.StringIO()
    Console(stream=out).summary(tmp_path, ["a.png", "report.html"],
                                [(f"n{i}", str(i)) for i in range(8)], most=3)
    text = out.getvalue()
    assert "2 files in" in text and "  a.png" in text and "  report.html" in text
    assert "  n2: 2" in text and "n3" not in text and "5 more in report.md" in text


def test_summary_spreads_key_numbers_over_topics():
    numbers = ([("minimum", "1"), ("minimum at", "2"), ("third", "3")]
               + [(f"compare: e{i}", str(i)) for i in range(4)]
               + [("chaos: dimension", "1.5"), ("chaos: share", "70%")])
    assert spread(numbers, 4) == [("minimum", "1"), ("minimum at", "2"),
                                  ("compare: e0", "0"), ("chaos: dimension", "1.5")]
    assert spread(numbers, 2) == [("minimum", "1"), ("compare: e0", "0")]
    assert spread(numbers, 20) == numbers
