"""Reference solution for problem 1: weight initialisation for u = Wx + b."""

from __future__ import annotations

import math

# relu keeps half of a zero-mean Gaussian and removing its mean shrinks it further,
# so the weights need a larger variance than without the relu.
RELU_VARIANCE_CHANGE = "increase"


def init_variance(d_x: int) -> float:
    """Weight variance giving each u = Wx unit variance: Var(u) = d_x * sigma."""
    return 1.0 / d_x


def relu_init_variance(d_x: int) -> float:
    """Weight variance giving relu(Wx) - E[relu(Wx)] unit variance, b = 0."""
    # For u ~ N(0, s2): E[relu(u)^2] = s2 / 2 and E[relu(u)]^2 = s2 / (2 pi),
    # so Var(relu(u)) = s2 (pi - 1) / (2 pi); solve for s2 = d_x * sigma = that inverse.
    return 2.0 * math.pi / ((math.pi - 1.0) * d_x)
