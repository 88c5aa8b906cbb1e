"""Sizes and integers are bounded before anything is allocated (issue 27, item 1)."""

import pytest

from cli_helpers import run

AXES = ["--axis", "lr=log:1e-3:1:3", "--axis", "momentum=lin:0:0.9:3"]


@pytest.mark.parametrize("args, words", [
    (["train", "--estimator", "es(pairs=1000000000000)", "--outer-steps", "1"],
     "ES pairs 1000000000000 is above the limit of 1000000"),
    (["landscape", "--problem", "quadratic(dim=1000000000)", *AXES], "Quadratic dim"),
    (["landscape", "--steps", "18446744073709551616", *AXES], "--steps"),
    (["landscape", "--seed", "1180591620717411303424", *AXES], "--seed"),
    (["train", "--outer-steps", str(2**70)], "--outer-steps"),
    (["estimate", "--samples", str(2**70), "--at", "lr=0.1"], "--samples"),
    (["estimate", "--samples", "2000000000", "--at", "lr=0.1"], "above the limit of 1000000"),
    (["landscape", "--problem", "meanfield_mlp(width=100000)", *AXES], "above the limit of"),
    (["landscape", "--problem", "quadratic(dim=100000,rotate=True)", *AXES],
     "above the limit of 4096"),
])
def test_huge_values_are_refused_in_one_line(args, words, tmp_path, capsys):
    out = tmp_path / ("o.nc" if args[0] == "landscape" else "o")
    code, _, err = run([*args, "--out", out] if args[0] != "estimate" else args, capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert words in err
    assert "Traceback" not in err and not out.exists()


def test_library_bounds_name_the_limit():
    from metaloss import MetaLoss
    from metaloss._src.errors import MAX_STEPS, InputError
    from metaloss.estimators import ES

    with pytest.raises(InputError, match="fewer pairs"):
        ES(std=0.1, pairs=10**12)
    with pytest.raises(InputError, match=str(MAX_STEPS)):
        MetaLoss("wavy1d", "sgdm", steps=MAX_STEPS + 1)
