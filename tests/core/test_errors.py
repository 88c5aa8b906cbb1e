"""One way to fail: InputError for user mistakes, checked by one set of helpers; explicit
keys for problems that draw random numbers."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest

import metaloss as ml
from metaloss._src.errors import InputError, check_int, check_positive, check_range


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("value", [0, -3, 1.0, 2.5, True, "3", None])
def test_check_int_refuses_non_integers_and_small_values(value):
    with pytest.raises(InputError, match="steps must be an integer >= 1"):
        check_int("steps", value)


def test_check_helpers_accept_good_values_and_arrays():
    assert check_int("n", np.int64(4)) == 4 and isinstance(check_int("n", np.int64(4)), int)
    assert check_int("id", 0, minimum=0, maximum=3) == 0
    with pytest.raises(InputError, match=r"in \[0, 3\]"):
        check_int("id", 4, minimum=0, maximum=3)
    assert check_positive("lr", 2) == 2.0
    np.testing.assert_array_equal(check_positive("lr", np.array([1.0, 2.0])), [1.0, 2.0])
    with pytest.raises(InputError, match=r"lr must be positive, got values in \[-1, 2\]"):
        check_positive("lr", np.array([-1.0, 2.0]))
    assert check_range("m", 0.0, 0.0, 1.0, closed=(True, False)) == 0.0
    with pytest.raises(InputError, match=r"m must lie in \[0, 1\), got 1"):
        check_range("m", 1.0, 0.0, 1.0, closed=(True, False))
    # traced values pass unchecked (they are checked where they are concrete)
    assert float(jax.jit(lambda x: check_positive("lr", x))(-1.0)) == -1.0


def test_library_mistakes_are_input_errors():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=5)
    cases = [
        lambda: ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=0),
        lambda: ml.MetaLoss("nope", "sgdm"),
        lambda: meta({"lr": -1.0}),
        lambda: meta({"lrr": 0.1}),
        lambda: ml.landscape(meta, {}),
        lambda: ml.estimators.ES(std=0.0),
        lambda: ml.Space({}),
        lambda: ml.outer_train(meta, ml.Space({"lr": ml.Log10()}), ml.estimators.Backprop(),
                               {"lr": -2.0}, 0, None, jax.random.key(0)),
    ]
    for case in cases:
        with pytest.raises(InputError):
            case()


@pytest.mark.slow  # compiles the digits MLP: runs in make test
def test_stochastic_problems_need_a_key_deterministic_ones_do_not():
    mlp = ml.MetaLoss(ml.problems.MLPDigits(hidden=4, batch_size=8), ml.optimizers.SGDM(),
                      steps=2)
    space = ml.Space({"lr": ml.Log10()})
    for call in (lambda: mlp({"lr": 0.1}), lambda: mlp.init_state(),
                 lambda: ml.landscape(mlp, {"lr": [0.1, 0.2]}, progress=False),
                 lambda: ml.analysis.evaluate_points(mlp, space, {"lr": [-1.0]}),
                 lambda: ml.problems.MLPDigits(hidden=4).init(None)):
        with pytest.raises(InputError, match="key"):
            call()
    key = jax.random.key(3)
    assert np.isfinite(float(mlp({"lr": 0.1}, key)))
    # a deterministic problem keeps a default key: its runs do not depend on it
    wavy = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=5)
    assert float(wavy({"lr": 0.1})) == float(wavy({"lr": 0.1}, jax.random.key(9)))


def test_windows_longer_than_the_unroll_are_refused_and_uneven_ones_reported():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50)
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    for est in (ml.estimators.TruncatedBackprop(K=51), ml.estimators.PES(K=100)):
        with pytest.raises(InputError, match=r"window K=\d+ is longer than the unroll \(50"):
            ml.outer_train(meta, space, est, {"lr": -2.0, "momentum": -0.5}, 3,
                           optax.sgd(0.01), jax.random.key(0))
    assert ml.estimators.PES(K=10).check(meta) is None
    note = ml.estimators.TruncatedBackprop(K=7).check(meta)
    assert "do not divide the 50-step unroll" in note and "has 1 step" in note
    assert ml.estimators.TruncatedBackprop(K=50).check(meta) is None


def test_an_error_names_its_arguments_and_a_caller_respells_them():
    e = InputError("store 's' is unfinished; continue it with resume=True",
                   arguments={"resume": "resume=True"})
    assert e.spelled({}) == str(e)
    assert e.spelled({"resume": "--resume"}) == "store 's' is unfinished; continue it with --resume"
    # an error that rewords another keeps the arguments whose text it kept
    try:
        try:
            raise e
        except InputError as inner:
            raise InputError(f"zoom: {inner}") from None
    except InputError as outer:
        assert outer.spelled({"resume": "--resume"}) == ("zoom: store 's' is unfinished; "
                                                         "continue it with --resume")


def test_the_command_line_says_its_options_where_the_library_says_arguments():
    from metaloss._src.cli import supervise
    from metaloss._src.grid import watchdog

    library = watchdog.lost_process_line("process 1 of 2 stopped responding")
    assert "resume=True" in library and "--" not in library
    said = supervise.for_command_line(library + "\n")
    assert said.startswith("error: process 1 of 2 stopped responding; this process stops")
    assert said.endswith("run it again with --resume to complete it\n") and "=True" not in said
    assert supervise.for_command_line("wrote x.zarr\n") == "wrote x.zarr\n"


LIBRARY = ("grid", "analysis", "workflows", "precise", "precision", "estimators", "problems",
           "optimizers", "systems", "errors.py", "measures.py", "meta.py", "unroll.py",
           "space.py", "outer.py", "objectives.py")


def test_library_messages_name_no_command_line_flags():
    """Messages raised by the core library speak Python; the command line spells its flags."""
    import ast
    import pathlib
    import re

    import metaloss._src as src

    root = pathlib.Path(src.__file__).parent
    files = [f for name in LIBRARY for f in ([root / name] if name.endswith(".py")
                                             else sorted((root / name).rglob("*.py")))]
    assert len(files) > 20
    flag = re.compile(r"(?<![\w-])--[a-z]")
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "InputError":
                for part in ast.walk(node):
                    if (isinstance(part, ast.Constant) and isinstance(part.value, str)
                            and flag.search(part.value)):
                        found.append(f"{path.relative_to(root)}:{part.lineno}: {part.value}")
    assert not found, found
