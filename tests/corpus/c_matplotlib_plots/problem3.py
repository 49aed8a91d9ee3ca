import numpy as np
import matplotlib.pyplot as plt
from matplotlib import cm


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N * N * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    return (2.0 ** (1.0 / L) - 1.0) / (N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    out = np.zeros((C, C, N, N))
    for p in range(N):
        for q in range(N):
            out[:, :, p, q] = np.einsum("boij,bcij->oc", xL_grad, xp[:, :, p:p + H, q:q + W])
    return out


ACTIVATION_LIMIT_WELL_DEFINED = False


def show_growth(N=3, C=16, L=50):
    for k, s in enumerate(np.linspace(0.0005, 0.005, 5)):
        plt.semilogy([variance_at_layer(l, s, N, C) for l in range(L)], color=cm.viridis(k / 5))
    plt.savefig("growth.png")


if __name__ == "__main__":
    show_growth()
