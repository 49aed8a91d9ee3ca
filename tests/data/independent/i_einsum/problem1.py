import numpy as np

# Problem 1


def init_variance(d_x):
    return np.reciprocal(float(d_x))


RELU_VARIANCE_CHANGE = "Increase"


def relu_init_variance(d_x):
    """Var[relu(u)] for u ~ N(0, v) is v (pi - 1) / (2 pi); d_x v_w times that must be 1."""
    shrink = (np.pi - 1) / (2 * np.pi)
    return np.reciprocal(shrink * d_x)
