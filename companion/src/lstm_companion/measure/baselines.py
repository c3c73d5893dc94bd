"""Baselines that give a model's score its meaning (chapters 1, 4, 5 and 6).

Every score a chapter reports is compared with what something simpler
reaches:

- language models (chapters 1, 4 and 6): :func:`uniform_perplexity`, a
  uniform guess, whose perplexity is the vocabulary size, and
  :func:`unigram_perplexity`, token frequencies counted on the training text
  (no context), which does better; anything that uses context must do better
  still;
- digits read row by row (chapter 5): :func:`logistic_regression_accuracy`,
  scikit-learn's logistic regression on all pixels of each image at once;
- sunspots (chapter 5): :func:`fit_autoregression` and
  :func:`predict_autoregression`, a linear AR(p) fitted by least squares (the
  naive forecast, next year = this year, needs no function);
- sentence polarity (chapter 6): :func:`bag_of_ngrams_baseline` ->
  :class:`BaselineResult`, logistic regression on binary bags of n-grams, its
  ``C`` chosen on the validation part.

scikit-learn (the ``apps`` extra) is imported only inside the functions that
use it. The data are in :mod:`lstm_companion.data`
(:mod:`~lstm_companion.data.digits`, :mod:`~lstm_companion.data.sunspots`,
:mod:`~lstm_companion.data.polarity`); the models' own scores in
:mod:`lstm_companion.measure.metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch

from .._checks import check_finite_tensor, check_nonneg_float, check_positive_float, check_positive_int, check_tensor
from ..data.polarity import PolarityData
from ..data.sunspots import check_windows_2d

__all__ = [
    "logistic_regression_accuracy",
    "BaselineResult",
    "bag_of_ngrams_baseline",
    "uniform_perplexity",
    "unigram_perplexity",
    "fit_autoregression",
    "predict_autoregression",
]


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
            f"X_train and X_test must have the same number of pixels, got {arrays[0].shape[1]} and {arrays[2].shape[1]}"
        )
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the problem is tiny, and BLAS threads competing with PyTorch's
    # for the same cores can make the fit a hundred times slower.
    with threadpool_limits(limits=1):
        model = LogisticRegression(C=C, max_iter=max_iter).fit(arrays[0], arrays[1])
        return float(model.score(arrays[2], arrays[3]))


class BaselineResult(NamedTuple):
    """What :func:`bag_of_ngrams_baseline` returns."""

    val_acc: float  # validation sentiment_accuracy of the chosen C
    test_acc: float  # test sentiment_accuracy of the chosen C
    C: float  # inverse L2 strength chosen on the validation part
    val_acc_by_C: dict[float, float]  # validation sentiment_accuracy of every C tried


def bag_of_ngrams_baseline(
    data: PolarityData,
    *,
    ngram_range: tuple[int, int] = (1, 2),
    Cs: Sequence[float] = (0.03, 0.1, 0.3, 1.0, 3.0),
    min_df: int = 1,
) -> BaselineResult:
    """Logistic regression on binary bags of n-grams; ``C`` chosen on validation (chapter 6).

    Each sentence becomes a vector of 0/1 indicators, one per n-gram of the
    training sentences (``ngram_range=(1, 2)``: words and word pairs), and
    scikit-learn's ``LogisticRegression`` (L2 penalty of strength ``1 / C``)
    is fitted on the training part. The model sees which words occur, and
    with bigrams which occur side by side, but not their order beyond that.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    if not isinstance(data, PolarityData):
        raise TypeError(f"data must be a PolarityData (from load_polarity), got {type(data).__name__}")
    lo, hi = ngram_range
    check_positive_int("ngram_range[0]", lo)
    check_positive_int("ngram_range[1]", hi)
    if hi < lo:
        raise ValueError(f"ngram_range must be (low, high) with low <= high, got {ngram_range}")
    if len(Cs) == 0:
        raise ValueError("Cs must hold at least one value")
    for c in Cs:
        check_positive_float("Cs[i]", c)
    vectorizer = CountVectorizer(
        ngram_range=(lo, hi), binary=True, token_pattern=r"\S+", lowercase=False, min_df=min_df
    )
    X_train = vectorizer.fit_transform(data.train.texts)
    X_val, X_test = vectorizer.transform(data.val.texts), vectorizer.transform(data.test.texts)
    y_train, y_val, y_test = (s.labels.numpy() for s in (data.train, data.val, data.test))
    by_C: dict[float, float] = {}
    models = {}
    for c in Cs:
        clf = LogisticRegression(C=float(c), solver="liblinear", max_iter=1000)
        clf.fit(X_train, y_train)
        models[float(c)] = clf
        by_C[float(c)] = float((clf.predict(X_val) == y_val).mean())
    best = max(by_C, key=lambda c: (by_C[c], -c))  # ties: the stronger penalty
    test_acc = float((models[best].predict(X_test) == y_test).mean())
    return BaselineResult(by_C[best], test_acc, best, by_C)


def uniform_perplexity(vocab_size: int) -> float:
    """Perplexity of guessing uniformly: exactly ``vocab_size`` (chapter 1)."""
    return float(check_positive_int("vocab_size", vocab_size))


def unigram_perplexity(train: torch.Tensor, val: torch.Tensor, vocab_size: int, alpha: float = 1.0) -> float:
    """Held-out perplexity of token frequencies counted on ``train`` (add-``alpha`` smoothing)."""
    check_tensor("train", train, ndim=1, floating=False)
    check_tensor("val", val, ndim=1, floating=False)
    check_positive_int("vocab_size", vocab_size)
    check_nonneg_float("alpha", alpha)
    for name, t in (("train", train), ("val", val)):
        if t.min() < 0 or t.max() >= vocab_size:
            raise ValueError(
                f"{name} must hold token indices in [0, {vocab_size}), got values in [{int(t.min())}, {int(t.max())}]"
            )
    counts = torch.bincount(train, minlength=vocab_size).double() + alpha
    log_p = torch.log(counts / counts.sum())
    return math.exp(-float(log_p[val].mean()))


def fit_autoregression(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Least-squares AR(p): ``y ≈ X[:, -1] a_1 + X[:, -2] a_2 + ... + X[:, -p] a_p + c`` (chapter 5).

    ``X`` holds training windows ``(num_windows, p)`` or ``(num_windows, p,
    1)`` (from :func:`sliding_windows` with ``window=p``), ``y`` the next
    values. Solved in float64 with ``torch.linalg.lstsq``. Returns the
    coefficients ``(p + 1,)``: ``a_1, ..., a_p`` (``a_k`` multiplies the value
    ``k`` steps back), then the intercept ``c``.
    """
    X2 = check_windows_2d("X", X).double()
    check_tensor("y", y, ndim=1, floating=True)
    check_finite_tensor("X", X2)
    check_finite_tensor("y", y)
    num_windows, p = X2.shape
    if y.shape[0] != num_windows:
        raise ValueError(f"X and y must hold the same number of windows, got {num_windows} and {y.shape[0]}")
    if num_windows < p + 1:
        raise ValueError(f"X must hold at least p + 1 = {p + 1} windows to fit AR({p}), got {num_windows}")
    design = torch.cat([X2.flip(1), torch.ones(num_windows, 1, dtype=torch.float64)], dim=1)  # (num_windows, p + 1)
    coefficients: torch.Tensor = torch.linalg.lstsq(design, y.double()[:, None]).solution[:, 0]  # (p + 1,)
    return coefficients


def predict_autoregression(coef: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """One-step-ahead AR(p) forecasts ``(num_windows,)`` for windows ``X`` (chapter 5).

    ``coef`` is what :func:`fit_autoregression` returned; ``X`` has shape
    ``(num_windows, p)`` or ``(num_windows, p, 1)``. Returned in float64.
    """
    check_tensor("coef", coef, ndim=1, floating=True)
    check_finite_tensor("coef", coef)
    X2 = check_windows_2d("X", X).double()
    p = coef.shape[0] - 1
    if X2.shape[1] != p:
        raise ValueError(
            f"X must hold windows of length p = {p} to match coef (p + 1 = {p + 1} entries), got {X2.shape[1]}"
        )
    return X2.flip(1) @ coef[:p].double() + coef[p].double()  # (num_windows,)
