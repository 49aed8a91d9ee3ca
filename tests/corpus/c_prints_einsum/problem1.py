import math
print("loading problem1")

def init_variance(d_x):
    sigma = 1 / d_x
    print("init_variance", d_x, "->", sigma)
    return sigma

RELU_VARIANCE_CHANGE = "increase"

def relu_init_variance(d_x):
    var_relu_unit = 0.5 - 1 / (2 * math.pi)
    print("var of relu(z) - mean for z~N(0,1):", var_relu_unit)
    return 1 / (var_relu_unit * d_x)
