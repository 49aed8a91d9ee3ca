"""Problem 1: initialisation."""
import numpy as np


def init_variance(d_x):
    return 1 / d_x


RELU_VARIANCE_CHANGE = "Increase"


def relu_init_variance(d_x):
    # Var(relu(u)) = s/2 - s/(2 pi) for u ~ N(0, s)
    return 2 * np.pi / ((np.pi - 1) * d_x)
