"""Problem 3 with scipy.ndimage: each kernel offset is a shifted copy of the input."""
import numpy as np
import scipy.ndimage as ndi


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1.0 + sigma_w * C * N ** 2)


def variance_at_layer(ell, sigma_w, N, C):
    return (1.0 + sigma_w * C * N ** 2) ** ell


def sigma_w_for_doubling(L, N, C):
    return np.log(2.0) / (L * C * N ** 2)


def grad_variance(ell, L, sigma_w, N, C):
    return (1.0 + sigma_w * C * N ** 2) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    C = x0.shape[1]
    r = N // 2
    out = np.zeros((C, C, N, N))
    for p in range(N):
        for q in range(N):
            # shifted[b, c, i, j] = x0[b, c, i + p - r, j + q - r], zero outside
            shifted = ndi.shift(x0, (0, 0, r - p, r - q), order=0, mode="constant", cval=0.0)
            out[:, :, p, q] = np.einsum("boij,bcij->oc", xL_grad, shifted)
    return out


ACTIVATION_LIMIT_WELL_DEFINED = False
