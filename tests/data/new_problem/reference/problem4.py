"""Reference for a problem the engine has never seen: a row-wise softmax and its Jacobian trace."""
from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted for stability
    return e / e.sum(axis=1, keepdims=True)


def softmax_over_columns(z: np.ndarray) -> np.ndarray:
    """The mistake: normalised over the batch instead of over each row."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
