"""The study's outer loss written independently in float64 NumPy, vectorized, and
brute-force integrals of it: the references of the smoothed-gradient, estimator and
map tests."""

from __future__ import annotations

import numpy as np


def outer_loss_windows(u_lr, u_mom, K, steps=50, x0=-4.0):
    """Mean inner loss of SGDM on Wavy1D when window ``w`` (steps ``w*K .. w*K+K-1``)
    trains with outer coordinates ``(u_lr[..., w], u_mom[..., w])``
    (``lr = 10**u_lr``, ``mom = 1 - 10**u_mom``)."""
    lr, mom = 10.0 ** np.asarray(u_lr, float), 1.0 - 10.0 ** np.asarray(u_mom, float)
    x = np.full(np.broadcast_shapes(lr.shape[:-1], mom.shape[:-1]), x0)
    v, total = np.zeros_like(x), np.zeros_like(x)
    for t in range(steps):
        a, m = lr[..., t // K], mom[..., t // K]
        q = x**2 + 1 + np.sin(3 * x)
        total = total + np.log(q) + 1.5
        v = m * v + (2 * x + 3 * np.cos(3 * x)) / q
        x = x - a * v
    return total / steps


def outer_loss(u_lr, u_mom, steps=50):
    """The study's outer loss at outer coordinates (any broadcastable shapes)."""
    return outer_loss_windows(np.asarray(u_lr, float)[..., None],
                              np.asarray(u_mom, float)[..., None], steps, steps)


def smoothed_brute_force(theta, std, n=201, half_width=6.0):
    """``(loss, gradient)`` of ``E[L(theta + std z)]`` in 2-D by the trapezoid rule on an
    ``n x n`` grid over ``[-half_width, half_width]^2`` (Stein's form for the gradient)."""
    z = np.linspace(-half_width, half_width, n)
    w = np.exp(-z**2 / 2)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    weight = np.outer(w, w)
    loss = outer_loss(theta[0] + std * z1, theta[1] + std * z2)
    wl = weight * loss
    return wl.sum(), np.array([(wl * z1).sum(), (wl * z2).sum()]) / std


def window_smoothed_gradient(theta, std, K, steps=50, n=10):
    """Gradient of the loss smoothed with an independent perturbation per window of K
    steps (what PES's window mean targets), by tensor Gauss-Hermite quadrature over
    the ``2 * windows`` perturbation coordinates."""
    windows = -(-steps // K)
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * (2 * windows)), indexing="ij")
    z = np.stack([g.ravel() for g in grids], axis=-1)  # (n^(2W), 2W): lr, mom per window
    weight = np.prod(np.stack(np.meshgrid(*([w] * (2 * windows)), indexing="ij")), 0).ravel()
    z_lr, z_mom = z[:, :windows], z[:, windows:]
    loss = outer_loss_windows(theta[0] + std * z_lr, theta[1] + std * z_mom, K, steps)
    wl = weight * loss
    return np.array([(wl[:, None] * z_lr).sum(), (wl[:, None] * z_mom).sum()]) / std
