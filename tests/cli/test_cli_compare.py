"""`metaloss compare` end to end, and its one-line errors."""

import csv

import pytest

from metaloss.cli import main


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    args = ["compare", "--quick", "--starts", "3", "--budget", "1000", "--seed", "4",
            "--estimators", "backprop,es:pairs=2", "--out", str(out)]
    assert main(args) == 0
    return out


def test_writes_table_figures_and_report(compare_dir):
    with open(compare_dir / "compare.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["estimator"] for r in rows] == ["backprop", "es(std=0.1, pairs=2)"]
    assert [int(float(r["outer_steps"])) for r in rows] == [20, 5]  # 1000 / 50, 1000 / 200
    assert all(float(r["q25"]) <= float(r["median"]) <= float(r["q75"]) for r in rows)
    for name in ("compare.md", "compare_runs.csv", "compare_final_loss.png",
                 "compare_trajectories.png",
                 "compare_gradients.png", "compare_sweep.nc", "report.md", "report.html"):
        assert (compare_dir / name).stat().st_size > 0, name
    md = (compare_dir / "report.md").read_text()
    assert "Estimators compared over many seeds" in md and "(compare_gradients.png)" in md
    assert "3 uniform random starts" in md and "1000 inner steps per run" in md
    assert not list(compare_dir.glob(".*.tmp"))


def test_maps_write_the_dataset_and_a_figure_per_quantity(tmp_path, capsys):
    import xarray as xr

    args = ["compare", "--quick", "--starts", "2", "--budget", "1000", "--maps", "--size",
            "3", "--map-samples", "2", "--estimators", "truncated(K=25), nres(K=25)",
            "--out", str(tmp_path)]
    assert main(args) == 0
    with xr.open_dataset(tmp_path / "compare_maps.nc", engine="h5netcdf") as ds:
        assert ds.sizes["lr"] == ds.sizes["momentum"] == 3 and ds.attrs["samples"] == 2
        assert list(ds["target"].values) == ["exact gradient", "smoothed gradient (std=0.1)"]
    for q in ("bias", "variance", "cosine", "dominance"):
        assert (tmp_path / f"compare_maps_{q}.png").stat().st_size > 0
    md = (tmp_path / "report.md").read_text()
    assert "judged against" in md and "(compare_maps_dominance.png)" in md


@pytest.mark.parametrize("args, words", [
    (["--estimators", "adam"], "unknown estimator 'adam'"),
    (["--estimators", "pes:K=-1"], "window K must be"),
    (["--budget", "0"], "budget must be"),
    (["--starts", "-2"], "seeds must be"),
    (["--size", "4"], "need --maps"),
    (["--maps", "--size", "1"], "map size must be"),
    (["--maps", "--map-samples", "1"], "samples must be"),
    (["--maps", "--optimizer", "adam"], "more than the smoothed truth's quadrature supports"),
    (["--maps", "--problem", "mlp_digits"], "draws no random numbers"),
    (["--estimators", "guided_es(alpha=2)"], "alpha must lie in [0, 1]"),
    (["--estimators", "guided_es(k=0)"], "k must be an integer >= 1"),
    (["--estimators", "nres(bogus=1)"], "unknown option 'bogus'"),
    (["--estimators", "hybrid(pairs=1)"], "pairs must be an integer >= 2"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, words):
    assert main(["compare", "--quick", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_unwritable_output_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["compare", "--quick", "--out", str(blocker / "sub")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
