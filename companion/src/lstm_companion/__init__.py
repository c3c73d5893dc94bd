"""Companion package of the book *Recurrent Networks and LSTMs, Hands-On*.

``import lstm_companion as lc`` gives the whole public API as flat names
(``lc.LSTMScratch``, ``lc.train_lm``, ``lc.load_polarity``, ...). Each name has
one home, in a layout that follows the data flow of every chapter:

- :mod:`lstm_companion.runtime` – device, seeding, environment variables,
  folders and addresses, atomic writes, file hashes: what every other module
  may use; :mod:`lstm_companion.rng` – the random generators' states.
- :mod:`lstm_companion.data` – checked downloads of the data files and the
  committed results, vocabularies and batching, each data set's loader, the
  synthetic tasks.
- :mod:`lstm_companion.models` – the from-scratch and fast recurrent layers,
  attention, encoder-decoders, LSTM variants, and the small models built from
  them. Models never import training code.
- :mod:`lstm_companion.training` – the one training loop (:func:`fit`), its
  wrappers for each kind of data, and the load-or-train cache.
- :mod:`lstm_companion.measure` – metrics and baselines, BLEU, gradient
  diagnostics, interpretability, the speed benchmark.
- :mod:`lstm_companion.recipes` – each chapter's cached experiments: the
  character LMs, sentiment, the pretrained translator, the ablations.
- :mod:`lstm_companion.plots` – the chapters' general figures (chapters 1-4,
  7 and 9); a figure tied to one measurement lives with it in ``measure``.

The flat names are exactly the union of the modules' ``__all__`` lists (each
module below is star-imported; ``tests/test_packaging.py`` checks that no name
is defined twice). ``lstm_companion._checks`` holds the argument checks every module shares; it
is not part of the public API. Each module's docstring says what it holds,
which chapters use it and where its neighbours live. ``CONTRIBUTING.md`` at
the repository's root says how to add a chapter, a data set or a model
variant.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lstm-companion")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from . import data, measure, models, recipes, training
from .data.batching import *  # noqa: F403
from .data.digits import *  # noqa: F403
from .data.download import *  # noqa: F403
from .data.polarity import *  # noqa: F403
from .data.series import *  # noqa: F403
from .data.sunspots import *  # noqa: F403
from .data.synthetic import *  # noqa: F403
from .data.tatoeba import *  # noqa: F403
from .data.text import *  # noqa: F403
from .data.words import *  # noqa: F403
from .fingerprint import *  # noqa: F403
from .machine import *  # noqa: F403
from .measure.activations import *  # noqa: F403
from .measure.baselines import *  # noqa: F403
from .measure.benchmark import *  # noqa: F403
from .measure.bleu import *  # noqa: F403
from .measure.diagnostics import *  # noqa: F403
from .measure.forecast_baselines import *  # noqa: F403
from .measure.forecasting import *  # noqa: F403
from .measure.interpret import *  # noqa: F403
from .measure.metrics import *  # noqa: F403
from .measure.ngram import *  # noqa: F403
from .measure.roofline import *  # noqa: F403
from .measure.signals import *  # noqa: F403
from .models.attention import *  # noqa: F403
from .models.bilstm import *  # noqa: F403
from .models.classifier import *  # noqa: F403
from .models.fast_lstm import *  # noqa: F403
from .models.forecaster import *  # noqa: F403
from .models.gru import *  # noqa: F403
from .models.lm import *  # noqa: F403
from .models.lstm import *  # noqa: F403
from .models.mlstm import *  # noqa: F403
from .models.rnn import *  # noqa: F403
from .models.scan import *  # noqa: F403
from .models.scratch_base import *  # noqa: F403
from .models.seq2seq import *  # noqa: F403
from .models.slstm import *  # noqa: F403
from .models.state import *  # noqa: F403
from .models.task_models import *  # noqa: F403
from .models.variants import *  # noqa: F403
from .models.word_lm import *  # noqa: F403
from .plots import *  # noqa: F403
from .recipes.ablations import *  # noqa: F403
from .recipes.char_lm import *  # noqa: F403
from .recipes.forecasting import *  # noqa: F403
from .recipes.sentiment import *  # noqa: F403
from .recipes.translation import *  # noqa: F403
from .recipes.word_lm import *  # noqa: F403
from .recipes.xlstm_tasks import *  # noqa: F403
from .rng import *  # noqa: F403
from .runtime import *  # noqa: F403
from .training.bptt import *  # noqa: F403
from .training.cache import *  # noqa: F403
from .training.checkpoint import *  # noqa: F403
from .training.config import *  # noqa: F403
from .training.distributed import *  # noqa: F403
from .training.forecasting import *  # noqa: F403
from .training.loop import *  # noqa: F403
from .training.seq2seq import *  # noqa: F403
from .training.supervised import *  # noqa: F403

__all__ = sorted(name for name in dir() if not name.startswith("_") and name not in {"PackageNotFoundError", "version"})
__all__ += ["__version__"]
