"""The console of the long commands: stage lines, counts, quiet, errors."""

import io

import pytest

from metaloss._src.study.console import Console


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


def test_headline_gives_every_topic_a_place_before_a_long_one_fills_it():
    from metaloss._src.study.report.contents import headline, spread

    numbers = ([("landscape minimum", "1"), ("landscape minimum at (lr, momentum)", "(1, 0)")]
               + [(f"compare: e{i}: median final true loss [95% CI]; in basin", str(i))
                  for i in range(9)]
               + [("MLP digits: best mean training loss", "0.3"),
                  ("MLP digits: validation accuracy at the best cell", "0.97"),
                  ("chaos: divergence boundary dimension [95% CI]", "1.5"),
                  ("unlisted: number", "7")])
    top = headline(numbers, 8)
    assert [k for k, _ in top] == [numbers[i][0] for i in (0, 1, 2, 3, 4, 11, 12, 13)]
    assert len(headline(numbers)) == 14 and ("unlisted: number", "7") not in headline(numbers)
    assert spread(numbers[:3], 2) == [numbers[0], numbers[2]]  # one per topic first
    assert spread(numbers, 100) == numbers


def test_summary_counts_what_the_report_holds_beyond_the_lines_shown(tmp_path):
    out = io.StringIO()
    Console(stream=out).summary(tmp_path, [], [("a", "1"), ("b", "2")], total=10)
    assert "  b: 2" in out.getvalue() and "8 more in report.md" in out.getvalue()
