"""Axis specs: non-finite ends and huge sizes get one clear line, no NumPy warnings (item 3)."""

import warnings

import pytest

from cli_helpers import run
from metaloss._src.errors import InputError
from metaloss._src.grid.axes import parse_axis


@pytest.mark.parametrize("spec, words", [
    ("lr=lin:-inf:inf:8", "must be finite"),
    ("lr=lin:nan:1:8", "must be finite"),
    ("lr=lin:-1e308:1e308:8", "must be finite"),
    ("lr=log:1e-3:inf:8", "must be finite"),
    ("lr=log:1e-3:1:1000000000000", "above the limit of 10000000"),
])
def test_bad_axis_is_one_clear_error(spec, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would fail here
        with pytest.raises(InputError, match=words):
            parse_axis(spec)


def test_cli_non_finite_axis(tmp_path, capsys):
    code, _, err = run(["landscape", "--axis", "lr=lin:-inf:inf:8", "--out", tmp_path / "a.nc"],
                       capsys)
    assert code == 2 and err.count("\n") == 1 and "must be finite" in err
    assert "RuntimeWarning" not in err and "nan" not in err
