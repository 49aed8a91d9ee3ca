from .activations import sigmoid, tanh
from .conv import conv_weight_grad
