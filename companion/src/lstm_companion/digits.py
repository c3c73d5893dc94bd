"""Handwritten digits read row by row, and a logistic-regression baseline (chapter 5).

Chapter 5 classifies scikit-learn's ``load_digits`` images (1,797 images of
8 x 8 pixels, 16 grey levels; the test part of the UCI "Optical Recognition
of Handwritten Digits" data) with an LSTM that reads each image as a
sequence of 8 rows of 8 pixels, and compares it with logistic regression on
all 64 pixels at once. MNIST would be the classic choice, but it needs a
download; these images ship with scikit-learn.

- :func:`load_digit_rows`: a fixed, seeded, stratified train/test split,
  images as ``(num_images, 8, 8)`` float32 tensors in ``[0, 1]``: sample-first
  sequences of ``num_steps = 8`` rows with ``num_inputs = 8`` pixels, as
  :class:`~lstm_companion.tasks.LastStateModel` reads them.
- :func:`logistic_regression_accuracy`: the baseline's test accuracy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ._checks import check_positive_float, check_positive_int, check_tensor

__all__ = ["DigitSplit", "load_digit_rows", "logistic_regression_accuracy"]


class DigitSplit(NamedTuple):
    """What :func:`load_digit_rows` returns."""

    X_train: torch.Tensor  # (num_train, 8, 8) float32 in [0, 1]: 8 rows (steps) of 8 pixels (inputs)
    y_train: torch.Tensor  # (num_train,) int64 digit labels 0-9
    X_test: torch.Tensor  # (num_test, 8, 8)
    y_test: torch.Tensor  # (num_test,)


def load_digit_rows(test_fraction: float = 0.25, *, seed: int = 0) -> DigitSplit:
    """scikit-learn's 8 x 8 digits, split into training and test images (chapter 5).

    The split is stratified (every digit keeps its share in both parts) and
    fixed by ``seed``. Pixel values 0-16 are divided by 16.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    check_positive_float("test_fraction", test_fraction)
    if not test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    data = load_digits()
    images = data.images.astype(np.float32) / 16.0  # (1797, 8, 8)
    X_train, X_test, y_train, y_test = train_test_split(
        images, data.target, test_size=test_fraction, random_state=seed, stratify=data.target
    )
    return DigitSplit(
        torch.from_numpy(X_train),
        torch.from_numpy(y_train).long(),
        torch.from_numpy(X_test),
        torch.from_numpy(y_test).long(),
    )


def logistic_regression_accuracy(
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    C: float = 1.0,
    max_iter: int = 1000,
) -> float:
    """Test accuracy of scikit-learn's ``LogisticRegression`` on the flattened images (chapter 5).

    Multinomial logistic regression with its default L2 penalty (strength
    ``1 / C``) and the lbfgs solver, fitted on all pixels of each image at
    once: a linear model that sees the whole image, the baseline an LSTM
    reading rows must be compared with.
    """
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    check_positive_float("C", C)
    check_positive_int("max_iter", max_iter)
    arrays = []
    for name, X, y in (("X_train", X_train, y_train), ("X_test", X_test, y_test)):
        check_tensor(name, X, floating=True)
        check_tensor(name.replace("X", "y"), y, ndim=1, floating=False)
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"{name} and its labels must hold the same number of images, got {X.shape[0]} and {y.shape[0]}"
            )
        arrays += [X.reshape(X.shape[0], -1).cpu().numpy(), y.cpu().numpy()]
    if arrays[0].shape[1] != arrays[2].shape[1]:
        raise ValueError(
            "X_train and X_test must have the same number of pixels, "
            f"got {arrays[0].shape[1]} and {arrays[2].shape[1]}"
        )
    # One BLAS thread: the problem is tiny, and BLAS threads competing with PyTorch's
    # for the same cores can make the fit a hundred times slower.
    with threadpool_limits(limits=1):
        model = LogisticRegression(C=C, max_iter=max_iter).fit(arrays[0], arrays[1])
        return float(model.score(arrays[2], arrays[3]))
