import math

def init_variance(d_x):
    return 1 / d_x

RELU_VARIANCE_CHANGE = "increase"

def relu_init_variance(d_x):
    # Var(relu(u)) = Var(u) * (1/2 - 1/(2 pi))
    return 1 / (d_x * (0.5 - 0.5 / math.pi))
