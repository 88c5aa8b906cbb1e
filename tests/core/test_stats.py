"""Bootstrap intervals and ranking (metaloss._src.analysis.stats)."""

import numpy as np
import pytest

from metaloss._src.errors import InputError
from metaloss.analysis import stats


def test_median_interval_covers_the_true_median_at_about_the_nominal_rate():
    rng = np.random.default_rng(5)
    hits = 0
    for i in range(200):
        x = rng.lognormal(0.0, 1.0, size=32)  # true median exp(0) = 1, skewed
        e = stats.quantile(x, 0.5, resamples=1000, seed=i)
        hits += e.low <= 1.0 <= e.high
        assert e.low <= e.value <= e.high
    assert 0.88 <= hits / 200 <= 0.995, hits


def test_values_match_numpy_and_seeds_make_intervals_reproducible():
    x = np.array([3.0, 1.0, 2.0, 8.0, 5.0, np.inf])  # a diverged run stays in the sample
    q = stats.quartiles(x)
    assert q["median"].value == np.median(x) == 4.0
    assert q["q25"].value == np.quantile(x, 0.25)
    assert stats.quantile(x, 0.5, seed=3) == stats.quantile(x, 0.5, seed=3)
    s = stats.share(x <= 2.5)
    assert s.value == pytest.approx(2 / 6) and 0.0 <= s.low <= s.value <= s.high <= 1.0
    assert s.format(percent=True).startswith("33% [")


def test_ranking_words_only_where_intervals_separate():
    rng = np.random.default_rng(0)
    apart = {"a": stats.quantile(rng.normal(0, 1, 64), 0.5),
             "b": stats.quantile(rng.normal(5, 1, 64), 0.5)}
    assert stats.lowest(apart) == ("a", True)
    close = {"a": stats.quantile(rng.normal(0, 1, 16), 0.5),
             "b": stats.quantile(rng.normal(0.05, 1, 16), 0.5)}
    best, separated = stats.lowest(close)
    assert not separated and stats.tied_with(close, best) == [k for k in close if k != best]


def test_bad_input():
    with pytest.raises(InputError, match="at least one value"):
        stats.quantile([], 0.5)
    with pytest.raises(InputError, match=r"level must lie in \(0, 1\)"):
        stats.share([True], level=1.0)
