import math

def init_variance(d_x):
    return d_x ** -1.0

RELU_VARIANCE_CHANGE = " Increase "

def relu_init_variance(d_x):
    return (2 * math.pi) / (math.pi - 1) / d_x
