import math
import numpy as np

def init_variance(d_x):
    return np.float64(1.0) / d_x

RELU_VARIANCE_CHANGE = "increase"

def relu_init_variance(d_x):
    # same as He's 2/d_x but also removing the mean of relu
    return np.float64(2.0 / ((1.0 - 1.0 / math.pi) * d_x))
