"""Workflows: whole pieces of work as library calls that return result objects.

Each function runs one piece of work on the core and returns a result whose ``save(dir)``
writes the files the matching command writes:

- :func:`compare` (``metaloss compare``): every outer-gradient estimator trained from
  the same starts under one budget; a :class:`Comparison`. Its settings come grouped:
  :class:`Training` (with an :class:`OuterOptimizer`: clipped SGD or Adam), :class:`Basin`,
  :class:`Sweep`, :class:`Maps`.
- :func:`landscape` (``metaloss landscape``): a grid computed in memory or into a
  resumable store, with its statistics (time, non-finite and diverged points, tiles); a
  :class:`Landscape`. Its ``.data`` is what :func:`metaloss.landscape` returns.
- :func:`zoom` (``metaloss zoom``): a 2-D landscape recomputed level by level in ever
  smaller boxes, with the boundary dimension per level; a :class:`Zoom`.

```python
import jax
import metaloss as ml
from metaloss import workflows

meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50)
space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
cmp = workflows.compare(meta, space, {"lr": (-3, 2), "momentum": (-3, 0)},
                        key=jax.random.key(0), training=workflows.Training(seeds=8))
cmp.table(); cmp.save("cmp/")
```
"""

from metaloss._src.workflows.compare import compare
from metaloss._src.workflows.compare_settings import (
    Basin,
    Maps,
    OuterOptimizer,
    Sweep,
    Training,
    clipped_sgd,
    default_estimators,
)
from metaloss._src.workflows.comparison import Comparison, Runs
from metaloss._src.workflows.landscape import Landscape, landscape
from metaloss._src.workflows.zoom import zoom
from metaloss._src.workflows.zoom_result import Zoom

__all__ = [
    "Basin",
    "Comparison",
    "Landscape",
    "Maps",
    "OuterOptimizer",
    "Runs",
    "Sweep",
    "Training",
    "Zoom",
    "clipped_sgd",
    "compare",
    "default_estimators",
    "landscape",
    "zoom",
]
