import numpy as np

def init_variance(d_x):
    return np.float32(1) / np.float32(d_x)

RELU_VARIANCE_CHANGE = "increase"

def relu_init_variance(d_x):
    pi = np.float32(np.pi)
    return np.float32(2) * pi / ((pi - np.float32(1)) * np.float32(d_x))
