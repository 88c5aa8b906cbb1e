"""Every command documents every option in one style and shows examples.

The style (see :mod:`metaloss._src.cli.options`): a metavar names the value in
capitals (``N``, ``PATH``, ``NAME=VALUE``); a default is shown one way, as a trailing
``[default: ...]``, never in the option's own prose; ranges are not printed by click;
an option that takes a hyperparameter says whether it is a hyperparameter value or an
outer coordinate; a number says what it counts or measures; ``--out`` says what is
written there.
"""

import re

import click
import pytest

from metaloss._src.cli.app import cli
from metaloss._src.cli.options import METAVAR, Styled, default_text, help_record
from metaloss.cli import main

COMMANDS = sorted(cli.commands)

DEFAULT_PROSE = re.compile(r"(?i)\(default\b|\[default\b|\bdefaults?\s*:|\bdefault \d")
"""A default written in an option's help text instead of ``[default: ...]``."""

UNITS = re.compile(
    r"(?i)steps|points|outer coordinates|hyperparameter|pairs|samples|starts|levels|"
    r"frames|process|port|hidden units|seed|estimates|FACTOR|measure's units|seconds")
"""The words that say what a number counts or measures."""

GENERIC = {"TEXT", "INTEGER", "FLOAT", "BOOLEAN", "DIRECTORY", "FILE"}
"""click's metavars for a type, which say nothing about the value (with ``INTEGER RANGE``
and ``[a|b|c]``, which the style's pattern refuses anyway)."""

OUTPUTS = re.compile(r"\.(nc|zarr|json|md|png|npz|csv|html|gif)\b")


def visible_options(cmd):
    return [p for p in cmd.params
            if isinstance(p, click.Option) and not p.hidden and p.name != "help"]


def takes_value(opt):
    return not (opt.is_flag or opt.count)


def record(cmd, opt):
    ctx = click.Context(cmd, info_name=cmd.name)
    return help_record(opt, ctx)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help_and_the_command_has_examples(name, capsys):
    cmd = cli.commands[name]
    undocumented = [p.opts[0] for p in cmd.params if isinstance(p, click.Option) and not p.help]
    assert not undocumented, f"{name}: {undocumented} have no help"
    assert cmd.epilog and "metaloss " + name in cmd.epilog, f"{name} has no example"
    for arg in (p for p in cmd.params if isinstance(p, click.Argument)):
        assert arg.name.upper() in (cmd.help or ""), f"{name}: argument {arg.name} undocumented"
    assert main([name, "--help"]) == 0
    assert "Example" in capsys.readouterr().out


def test_every_command_uses_the_one_help_style():
    assert isinstance(cli, Styled)
    plain = [n for n in COMMANDS if not isinstance(cli.commands[n], Styled)]
    assert not plain, f"{plain}: declare with @click.command(cls=Command)"


@pytest.mark.parametrize("name", COMMANDS)
def test_metavars_are_one_style(name):
    cmd = cli.commands[name]
    ctx = click.Context(cmd, info_name=name)
    bad = {}
    for opt in filter(takes_value, visible_options(cmd)):
        shown = opt.make_metavar(ctx)
        if shown in GENERIC or not METAVAR.fullmatch(shown):
            bad[opt.opts[0]] = shown
    assert not bad, f"{name}: metavars not in the style NAME, NAME=VALUE, PATH.nc: {bad}"


@pytest.mark.parametrize("name", COMMANDS)
def test_defaults_are_shown_one_way(name):
    cmd = cli.commands[name]
    ctx = click.Context(cmd, info_name=name)
    for opt in visible_options(cmd):
        where = f"{name} {opt.opts[0]}"
        assert not DEFAULT_PROSE.search(opt.help or ""), \
            f"{where}: a default in the help text; give show_default='...' instead"
        _, text = record(cmd, opt)
        shown = default_text(opt, ctx)
        assert text.count("[") <= text.count("]")
        if shown is None:
            assert "[default:" not in text, where
        else:
            assert text.endswith(f"[default: {shown}]") or \
                text.endswith(f"[default: {shown}; required]"), where
        assert "x<=" not in text and "x>=" not in text and "Sentinel" not in text, where
        if opt.is_flag:
            assert shown is None, f"{where}: a flag shows no default"


def test_a_default_value_is_always_shown_and_a_none_default_can_be_described():
    cmd = cli.commands["zoom"]
    ctx = click.Context(cmd, info_name="zoom")
    opts = {o.name: o for o in cmd.params}
    assert default_text(opts["factor"], ctx) == "4"  # 4.0, written as a number
    assert default_text(opts["size"], ctx) == "256"
    assert default_text(opts["chunk"], ctx) == "chosen per device"
    assert default_text(opts["resume"], ctx) is None  # a flag
    assert default_text(opts["centers"], ctx) is None  # nothing, and nothing claimed


@pytest.mark.parametrize("name", COMMANDS)
def test_options_say_their_units(name):
    cmd = cli.commands[name]
    for opt in filter(takes_value, visible_options(cmd)):
        where = f"{name} {opt.opts[0]}"
        text = opt.help
        if (opt.metavar or "").startswith("NAME=") and opt.metavar != "NAME=KIND":
            assert re.search(r"hyperparameter values?|outer coordinates?", text), \
                f"{where}: say whether NAME takes a hyperparameter value or an outer coordinate"
        if isinstance(opt.type, (click.types.IntParamType, click.types.FloatParamType)):
            assert UNITS.search(f"{text} {opt.metavar}"), f"{where}: say what the number is"
        if opt.name == "out":
            assert OUTPUTS.search(text), f"{where}: say what is written there"


def test_train_lists_what_it_writes(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in ("run.npz", "run.json", "outer_loss.png"):
        assert name in text


def test_compare_quick_says_what_it_runs(capsys):
    from metaloss._src.study.report.compare import study_comparison

    quick = study_comparison(quick=True)
    assert main(["compare", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    starts = quick.get("seeds", quick.get("starts"))
    assert f"{starts} random starts" in text
    assert len(quick["estimators"]) == 3 and "three estimators" in text
    assert f"budget of {quick['budget']} inner steps" in text
    assert f"{quick['maps']} x {quick['maps']} maps" in text
    assert "Few seeds" not in text


def test_choices_are_listed_in_the_help(capsys):
    assert main(["landscape", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in ("wavy1d", "mlp_digits", "sgdm", "adam", "val_final", "lr=log:1e-3:1e2:256",
                 "float32, float64 or double-double"):
        assert word in text, word
