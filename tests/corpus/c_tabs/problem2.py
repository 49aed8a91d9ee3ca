import numpy as np


def split_weights(W, d_x):
	W_x = W[:, 0:d_x]
	W_h = W[:, d_x:W.shape[1]]
	return (W_x, W_h)


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
	B = x.shape[0]
	d_h = h.shape[1]
	f = np.zeros((B, d_h))
	d = np.zeros((B, d_h))
	h_next = np.zeros((B, d_h))
	for b in range(B):
		zf = Wfx @ x[b] + Wfh @ h[b] + bf
		zd = Wdx @ x[b] + Wdh @ h[b] + bd
		f[b] = 1.0 / (1.0 + np.exp(-zf))
		d[b] = np.tanh(zd)
		h_next[b] = f[b] * h[b] + (1.0 - f[b]) * d[b]
	return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
	B = f.shape[0]
	for b in range(B):
		f_grad[b] += h_next_grad[b] * (h[b] - d[b])
		h_grad[b] += h_next_grad[b] * f[b]
		d_grad[b] += h_next_grad[b] * (1.0 - f[b])
