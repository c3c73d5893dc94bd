"""Data: checked downloads, vocabularies and batching, each data set's loader, the synthetic tasks.

- :mod:`~lstm_companion.data.download` – the registry of data files and
  ``fetch``, through which every loader reads them; the committed results and
  ``find_results`` (chapters 6-10)
- :mod:`~lstm_companion.data.text` – tokens, ``Vocab``, *The Time Machine*
  (chapters 1-4, 6, 8 and 9)
- :mod:`~lstm_companion.data.batching` – language-model minibatches (chapter
  1); padding, length masks, the last valid step (chapter 5)
- :mod:`~lstm_companion.data.synthetic` – seeded synthetic tasks: agreement
  (chapters 2 and 4), sign of sum (5), the adding problem (5 and 8),
  look-ahead (6)
- :mod:`~lstm_companion.data.digits`, :mod:`~lstm_companion.data.sunspots` –
  chapter 5's applications, data that ship with scikit-learn and statsmodels
- :mod:`~lstm_companion.data.polarity` – sentence polarity (chapters 6 and 7)
- :mod:`~lstm_companion.data.tatoeba` – English-French sentence pairs
  (chapter 7)
- :mod:`~lstm_companion.data.words` – the English Tatoeba sentences as a
  word-level language-model corpus (chapters 11 and 12)

Data modules import no model.
"""
