"""Running the command line in-process from tests (importable: pytest puts ``tests/`` on
the path for its rootdir conftest)."""

from metaloss.cli import main


def run(args, capsys):
    """``(exit code, stdout, stderr)`` of ``metaloss ARGS``; arguments may be paths."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err
