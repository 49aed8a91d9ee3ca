"""problem 1"""
import math


def init_variance(d_x):
    return 1 / d_x


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    mean_sq = 0.5  # E[relu(z)^2] for z ~ N(0, 1)
    sq_mean = 1 / (2 * math.pi)  # E[relu(z)]^2
    return 1 / (d_x * (mean_sq - sq_mean))
