"""Problem 1, derived with sympy."""
import sympy as sp

_s, _d = sp.symbols("s d_x", positive=True)
# for u ~ N(0, s): E[relu(u)^2] = s/2 and E[relu(u)]^2 = s/(2 pi)
_var_relu = _s / 2 - _s / (2 * sp.pi)
_sigma_relu = sp.solve(sp.Eq(_d * _var_relu / _s * _s, 1), _s)[0]
_relu = sp.lambdify(_d, _sigma_relu, "math")


def init_variance(d_x):
    return 1.0 / d_x


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    return float(_relu(d_x))
