import numpy as np

RELU_VARIANCE_CHANGE = "increase"


def init_variance(d_x):
    return float(1.0 / np.float64(d_x))


def relu_init_variance(d_x):
    # closed form: Var[relu(z)] = 1/2 - 1/(2 pi) for z ~ N(0, 1)
    return 1.0 / (d_x * (0.5 - 0.5 / np.pi))
