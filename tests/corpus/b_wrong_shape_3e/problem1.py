"""Problem 1: initialisation of u = Wx + b."""
import math


def init_variance(d_x):
    # Var(u_i) = sum_j Var(W_ij) Var(x_j) = d_x * sigma, we want this to be 1
    return 1.0 / d_x


# relu kills the negative half, so the weights have to be larger
RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    # u ~ N(0, s): E[relu(u)^2] = s / 2 and E[relu(u)] = sqrt(s / (2 pi))
    # so Var(relu(u)) = s / 2 - s / (2 pi) = s (pi - 1) / (2 pi), set it to 1
    s = 2.0 * math.pi / (math.pi - 1.0)
    return s / d_x
