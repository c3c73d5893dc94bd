"""Measuring: metrics and baselines, BLEU, gradient diagnostics, interpretability, the speed benchmark.

- :mod:`~lstm_companion.measure.metrics` – accuracies, perplexity, MSE, RMSE
  and MAE of trained models (chapters 2, 4, 5, 6 and 8)
- :mod:`~lstm_companion.measure.baselines` – what a model must beat: uniform
  and unigram perplexity (chapters 1, 4 and 6), logistic regression and
  autoregression (chapter 5), bags of n-grams (chapter 6)
- :mod:`~lstm_companion.measure.diagnostics` – per-step gradient norms and
  their decay rate (chapters 2 and 3)
- :mod:`~lstm_companion.measure.bleu` – BLEU written out, and the BLEU of a
  translation model (chapter 7)
- :mod:`~lstm_companion.measure.signals` – text signals, one number per
  character (chapter 9)
- :mod:`~lstm_companion.measure.activations` – every unit of a trained LSTM at
  every step: gates, cell, hidden state (chapter 9)
- :mod:`~lstm_companion.measure.interpret` – what the cells track: correlations
  with the signals, shuffled controls, the current character's ceiling, gate
  statistics (chapter 9; the coloured text is in :mod:`lstm_companion.plots`)
- :mod:`~lstm_companion.measure.benchmark` – timing and profiling the LSTM
  implementations (chapter 10), the products a call dispatches (chapter 12)
- :mod:`~lstm_companion.measure.roofline` – the FLOPs of an LSTM's matrix
  products and the least time a training step can take (chapter 10)
- :mod:`~lstm_companion.measure.ngram` – the interpolated Kneser-Ney n-gram
  baseline of the word-level language model (chapter 11)
"""
