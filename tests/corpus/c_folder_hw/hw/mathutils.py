import numpy as np

def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))
