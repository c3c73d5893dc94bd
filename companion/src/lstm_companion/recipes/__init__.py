"""Recipes: each chapter's cached experiments, built from data, models, training and measures.

Only this layer combines all the others. The settings live in module
constants (:data:`~lstm_companion.CHAR_LM_RECIPES`, frozen recipes holding
their :class:`~lstm_companion.FitConfig`,
:data:`~lstm_companion.SENTIMENT_RECIPE`,
:data:`~lstm_companion.TAYLOR_SETUP`, :data:`~lstm_companion.AIR_SETUP`,
:data:`~lstm_companion.PARITY_RECIPE`, :data:`~lstm_companion.MQAR_RECIPE`,
:data:`~lstm_companion.LM_RECIPE`,
:data:`~lstm_companion.ABLATION_RECIPES`), shared by the chapters and, where
a table is committed, by the script that computes it.

- :mod:`~lstm_companion.recipes.char_lm` – the character language models of
  *The Time Machine* shared by chapters 3, 4 and 9
- :mod:`~lstm_companion.recipes.sentiment` – chapter 6's sentence
  classifiers, cached (chapters 6 and 7)
- :mod:`~lstm_companion.recipes.translation` – save and load the committed
  translation checkpoint, sha256-checked (chapter 7)
- :mod:`~lstm_companion.recipes.ablations` – chapter 8's ablation: eight
  recurrent cores, two tasks, the results table
- :mod:`~lstm_companion.recipes.forecasting` – chapter 13's two series laid
  out for rolling-origin evaluation, and its cached LSTM forecasters
- :mod:`~lstm_companion.recipes.word_lm` – the word-level language model's
  table settings and seeded, cached training on ``train_lm`` (chapters 11
  and 12)
- :mod:`~lstm_companion.recipes.train_ddp` – chapter 12's training program,
  run as ``python -m lstm_companion.recipes.train_ddp`` under ``torchrun``
  (never imported by the package)
- :mod:`~lstm_companion.recipes.xlstm_tasks` – chapter 14's synthetic tasks
  and character language models at matched parameters
"""
