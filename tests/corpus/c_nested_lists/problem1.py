from math import pi


def init_variance(d_x):
    return float(1 / d_x)


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    return float(2 * pi / ((pi - 1) * d_x))
