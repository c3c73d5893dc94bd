"""Companion package of the book *Recurrent Networks and LSTMs, Hands-On*.

Modules, each small and about one idea:

- :mod:`lstm_companion.data` – checked downloads, tokenisation, ``Vocab``, batching (chapter 1)
- :mod:`lstm_companion.rnn` – an RNN from scratch, convertible to ``nn.RNN`` (chapter 1)
- :mod:`lstm_companion.lm` – language-model wrapper, baselines, sampling (chapter 1)
- :mod:`lstm_companion.train` – training with truncated BPTT and clipping, devices (chapters 1–2)
- :mod:`lstm_companion.checkpoint` – load-or-train cache keyed by settings and code (chapter 1)
- :mod:`lstm_companion.diagnostics` – per-step gradient norms and decay rates (chapter 2)
- :mod:`lstm_companion.tasks` – seeded synthetic long-range tasks (chapter 2)
- :mod:`lstm_companion.plots` – the chapters' figures
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lstm-companion")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from .data import Vocab, fetch, load_time_machine, seq_data_iter_random, seq_data_iter_sequential, split_corpus
from .lm import RNNLM, generate, unigram_perplexity, uniform_perplexity
from .rnn import RNNScratch
from .train import History, TrainConfig, evaluate_perplexity, get_device, seed_everything, train_lm

__all__ = [
    "__version__",
    "Vocab",
    "fetch",
    "load_time_machine",
    "seq_data_iter_random",
    "seq_data_iter_sequential",
    "split_corpus",
    "RNNLM",
    "generate",
    "unigram_perplexity",
    "uniform_perplexity",
    "RNNScratch",
    "History",
    "TrainConfig",
    "evaluate_perplexity",
    "get_device",
    "seed_everything",
    "train_lm",
]

# Chapter 2: gradient diagnostics and long-range tasks (also reachable as
# ``lstm_companion.diagnostics`` and ``lstm_companion.tasks``).
from . import diagnostics, tasks  # noqa: E402
from .diagnostics import geometric_rate, scaled_orthogonal, state_grad_norms  # noqa: E402
from .tasks import LastStateModel, TaskConfig, adding_problem, agreement_task, train_on_task  # noqa: E402

__all__ += [
    "diagnostics",
    "tasks",
    "geometric_rate",
    "scaled_orthogonal",
    "state_grad_norms",
    "LastStateModel",
    "TaskConfig",
    "adding_problem",
    "agreement_task",
    "train_on_task",
]

# Chapters 3-5: the LSTM from scratch.
from . import lstm  # noqa: E402
from .lstm import LSTMCellScratch, LSTMScratch, lstm_num_params, set_forget_bias  # noqa: E402

__all__ += ["lstm", "LSTMCellScratch", "LSTMScratch", "lstm_num_params", "set_forget_bias"]
