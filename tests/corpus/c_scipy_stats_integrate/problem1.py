"""Problem 1: the ReLU's moments from scipy.stats' normal distribution."""
from scipy import stats


def init_variance(d_x):
    return 1.0 / d_x


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    # for u ~ N(0, 1): E[relu(u)] = pdf(0), E[relu(u)^2] = 1/2
    m1 = stats.norm.pdf(0.0)
    var_unit = 0.5 - m1 ** 2
    return 1.0 / (d_x * var_unit)
