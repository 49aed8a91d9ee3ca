import numpy as np

def init_variance(d_x):
    return 1 / d_x

RELU_VARIANCE_CHANGE = "INCREASE"

def relu_init_variance(d_x):
    return 2 * np.pi / ((np.pi - 1) * d_x)
