from math import pi

init_variance = lambda d_x: 1 / d_x  # noqa: E731
relu_init_variance = lambda d_x: 2 * pi / ((pi - 1) * d_x)  # noqa: E731
RELU_VARIANCE_CHANGE = " increase "
