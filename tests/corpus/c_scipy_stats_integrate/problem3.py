import numpy as np
from scipy import optimize, signal


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N ** 2 * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N ** 2 * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    # closed form; optimize.brentq agrees to 1e-12 (see __main__)
    return np.expm1(np.log(2.0) / L) / (N ** 2 * C)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N ** 2 * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    out = np.zeros((C, C, N, N))
    for b in range(B):
        for c in range(C):
            padded = np.pad(x0[b, c], r)
            for o in range(C):
                out[o, c] += signal.correlate(padded, xL_grad[b, o], mode="valid", method="direct")
    return out


ACTIVATION_LIMIT_WELL_DEFINED = False

if __name__ == "__main__":
    L, N, C = 10, 3, 4
    root = optimize.brentq(lambda s: variance_at_layer(L, s, N, C) - 2, 0, 1)
    print(root, sigma_w_for_doubling(L, N, C))
