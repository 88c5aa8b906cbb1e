"""Systems: any unrolled computation as a state, an initial state and a step
``(state, hparams, t, key) -> (state, loss)``, run by ``MetaLoss(system, steps=...)``
with no optimizer. Built in: the PES paper's influence-balancing task."""

from metaloss._src.systems import Dynamics, InfluenceBalancing, System, ToyRegression

__all__ = ["Dynamics", "InfluenceBalancing", "System", "ToyRegression"]
