"""HW problem 1 -- weight init"""
from math import pi


def init_variance(d_x):
    # each u_i sums d_x terms W_ij x_j, each of variance sigma (x has unit variance)
    # so var(u_i) = d_x * sigma and that has to be 1
    sigma = 1.0
    sigma = sigma / d_x
    return sigma


RELU_VARIANCE_CHANGE = "increase"   # relu throws half of the signal away


def relu_init_variance(d_x):
    # second moment of relu(u) is s/2, its mean is sqrt(s/(2 pi)), so
    # var = s/2 - s/(2 pi); want d_x * sigma * (1/2 - 1/(2 pi)) = 1
    factor = 0.5 - 0.5 / pi
    return 1.0 / (factor * d_x)
