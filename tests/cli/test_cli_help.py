"""Every command documents every option and shows examples."""

import click
import pytest

from metaloss._src.cli.app import cli
from metaloss.cli import main


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_has_help_and_the_command_has_examples(name, capsys):
    cmd = cli.commands[name]
    undocumented = [p.opts[0] for p in cmd.params if isinstance(p, click.Option) and not p.help]
    assert not undocumented, f"{name}: {undocumented} have no help"
    assert cmd.epilog and "metaloss " + name in cmd.epilog, f"{name} has no example"
    for arg in (p for p in cmd.params if isinstance(p, click.Argument)):
        assert arg.name.upper() in (cmd.help or ""), f"{name}: argument {arg.name} undocumented"
    assert main([name, "--help"]) == 0
    assert "Example" in capsys.readouterr().out


def test_choices_are_listed_in_the_help(capsys):
    assert main(["landscape", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in ("wavy1d", "mlp_digits", "sgdm", "adam", "val_final", "lr=log:1e-3:1e2:256"):
        assert word in text, word
