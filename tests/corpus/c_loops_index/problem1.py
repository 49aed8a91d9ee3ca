import math


def init_variance(d_x):
    # u_i = sum_{j=1}^{d_x} W_ij x_j, all independent, Var = d_x * sigma
    sigma = 1.0
    sigma = sigma / d_x
    return sigma


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    pi = math.pi
    second_moment = 0.5           # E[relu(z)^2] for z ~ N(0, 1)
    mean = 1.0 / math.sqrt(2 * pi)  # E[relu(z)]
    var_relu = second_moment - mean * mean
    return 1.0 / (d_x * var_relu)
