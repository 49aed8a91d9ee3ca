import numpy as np
import matplotlib
import matplotlib.pyplot as plt


def split_weights(W, d_x):
    return W[:, :d_x], W[:, d_x:]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = sigmoid(x.dot(Wfx.T) + h.dot(Wfh.T) + bf)
    d = np.tanh(x.dot(Wdx.T) + h.dot(Wdh.T) + bd)
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)


if __name__ == "__main__":
    z = np.linspace(-5, 5, 100)
    plt.plot(z, sigmoid(z))
    plt.show()
