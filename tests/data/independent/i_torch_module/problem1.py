import math

RELU_VARIANCE_CHANGE = "increase"


def init_variance(d_x):
    """Var(sum_j W_ij x_j) = d_x Var(W) since E[x_j^2] = 1."""
    return d_x ** -1


def relu_init_variance(d_x):
    """Half a normal: E relu(u)^2 = s/2 and (E relu(u))^2 = s/(2pi)."""
    var_per_unit = 1 / 2 - 1 / (2 * math.pi)
    return (d_x * var_per_unit) ** -1
