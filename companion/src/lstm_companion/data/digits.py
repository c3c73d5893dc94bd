"""Handwritten digits read row by row (chapter 5).

Chapter 5 classifies scikit-learn's ``load_digits`` images (1,797 images of
8 x 8 pixels, 17 grey levels, values 0-16; the test part of the UCI "Optical
Recognition of Handwritten Digits" data) with an LSTM that reads each image as
a sequence of 8 rows of 8 pixels, and compares it with logistic regression on
all 64 pixels at once. MNIST would be the classic choice, but it needs a
download; these images ship with scikit-learn (the ``apps`` extra).

- :func:`load_digit_rows` -> :class:`DigitSplit`: a fixed, seeded, stratified
  train/test split, images as ``(num_images, 8, 8)`` float32 tensors in
  ``[0, 1]``: sample-first sequences of ``num_steps = 8`` rows with
  ``num_inputs = 8`` pixels, as :class:`~lstm_companion.LastStateModel`
  (:mod:`lstm_companion.models.task_models`) reads them and
  :func:`~lstm_companion.train_on_task`
  (:mod:`lstm_companion.training.supervised`) trains on them.

The baseline, :func:`~lstm_companion.logistic_regression_accuracy`, is in
:mod:`lstm_companion.measure.baselines`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from .._checks import check_positive_float

__all__ = ["DigitSplit", "load_digit_rows"]


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
