"""``metaloss.workflows.compare`` through the public API: grouped settings, a result whose
``save(dir)`` writes the files ``metaloss compare`` writes."""

import jax
import numpy as np
import pytest

import metaloss as ml
from metaloss import workflows


@pytest.fixture(scope="module")
def comparison():
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=2), ml.optimizers.SGD(), steps=10)
    space = ml.Space({"lr": ml.Log10()})
    return workflows.compare(
        meta, space, {"lr": (-2.0, -0.5)}, key=jax.random.key(0),
        estimators=[ml.estimators.Backprop(), ml.estimators.ES(std=0.1, pairs=1)],
        starts={"low": {"lr": -1.5}}, training=workflows.Training(seeds=3, budget=100),
        basin=workflows.Basin(grid=8, quantile=0.25), sweep=workflows.Sweep((5, 10), 2))


def test_the_result_holds_every_run_and_the_table(comparison):
    assert isinstance(comparison, workflows.Comparison)
    assert [r.label for r in comparison.runs] == ["backprop", "es(std=0.1, pairs=1)"]
    assert all(r.final_loss.shape == (4,) for r in comparison.runs)  # 3 random + 1 named
    assert comparison.basin_quantile == 0.25
    assert comparison.threshold == pytest.approx(np.quantile(comparison.landscape, 0.25))
    backprop = comparison.table()[0]
    assert backprop["outer_steps"] == 10
    assert backprop["from low"] == comparison.runs[0].final_loss[-1]


def test_save_writes_the_commands_files(comparison, tmp_path):
    paths = comparison.save(tmp_path / "new")
    names = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert names == sorted(p.name for p in paths.values())
    assert names == ["compare.csv", "compare.md", "compare_final_loss.png",
                     "compare_gradients.png", "compare_runs.csv", "compare_sweep.nc"]
    assert (tmp_path / "new" / "compare.md").read_text().count("\n") == 4  # header, rule, 2


def test_settings_are_checked_when_made():
    with pytest.raises(ml.InputError, match="budget"):
        workflows.Training(budget=0)
    with pytest.raises(ml.InputError, match="basin quantile"):
        workflows.Basin(quantile=0.0)
    assert workflows.Training().transform is workflows.clipped_sgd(0.01)
    with pytest.raises(ml.InputError, match="unknown outer optimizer 'rmsprop'"):
        workflows.OuterOptimizer("rmsprop")
    with pytest.raises(ml.InputError, match="outer step"):
        workflows.OuterOptimizer("adam", 0.0)
    with pytest.raises(ml.InputError, match="Adam b1"):
        workflows.OuterOptimizer("adam", b1=1.0)


def test_outer_adam_is_one_cached_transformation_that_steps_by_its_rate():
    adam = workflows.OuterOptimizer("adam", 0.05, b1=0.99)
    assert adam.transform() is workflows.OuterOptimizer("adam", 0.05, b1=0.99).transform()
    assert adam.describe() == "Adam step 0.05 (b1 0.99, b2 0.999), no clipping"
    assert workflows.Training(optimizer=adam).describe() == adam.describe()
    # One outer step of Adam moves each coordinate by its rate whatever the gradient's size
    # (the bias-corrected m / sqrt(v) is the gradient's sign); clipped SGD moves by 0.05 * g.
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=2), ml.optimizers.SGD(), steps=10)
    space = ml.Space({"lr": ml.Log10()})
    moved = {}
    for opt in (adam, workflows.OuterOptimizer("sgd", 0.05)):
        cmp = workflows.compare(meta, space, {"lr": (-2.0, -1.0)}, key=jax.random.key(1),
                                estimators=[ml.estimators.Backprop()], sweep=None,
                                training=workflows.Training(seeds=3, budget=10, optimizer=opt),
                                basin=workflows.Basin(grid=4))
        lr = cmp.runs[0].params["lr"]
        assert lr.shape == (3, 2)
        moved[opt.name] = np.abs(lr[:, 1] - lr[:, 0])
    np.testing.assert_allclose(moved["adam"], 0.05, rtol=1e-4)
    assert not np.allclose(moved["sgd"], 0.05, rtol=1e-2)
