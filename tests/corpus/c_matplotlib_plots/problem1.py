import numpy as np
import matplotlib.pyplot as plt


def init_variance(d_x):
    return 1 / d_x


RELU_VARIANCE_CHANGE = "increase"


def relu_init_variance(d_x):
    return 2 * np.pi / (np.pi - 1) / d_x


def plot_check(d_x=64, n=20000):
    rng = np.random.default_rng(0)
    W = rng.normal(scale=np.sqrt(relu_init_variance(d_x)), size=(n, d_x))
    u = np.maximum(W @ rng.normal(size=d_x), 0)
    plt.hist(u - u.mean(), bins=50)
    plt.title(f"var = {u.var():.3f}")
    plt.savefig("relu_check.png")


if __name__ == "__main__":
    plot_check()
