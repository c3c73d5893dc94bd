"""An interpolated Kneser-Ney n-gram language model, the count-based baseline of chapter 11.

:class:`KneserNeyLM` implements interpolated Kneser-Ney smoothing (Kneser and
Ney 1995; Chen and Goodman 1999) with one absolute discount ``D`` for every
order. For the highest order ``n`` and a history ``h`` of ``n - 1`` tokens,

``P(w | h) = max(c(h w) - D, 0) / c(h .) + D N1+(h .) / c(h .) * P(w | h')``

where ``c`` are raw counts, ``c(h .)`` their sum over ``w``, ``N1+(h .)`` the
number of distinct words seen after ``h`` and ``h'`` the history without its
first token. The lower orders use the same formula with **continuation
counts** in place of ``c``: ``N1+(. h w)``, the number of distinct words seen
before ``h w`` ("in how many contexts does this appear", which is what makes
Kneser-Ney better than plain backoff). The unigram level is interpolated with
the uniform distribution over the vocabulary, so every token id gets some
probability; a history never seen in training passes all its mass to the
next lower order.

The corpus is one stream of token ids (sentences ended by ``<eos>``, as
:func:`~lstm_companion.load_word_corpus` makes it); contexts cross sentence
boundaries as the LSTM's state does. :meth:`KneserNeyLM.perplexity` predicts
every token after the first from up to ``order - 1`` preceding ones. The
unigram baseline is :func:`~lstm_companion.unigram_perplexity`.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence

import torch

from .._checks import check_positive_int, check_probability, check_tensor

__all__ = ["KneserNeyLM"]

Gram = tuple[int, ...]


class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram model over token ids (chapter 11; see the module docstring).

    ``KneserNeyLM(order=3, discount=0.75).fit(train_ids, vocab_size)``, then
    :meth:`prob` (one probability), :meth:`token_log_probs` (of every token
    of a stream), :meth:`history_seen` (whether each token's history was seen
    in training), :meth:`log_prob` (their sum) and :meth:`perplexity`.
    """

    def __init__(self, order: int = 3, discount: float = 0.75) -> None:
        self.order = check_positive_int("order", order)
        self.discount = check_probability("discount", discount)
        if self.discount == 0:
            raise ValueError("discount must be > 0 (and < 1): with 0 nothing is left for the lower orders")
        self.vocab_size = 0
        # counts[k][gram] for grams of k + 1 tokens: raw counts at the top order, continuation counts below
        self.counts: list[dict[Gram, int]] = []
        self.context_total: list[dict[Gram, int]] = []  # sum over w of counts[k][h + (w,)]
        self.context_types: list[dict[Gram, int]] = []  # number of w with counts[k][h + (w,)] > 0

    def fit(self, ids: torch.Tensor | Sequence[int], vocab_size: int) -> KneserNeyLM:
        """Count the n-grams of the stream ``ids`` (token ids in ``[0, vocab_size)``); returns ``self``."""
        tokens = self._ids("ids", ids, vocab_size)
        self.vocab_size = vocab_size
        n = self.order
        top: collections.Counter[Gram] = collections.Counter(
            tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)
        )
        counts: list[dict[Gram, int]] = [{} for _ in range(n)]
        counts[n - 1] = dict(top)
        for k in range(n - 2, -1, -1):  # continuation counts: distinct left neighbours of each (k+1)-gram
            cont: collections.Counter[Gram] = collections.Counter(g[1:] for g in counts[k + 1])
            counts[k] = dict(cont)
        self.counts = counts
        self.context_total, self.context_types = [], []
        for k in range(n):
            total: collections.Counter[Gram] = collections.Counter()
            types: collections.Counter[Gram] = collections.Counter()
            for g, c in counts[k].items():
                total[g[:-1]] += c
                types[g[:-1]] += 1
            self.context_total.append(dict(total))
            self.context_types.append(dict(types))
        return self

    def _ids(self, name: str, ids: torch.Tensor | Sequence[int], vocab_size: int, *, min_tokens: int = 2) -> list[int]:
        check_positive_int("vocab_size", vocab_size)
        if isinstance(ids, torch.Tensor):
            check_tensor(name, ids, ndim=1, floating=False, nonempty=min_tokens > 0)
            tokens = [int(t) for t in ids.tolist()]
        elif isinstance(ids, Sequence) and not isinstance(ids, str):
            tokens = list(ids)
            if not all(isinstance(t, int) and not isinstance(t, bool) for t in tokens):
                raise TypeError(f"{name} must hold int token ids")
        else:
            raise TypeError(f"{name} must be a 1-D integer tensor or a list of ints, got {type(ids).__name__}")
        if len(tokens) < min_tokens:
            raise ValueError(f"{name} must hold at least {min_tokens} tokens, got {len(tokens)}")
        if not tokens:
            return tokens
        lo, hi = min(tokens), max(tokens)
        if lo < 0 or hi >= vocab_size:
            raise ValueError(
                f"{name} must hold token ids in [0, {vocab_size}) (vocab_size), got values in [{lo}, {hi}]"
            )
        return tokens

    def _check_fitted(self) -> None:
        if not self.counts:
            raise RuntimeError("this KneserNeyLM is not fitted yet: call .fit(train_ids, vocab_size) first")

    def prob(self, word: int, context: Sequence[int] = ()) -> float:
        """``P(word | context)``; only the last ``order - 1`` tokens of ``context`` are used."""
        self._check_fitted()
        if isinstance(word, bool) or not isinstance(word, int):
            raise TypeError(
                f"word must be an int token id in [0, {self.vocab_size}), got {type(word).__name__} {word!r}"
            )
        if not 0 <= word < self.vocab_size:
            raise ValueError(f"word must be a token id in [0, {self.vocab_size}), got {word}")
        tokens = self._ids("context", context, self.vocab_size, min_tokens=0)
        h = tuple(tokens)[-(self.order - 1) :] if self.order > 1 else ()
        return self._prob(word, h)

    def _prob(self, word: int, h: Gram) -> float:
        D = self.discount
        # the unigram level: discounted continuation counts, the rest spread uniformly
        total1 = self.context_total[0][()]
        p = (
            max(self.counts[0].get((word,), 0) - D, 0.0) / total1
            + D * self.context_types[0][()] / total1 / self.vocab_size
        )
        for k in range(1, len(h) + 1):  # contexts of length 1 .. len(h), the shortest first
            ctx = h[len(h) - k :]
            total = self.context_total[k].get(ctx, 0)
            if total == 0:  # unseen history: all its mass goes to the lower order
                continue
            c = self.counts[k].get(ctx + (word,), 0)
            p = max(c - D, 0.0) / total + D * self.context_types[k][ctx] / total * p
        return p

    def token_log_probs(self, ids: torch.Tensor | Sequence[int]) -> torch.Tensor:
        """``log P(ids[i] | ids[i - order + 1 : i])`` for every ``i >= 1``, as a float64 tensor of ``len(ids) - 1``."""
        self._check_fitted()
        tokens = self._ids("ids", ids, self.vocab_size)
        m = self.order - 1
        return torch.tensor(
            [
                math.log(self._prob(tokens[i], tuple(tokens[max(0, i - m) : i]) if m else ()))
                for i in range(1, len(tokens))
            ],
            dtype=torch.float64,
        )

    def history_seen(self, ids: torch.Tensor | Sequence[int]) -> torch.Tensor:
        """For every ``i >= 1``: whether the history of ``ids[i]`` at the top order was seen in training.

        The history is the ``order - 1`` tokens before ``ids[i]`` (fewer at the
        stream's start); unseen, its probability comes from the lower orders
        alone. A boolean tensor of ``len(ids) - 1``, aligned with
        :meth:`token_log_probs`.
        """
        self._check_fitted()
        tokens = self._ids("ids", ids, self.vocab_size)
        m = self.order - 1
        out = []
        for i in range(1, len(tokens)):
            h = tuple(tokens[max(0, i - m) : i]) if m else ()
            out.append(self.context_total[len(h)].get(h, 0) > 0)
        return torch.tensor(out, dtype=torch.bool)

    def log_prob(self, ids: torch.Tensor | Sequence[int]) -> tuple[float, int]:
        """Sum of ``log P(ids[i] | ids[i - order + 1 : i])`` for ``i >= 1``, and the number of tokens scored."""
        lp = self.token_log_probs(ids)
        return float(lp.sum()), len(lp)

    def perplexity(self, ids: torch.Tensor | Sequence[int]) -> float:
        """``exp`` of the mean negative log-probability of every token after the first."""
        total, count = self.log_prob(ids)
        return math.exp(-total / count)
