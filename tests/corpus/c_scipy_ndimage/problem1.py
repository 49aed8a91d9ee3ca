import math

def init_variance(d_x):
    return 1.0 / float(d_x)

RELU_VARIANCE_CHANGE = " increase "

def relu_init_variance(d_x):
    # E[relu(u)^2] - E[relu(u)]^2 = s/2 - s/(2pi) = 1
    return 1.0 / (d_x * (0.5 - 0.5 / math.pi))
