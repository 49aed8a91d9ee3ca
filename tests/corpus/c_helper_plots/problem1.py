import math
from helpers import save_curve


def init_variance(d_x):
    return d_x ** -1.0


RELU_VARIANCE_CHANGE = "INCREASE"


def relu_init_variance(d_x):
    return 2.0 * math.pi / (math.pi - 1.0) / d_x


if __name__ == "__main__":
    save_curve([relu_init_variance(d) for d in range(1, 100)], "relu.png")
