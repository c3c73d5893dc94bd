"""Models: recurrent layers written from scratch and fast, attention, and the models built from them.

Models never import training code: every model can be used without the
training loop.

- :mod:`~lstm_companion.models.scratch_base`,
  :mod:`~lstm_companion.models.state` – what the scratch layers share: their
  base classes (sizes, PyTorch's initialisation, one cell per layer); the
  state types, ``detach_state``
- :mod:`~lstm_companion.models.rnn` – ``RNNScratch`` = ``nn.RNN``, and BPTT by
  hand (chapter 1)
- :mod:`~lstm_companion.models.lstm` – ``LSTMScratch`` = ``nn.LSTM``, gate by
  gate (chapters 3 and 4)
- :mod:`~lstm_companion.models.bilstm` – ``BiLSTMScratch`` =
  ``nn.LSTM(bidirectional=True)`` (chapter 6)
- :mod:`~lstm_companion.models.gru` – ``GRUScratch`` = ``nn.GRU`` (chapter 8)
- :mod:`~lstm_companion.models.variants` – one LSTM layer with a gate removed
  or coupled (chapter 8)
- :mod:`~lstm_companion.models.fast_lstm` – a package: the same LSTM seven
  ways, each equal to ``nn.LSTM``, and the ladder that names them (chapter 10)
- :mod:`~lstm_companion.models.attention` – masked additive, general and
  dot-product attention (chapter 7)
- :mod:`~lstm_companion.models.seq2seq` – LSTM encoder-decoders, greedy
  decoding, translation (chapter 7)
- :mod:`~lstm_companion.models.lm` – character language models and
  generation (chapters 1-4, 6, 8 and 9)
- :mod:`~lstm_companion.models.task_models` – models around a recurrent core:
  last-state prediction, padded sequences, tagging (chapters 2, 4, 5, 6 and 8),
  chapter 14's token tagger for the synthetic tasks
- :mod:`~lstm_companion.models.classifier` – the sentence classifier
  (chapters 6 and 7)
- :mod:`~lstm_companion.models.word_lm` – the regularised word-level LSTM
  language model: locked, embedding and weight dropout, tied weights
  (chapters 11 and 12)
- :mod:`~lstm_companion.models.forecaster` – ``LSTMForecaster``, direct
  multi-step forecasts with an optional attention over the encoder's states
  (chapter 13)
- :mod:`~lstm_companion.models.slstm`, :mod:`~lstm_companion.models.mlstm`,
  :mod:`~lstm_companion.models.scan` – the xLSTM's sLSTM and mLSTM (the
  mLSTM in three forms), the linear-recurrence scans and minGRU (chapter 14)
"""
