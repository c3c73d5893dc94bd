"""Companion package of the book *Recurrent Networks and LSTMs, Hands-On*.

Modules, each small and about one idea:

- :mod:`lstm_companion.data` – checked downloads, tokenisation, ``Vocab``, batching (chapter 1)
- :mod:`lstm_companion.rnn` – an RNN from scratch, convertible to ``nn.RNN`` (chapter 1)
- :mod:`lstm_companion.lm` – language-model wrapper, baselines, sampling (chapter 1)
- :mod:`lstm_companion.train` – training with truncated BPTT and clipping, devices (chapters 1–2)
- :mod:`lstm_companion.checkpoint` – load-or-train cache keyed by settings and code (chapter 1)
- :mod:`lstm_companion.diagnostics` – per-step gradient norms and decay rates (chapter 2)
- :mod:`lstm_companion.tasks` – seeded synthetic long-range tasks (chapter 2)
- :mod:`lstm_companion.lstm` – an LSTM from scratch, convertible to ``nn.LSTM`` (chapters 3–4)
- :mod:`lstm_companion.recipes` – the cached character-LM training recipes (chapters 3–4)
- :mod:`lstm_companion.sequences` – padding, masking and packing utilities (chapter 5)
- :mod:`lstm_companion.forecast` – sunspots, standardising, autoregression (chapter 5)
- :mod:`lstm_companion.digits` – 8×8 digits read row by row, and a baseline (chapter 5)
- :mod:`lstm_companion.bilstm` – a BiLSTM from scratch, look-ahead tagging, why a BiLSTM is no language model (chapter 6)
- :mod:`lstm_companion.sentiment` – sentence polarity data, (Bi)LSTM classifier, bag-of-n-grams baseline (chapters 6–7)
- :mod:`lstm_companion.attention` – additive, general and dot-product attention with masking (chapter 7)
- :mod:`lstm_companion.seq2seq` – LSTM encoder–decoders, greedy decoding, checkpoints (chapter 7)
- :mod:`lstm_companion.translation` – Tatoeba English–French pairs (chapter 7)
- :mod:`lstm_companion.bleu` – corpus BLEU (chapter 7)
- :mod:`lstm_companion.gru` – a GRU from scratch, convertible to ``nn.GRU`` (chapter 8)
- :mod:`lstm_companion.variants` – LSTM variants and the ablation runner (chapter 8)
- :mod:`lstm_companion.interpret` – what the cells track: signals, correlations against controls, coloured text, gate statistics (chapter 9)
- :mod:`lstm_companion.fast_lstm` – the same LSTM five ways, proved equal to ``nn.LSTM``; hand-written BPTT; timing and profiling (chapter 10)
- :mod:`lstm_companion.results` – finds the committed results of the book's scripts (chapters 6–10)
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

# Chapters 3-4: shared, cached training recipes.
from . import recipes  # noqa: E402
from .recipes import CharLM, char_lm  # noqa: E402

__all__ += ["recipes", "CharLM", "char_lm"]

# Chapter 5: nn.LSTM in practice (variable-length batches, digits read row by row, forecasting).
from . import digits, forecast, sequences  # noqa: E402
from .sequences import PaddedSequenceModel, last_valid, length_mask, pad_batch  # noqa: E402

__all__ += ["digits", "forecast", "sequences", "PaddedSequenceModel", "last_valid", "length_mask", "pad_batch"]

# Chapters 6-10: committed results of the longer scripts.
from . import results  # noqa: E402

__all__ += ["results"]

# Chapter 6: bidirectional LSTMs and sentence sentiment.
from . import bilstm, sentiment  # noqa: E402
from .bilstm import BiLSTMScratch, reverse_padded  # noqa: E402
from .sentiment import SentimentClassifier, load_polarity  # noqa: E402

__all__ += ["bilstm", "sentiment", "BiLSTMScratch", "reverse_padded", "SentimentClassifier", "load_polarity"]

# Chapter 7: attention, encoder-decoders, BLEU.
from . import attention, bleu, seq2seq, translation  # noqa: E402

__all__ += ["attention", "bleu", "seq2seq", "translation"]

# Chapter 8: the GRU from scratch, LSTM variants and the ablation.
from . import gru, variants  # noqa: E402
from .gru import GRUScratch, gru_num_params  # noqa: E402
from .variants import LSTMVariant  # noqa: E402

__all__ += ["gru", "variants", "GRUScratch", "gru_num_params", "LSTMVariant"]

# Chapter 9: what the cells learn.
from . import interpret  # noqa: E402

__all__ += ["interpret"]

# Chapter 10: making an LSTM fast.
from . import fast_lstm  # noqa: E402
from .fast_lstm import BPTTLSTM, FusedLSTM, PremultipliedLSTM  # noqa: E402

__all__ += ["fast_lstm", "FusedLSTM", "PremultipliedLSTM", "BPTTLSTM"]
