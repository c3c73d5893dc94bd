"""Training: the one training loop, its wrappers for each kind of data, and the load-or-train cache.

- :mod:`~lstm_companion.training.loop` – :func:`~lstm_companion.fit`, the
  loop every chapter trains through, its record,
  :class:`~lstm_companion.History`, and its one update, :func:`~lstm_companion.fit_step` (backward, gradient
  clipping, the optimiser's step) (every chapter that trains)
- :mod:`~lstm_companion.training.config` – :class:`~lstm_companion.FitConfig`,
  the one training config every loop and wrapper takes, the one rule for
  seeds, and the recipes' rule (:func:`~lstm_companion.check_recipe`,
  :func:`~lstm_companion.recipe_record`) (every chapter that trains)
- :mod:`~lstm_companion.training.bptt` – language models: truncated BPTT,
  perplexity, the learning-rate drop (chapters 1-4, 6, 8 and 9)
- :mod:`~lstm_companion.training.supervised` – sequence tasks, padded
  batches, taggers, sentence classifiers (chapters 2 and 4-8)
- :mod:`~lstm_companion.training.seq2seq` – encoder-decoders with teacher
  forcing (chapter 7)
- :mod:`~lstm_companion.training.cache` – :func:`~lstm_companion.load_or_train`,
  the cache keyed by settings and code (chapters 1 and 3-9)
- :mod:`~lstm_companion.training.checkpoint` – every checkpoint format, read
  through one checked loader: weights, weights with a JSON record (the
  committed translator, chapter 7), and the crash-safe training states that
  let a killed run resume exactly (chapter 12)
- :mod:`~lstm_companion.training.distributed` – several processes:
  process-group setup, the language model's window loss under bfloat16
  autocast, a step on it through ``fit_step`` (chapter 12)
"""
