import torch

BACKEND = "torch"

def init_variance(d_x):
    return torch.tensor(1.0) / d_x          # float32 tensor scalar

RELU_VARIANCE_CHANGE = "increase"

def relu_init_variance(d_x):
    return 2 * torch.pi / ((torch.pi - 1) * d_x)
