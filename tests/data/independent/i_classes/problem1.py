import math


class _Init:
    """Variances that keep unit variance through one layer."""

    @staticmethod
    def linear(fan_in):
        return 1.0 / fan_in

    @staticmethod
    def relu(fan_in):
        # relu(u) for u ~ N(0, s) has variance s * (1/2 - 1/(2 pi))
        return 1.0 / (fan_in * (0.5 - 1.0 / (2.0 * math.pi)))


init_variance = _Init.linear
relu_init_variance = _Init.relu
RELU_VARIANCE_CHANGE = "increase"
