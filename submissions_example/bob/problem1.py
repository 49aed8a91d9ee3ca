import math


def init_variance(d_x):
    # we want std 1 for u, sum of d_x terms
    return 1 / math.sqrt(d_x)


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    return 2 * math.pi / ((math.pi - 1) * d_x)
