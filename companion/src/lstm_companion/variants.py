"""LSTM variants with gates removed or coupled, for ablations (chapter 8).

Chapter 8 asks which parts of the LSTM matter, as Greff et al. (2017) and
Jozefowicz et al. (2015) did at scale. :class:`LSTMVariant` is one
LSTM layer in the book's row-vector notation (chapter 3)::

    I_t  = sigmoid(X_t W_xi + H_{t-1} W_hi + b_i)      input gate
    F_t  = sigmoid(X_t W_xf + H_{t-1} W_hf + b_f)      forget gate
    O_t  = sigmoid(X_t W_xo + H_{t-1} W_ho + b_o)      output gate
    C~_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)         candidate cell
    C_t  = F_t * C_{t-1} + I_t * C~_t
    H_t  = O_t * tanh(C_t)

in which one part can be switched off (:data:`VARIANTS`):

- ``"vanilla"``: the equations above, exactly ``nn.LSTM``;
- ``"no_forget"``: ``F_t = 1`` (the 1997 LSTM without the forget gate of Gers et al., 2000);
- ``"no_input"``: ``I_t = 1``;
- ``"no_output"``: ``O_t = 1``;
- ``"coupled"``: ``I_t = 1 - F_t`` (CIFG: one gate decides both how much to forget and how much to write).

A removed gate has no weights at all, so a variant has fewer parameters
(:meth:`LSTMVariant.num_params`). The gates that remain are fused: one
``(num_inputs, k * num_hiddens)`` matrix ``W_x`` and one ``(num_hiddens,
k * num_hiddens)`` matrix ``W_h`` for the ``k`` blocks present, in
``nn.LSTM``'s block order (i, f, g, o). The input projection ``X_t W_x + b``
is computed for all time steps in one matrix product before the loop, so the
Python loop only does ``H_{t-1} W_h`` and elementwise work per step.

The second half of the module is chapter 8's ablation: :data:`ABLATIONS`
(the eight recurrent cores), :data:`ABLATION_SETTINGS` (the two tasks' sizes
and optimiser), :func:`run_ablation` (build, train, score one run; the
script ``scripts/ablations.py`` calls it 48 times) and
:func:`load_ablation_table` (read the script's ``results/ablations.json``).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ._checks import check_lstm_input, check_positive_int
from ._params import uniform_parameter
from .checkpoint import load_or_train
from .data import load_time_machine, split_corpus
from .lm import RNNLM
from .lstm import check_one_layer_lstm, copy_fused_from_torch, fused_to_torch
from .tasks import LastStateModel, TaskConfig, adding_problem, mean_squared_error, train_on_task
from .train import History, TrainConfig, evaluate_perplexity, get_device, seed_everything, train_lm
from .results import find_results

__all__ = [
    "VARIANTS",
    "VARIANT_BLOCKS",
    "LSTMVariant",
    "ABLATIONS",
    "ABLATION_SETTINGS",
    "ABLATION_TASKS",
    "AblationData",
    "make_core",
    "ablation_data",
    "ablation_model",
    "train_ablation",
    "evaluate_ablation",
    "run_ablation",
    "load_ablation_table",
]

#: The blocks (gates and candidate ``"c"``) each variant computes, in ``nn.LSTM``'s order (i, f, g, o).
VARIANT_BLOCKS: dict[str, tuple[str, ...]] = {
    "vanilla": ("i", "f", "c", "o"),
    "no_forget": ("i", "c", "o"),
    "no_input": ("f", "c", "o"),
    "no_output": ("i", "f", "c"),
    "coupled": ("f", "c", "o"),
}
VARIANTS = tuple(VARIANT_BLOCKS)

LSTMState = tuple[torch.Tensor, torch.Tensor]


class LSTMVariant(nn.Module):
    """One LSTM layer with a gate removed or coupled, with ``nn.LSTM``'s interface (chapter 8).

    ``forward(X, state=None)`` takes time-major ``X`` ``(num_steps,
    batch_size, num_inputs)`` and an optional ``(H0, C0)``, each ``(1,
    batch_size, num_hiddens)``; it returns the hidden states ``(num_steps,
    batch_size, num_hiddens)`` and ``(H_n, C_n)``, each ``(1, batch_size,
    num_hiddens)``, like a one-layer ``nn.LSTM``. It exposes ``input_size``/
    ``hidden_size`` and ``num_inputs``/``num_hiddens``, so it drops into
    :class:`~lstm_companion.lm.RNNLM` and
    :class:`~lstm_companion.tasks.LastStateModel`.

    Weights start uniform in ``[-1/sqrt(h), 1/sqrt(h)]`` as in PyTorch.
    ``forget_bias`` (a number) then sets ``b_f``; ``None`` keeps the uniform
    start. Variants without a forget gate (``"no_forget"``) take only
    ``forget_bias=None``.
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        *,
        variant: str = "vanilla",
        forget_bias: float | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        check_positive_int("num_inputs", num_inputs)
        check_positive_int("num_hiddens", num_hiddens)
        if variant not in VARIANT_BLOCKS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if forget_bias is not None:
            if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)):
                raise TypeError(f"forget_bias must be a finite number or None, got {type(forget_bias).__name__} {forget_bias!r}")
            if not math.isfinite(forget_bias):
                raise ValueError(f"forget_bias must be a finite number or None, got {forget_bias}")
            if "f" not in VARIANT_BLOCKS[variant]:
                raise ValueError(f"variant={variant!r} has no forget gate, so forget_bias must be None, got {forget_bias}")
        self.num_inputs = self.input_size = num_inputs
        self.num_hiddens = self.hidden_size = num_hiddens
        self.variant = variant
        self.forget_bias = None if forget_bias is None else float(forget_bias)
        self.blocks = VARIANT_BLOCKS[variant]
        k, h = len(self.blocks), num_hiddens
        bound = 1.0 / math.sqrt(h)

        def param(*shape: int) -> nn.Parameter:
            return uniform_parameter(*shape, bound=bound, dtype=dtype, device=device)

        self.W_x = param(num_inputs, k * h)  # (num_inputs, k * num_hiddens): the blocks side by side
        self.W_h = param(h, k * h)  # (num_hiddens, k * num_hiddens)
        self.b = param(k * h)  # (k * num_hiddens,)
        if self.forget_bias is not None:
            with torch.no_grad():
                self.b[self.block_slice("f")] = self.forget_bias

    def extra_repr(self) -> str:
        return (
            f"num_inputs={self.num_inputs}, num_hiddens={self.num_hiddens}, variant={self.variant!r}, "
            f"forget_bias={self.forget_bias}"
        )

    def block_slice(self, block: str) -> slice:
        """The columns of ``W_x``, ``W_h`` and ``b`` that belong to ``block`` (``"i"``, ``"f"``, ``"c"``, ``"o"``)."""
        if block not in self.blocks:
            raise ValueError(f"block must be one of {self.blocks} for variant={self.variant!r}, got {block!r}")
        j = self.blocks.index(block)
        return slice(j * self.num_hiddens, (j + 1) * self.num_hiddens)

    def num_params(self) -> int:
        """``k (h (d + h) + h)`` for ``k`` blocks: 4 for ``"vanilla"``, 3 for the others."""
        return sum(p.numel() for p in self.parameters())

    def begin_state(self, batch_size: int) -> LSTMState:
        """Zero ``(H, C)``, each ``(1, batch_size, num_hiddens)``."""
        shape = (1, batch_size, self.num_hiddens)
        w = self.W_h
        return torch.zeros(shape, dtype=w.dtype, device=w.device), torch.zeros(shape, dtype=w.dtype, device=w.device)

    def check_inputs(self, X: torch.Tensor, state: object) -> None:
        """Raise a clear error for a wrongly shaped, typed or placed input or state."""
        check_lstm_input(X, state, num_inputs=self.num_inputs, num_hiddens=self.num_hiddens, like=self.W_h)

    def forward(self, X: torch.Tensor, state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        self.check_inputs(X, state)
        H0, C0 = self.begin_state(X.shape[1]) if state is None else state
        H, C = H0[0], C0[0]  # (batch_size, num_hiddens)
        cols = {g: self.block_slice(g) for g in self.blocks}
        sigmoid_blocks = [g for g in self.blocks if g != "c"]  # the gates present
        XW = (X @ self.W_x + self.b).unbind(0)  # num_steps tensors (batch_size, k * num_hiddens), all steps at once
        outputs = []
        for XW_t in XW:
            A = XW_t + H @ self.W_h  # (batch_size, k * num_hiddens): every block's pre-activation
            gates = {g: torch.sigmoid(A[:, cols[g]]) for g in sigmoid_blocks}  # each (batch_size, num_hiddens)
            C_tilde = torch.tanh(A[:, cols["c"]])
            if self.variant == "coupled":
                C = gates["f"] * C + (1.0 - gates["f"]) * C_tilde  # I_t = 1 - F_t
            else:
                new = C_tilde if "i" not in gates else gates["i"] * C_tilde  # I_t = 1 without an input gate
                C = C + new if "f" not in gates else gates["f"] * C + new  # F_t = 1 without a forget gate
            H = torch.tanh(C) if "o" not in gates else gates["o"] * torch.tanh(C)  # O_t = 1 without an output gate
            outputs.append(H)
        return torch.stack(outputs), (H[None], C[None])  # (num_steps, batch_size, num_hiddens)

    # ------------------------------------------------------------ conversion

    @classmethod
    def from_torch(cls, lstm: nn.LSTM) -> LSTMVariant:
        """A ``"vanilla"`` variant with the weights of a one-layer, unidirectional ``nn.LSTM``."""
        check_one_layer_lstm(lstm)
        w = lstm.weight_ih_l0
        new = cls(lstm.input_size, lstm.hidden_size, variant="vanilla", dtype=w.dtype, device=w.device)
        copy_fused_from_torch(lstm, new.W_x, new.W_h, new.b)
        return new

    def to_torch(self) -> nn.LSTM:
        """An ``nn.LSTM`` computing the same function; only the ``"vanilla"`` variant has one."""
        if self.variant != "vanilla":
            raise ValueError(f"only variant='vanilla' converts to nn.LSTM, got variant={self.variant!r}")
        return fused_to_torch(self.W_x, self.W_h, self.b)


# ---------------------------------------------------------------- ablations (chapter 8)

#: The eight models of chapter 8's ablation, each differing from ``"vanilla"`` in one respect.
#: ``core``: ``"lstm"`` (an :class:`LSTMVariant`), ``"gru"`` (``nn.GRU``) or ``"rnn"`` (``nn.RNN``, tanh).
ABLATIONS: dict[str, dict[str, Any]] = {
    "vanilla": {"core": "lstm", "variant": "vanilla", "forget_bias": 1.0},
    "forget_bias_0": {"core": "lstm", "variant": "vanilla", "forget_bias": 0.0},
    "no_forget": {"core": "lstm", "variant": "no_forget", "forget_bias": None},
    "no_input": {"core": "lstm", "variant": "no_input", "forget_bias": 1.0},
    "no_output": {"core": "lstm", "variant": "no_output", "forget_bias": 1.0},
    "coupled": {"core": "lstm", "variant": "coupled", "forget_bias": 1.0},
    "gru": {"core": "gru"},
    "rnn": {"core": "rnn"},
}

#: The two tasks' settings (sizes, data, optimiser); the ablation script and chapter 8 share them.
ABLATION_SETTINGS: dict[str, dict[str, Any]] = {
    "adding": {
        "num_steps": 50,  # sequence length T
        "num_hiddens": 64,
        "num_train": 10_000,  # training samples (data seed 0)
        "num_test": 2_000,  # test samples (data seed 1)
        "num_updates": 1000,
        "batch_size": 64,
        "lr": 1e-2,
        "optimizer": "adam",
        "clip": 1.0,
    },
    "char_lm": {
        "num_hiddens": 128,
        "val_fraction": 0.1,
        "num_epochs": 5,
        "batch_size": 64,
        "num_steps": 32,
        "lr": 1e-2,
        "optimizer": "adam",
        "clip": 1.0,
    },
}

ABLATION_TASKS = tuple(ABLATION_SETTINGS)


def make_core(ablation: str, num_inputs: int, num_hiddens: int) -> nn.Module:
    """The recurrent core of ``ablation`` (a key of :data:`ABLATIONS`), time-major like ``nn.LSTM`` (chapter 8)."""
    if ablation not in ABLATIONS:
        raise ValueError(f"ablation must be one of {tuple(ABLATIONS)}, got {ablation!r}")
    spec = ABLATIONS[ablation]
    if spec["core"] == "gru":
        return nn.GRU(num_inputs, num_hiddens)
    if spec["core"] == "rnn":
        return nn.RNN(num_inputs, num_hiddens)
    return LSTMVariant(num_inputs, num_hiddens, variant=spec["variant"], forget_bias=spec["forget_bias"])


@dataclass
class AblationData:
    """The data of one ablation task (chapter 8); unused fields stay ``None``."""

    task: str
    X_train: torch.Tensor | None = None  # adding: (num_train, num_steps, 2)
    y_train: torch.Tensor | None = None  # adding: (num_train,)
    X_test: torch.Tensor | None = None  # adding: (num_test, num_steps, 2)
    y_test: torch.Tensor | None = None  # adding: (num_test,)
    train_corpus: torch.Tensor | None = None  # char_lm: token indices
    val_corpus: torch.Tensor | None = None  # char_lm: held-out tail
    vocab_size: int = 0  # char_lm: 28 characters


def _check_task(task: object) -> str:
    if task not in ABLATION_SETTINGS:
        raise ValueError(f"task must be one of {ABLATION_TASKS}, got {task!r}")
    return task  # type: ignore[return-value]


def ablation_data(task: str) -> AblationData:
    """Load or generate the data of ``task`` (``"adding"`` or ``"char_lm"``) with :data:`ABLATION_SETTINGS`."""
    s = ABLATION_SETTINGS[_check_task(task)]
    if task == "adding":
        X, y = adding_problem(s["num_train"], s["num_steps"], seed=0)
        X_test, y_test = adding_problem(s["num_test"], s["num_steps"], seed=1)
        return AblationData(task, X_train=X, y_train=y, X_test=X_test, y_test=y_test)
    corpus, vocab = load_time_machine()
    train_corpus, val_corpus = split_corpus(corpus, s["val_fraction"])
    return AblationData(task, train_corpus=train_corpus, val_corpus=val_corpus, vocab_size=len(vocab))


def ablation_model(task: str, ablation: str, seed: int, data: AblationData) -> nn.Module:
    """A freshly initialised model (seeded with ``seed``) for ``task`` around ``ablation``'s core (chapter 8)."""
    s = ABLATION_SETTINGS[_check_task(task)]
    seed_everything(seed)
    if task == "adding":
        return LastStateModel(make_core(ablation, 2, s["num_hiddens"]), 1)
    return RNNLM(make_core(ablation, data.vocab_size, s["num_hiddens"]), data.vocab_size)


def train_ablation(
    task: str,
    model: nn.Module,
    seed: int,
    data: AblationData,
    *,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` on ``task`` with :data:`ABLATION_SETTINGS`, minibatch order seeded by ``seed`` (chapter 8)."""
    s = ABLATION_SETTINGS[_check_task(task)]
    if task == "adding":
        assert data.X_train is not None and data.y_train is not None
        config = TaskConfig(num_updates=s["num_updates"], batch_size=s["batch_size"], lr=s["lr"],
                            optimizer=s["optimizer"], clip=s["clip"], seed=seed)
        return train_on_task(model, data.X_train, data.y_train, config, device=device, progress=progress)
    assert data.train_corpus is not None
    config = TrainConfig(num_epochs=s["num_epochs"], batch_size=s["batch_size"], num_steps=s["num_steps"], lr=s["lr"],
                         optimizer=s["optimizer"], clip=s["clip"], seed=seed, restore_best=True)
    return train_lm(model, data.train_corpus, data.val_corpus, config, device=device, progress=progress)


def evaluate_ablation(task: str, model: nn.Module, data: AblationData) -> float:
    """The measure of ``task``: test MSE (adding) or held-out perplexity (char_lm); lower is better."""
    if _check_task(task) == "adding":
        assert data.X_test is not None and data.y_test is not None
        return mean_squared_error(model, data.X_test, data.y_test)
    assert data.val_corpus is not None
    return evaluate_perplexity(model, data.val_corpus)


def run_ablation(
    task: str,
    ablation: str,
    seed: int,
    data: AblationData | None = None,
    *,
    device: torch.device | str | None = "cpu",
    cache: bool = False,
    progress: bool = True,
) -> tuple[float, nn.Module]:
    """Build, train (or, with ``cache``, load via ``checkpoint.load_or_train``) and evaluate one run (chapter 8).

    Returns ``(score, model)``: the test MSE or the held-out perplexity. The
    ablation script (``scripts/ablations.py``) calls this for every task,
    ablation and seed; chapter 8 reruns a few with ``cache=True``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    data = ablation_data(task) if data is None else data
    if data.task != task:
        raise ValueError(f"data must be the data of task {task!r}, got data of {data.task!r}")
    dev = get_device(device)
    model = ablation_model(task, ablation, seed, data).to(dev)

    def train() -> History:
        return train_ablation(task, model, seed, data, device=dev, progress=progress)

    if cache:
        settings = {"task": task, "ablation": ablation, "seed": seed, **ABLATIONS[ablation], **ABLATION_SETTINGS[task]}
        load_or_train(f"ch08-{task}-{ablation}-{seed}", model, settings, train, device=dev)
    else:
        train()
    return evaluate_ablation(task, model, data), model


def load_ablation_table(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read the table written by ``scripts/ablations.py`` (chapter 8).

    Without ``path``, find ``results/ablations.json`` with
    :func:`lstm_companion.results.find_results` (a notebook runs in ``notebooks/``). The table holds
    ``settings``, ``ablations``, ``seeds``, ``machine``,
    ``companion_version`` and ``results[task][ablation]`` with the per-seed
    ``scores`` and their ``mean``, ``min``, ``max`` and ``std``.
    """
    if path is None:
        path = find_results("ablations.json")
    table = json.loads(Path(path).read_text())
    missing = {"settings", "ablations", "seeds", "results"} - set(table)
    if missing:
        raise ValueError(f"{path} is not an ablation table: it lacks the keys {sorted(missing)}")
    return table
