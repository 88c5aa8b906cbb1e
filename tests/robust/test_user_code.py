"""An exception in the user's own code is reported as theirs; ours stays a bug (item 2)."""

from cli_helpers import run

AXES = ["--axis", "lr=log:1e-3:1:3", "--axis", "momentum=lin:0:0.9:3"]


def _module(tmp_path):
    path = tmp_path / "userprob.py"
    path.write_text("def make():\n    table = {}\n    return table['missing']\n")
    return path


def test_user_factory_error_is_theirs(tmp_path, capsys):
    path = _module(tmp_path)
    code, _, err = run(["landscape", "--problem", f"{path}:make", *AXES,
                        "--out", tmp_path / "l.nc"], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "your code raised KeyError" in err and f"{path}:3 in make" in err
    assert "--debug" in err


def test_debug_shows_the_traceback(tmp_path, capsys):
    path = _module(tmp_path)
    code, _, err = run(["--debug", "landscape", "--problem", f"{path}:make", *AXES,
                        "--out", tmp_path / "l.nc"], capsys)
    assert code == 2 and "Traceback" in err and "your code raised KeyError" in err


def test_a_metaloss_bug_is_still_a_bug(tmp_path, capsys, monkeypatch):
    import metaloss._src.meta as meta

    monkeypatch.setattr(meta, "check_int", None)  # a TypeError raised inside metaloss
    code, _, err = run(["landscape", *AXES, "--out", tmp_path / "l.nc"], capsys)
    assert code == 1 and "internal error in metaloss" in err
