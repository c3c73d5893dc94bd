"""Run by tests/test_install.py inside a fresh virtual environment: the installed companion trains.

A forward pass, a backward pass and three training steps of the scratch LSTM,
the fused LSTM and the seq2seq model, through the public API only; then the
optional ``apps`` loaders if scikit-learn and statsmodels are installed, and
sacreBLEU if sacrebleu is.
Prints one JSON line with the versions it ran against.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import matplotlib
import numpy as np
import torch

import lstm_companion as lc

matplotlib.use("Agg")
torch.manual_seed(0)
report: dict[str, object] = {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__}

# Scratch LSTM inside a language model: forward, backward, three steps of the training loop.
vocab_size, num_hiddens = 12, 16
corpus = torch.randint(0, vocab_size, (2000,))
model = lc.RNNLM(lc.LSTMScratch(vocab_size, num_hiddens), vocab_size)
logits, _ = model(corpus[:40].reshape(4, 10))
assert logits.shape == (4, 10, vocab_size)
logits.sum().backward()
assert all(p.grad is not None for p in model.parameters())
config = lc.FitConfig(num_epochs=1, batch_size=4, num_steps=10, lr=0.01, optimizer="adam")
history = lc.train_lm(model, corpus[:130], None, config, device="cpu", progress=False)
assert len(history.step_loss) == 3, history.step_loss  # (130 - 1) // (4 * 10) = 3 minibatches
report["scratch_lstm_losses"] = history.step_loss

# The fused LSTM equals nn.LSTM, and trains on a task.
lstm = torch.nn.LSTM(3, num_hiddens)
fused = lc.FusedLSTM.from_torch(lstm)
X = torch.randn(7, 5, 3)
assert torch.allclose(fused(X)[0], lstm(X)[0], atol=1e-5)
X_task, y_task = lc.adding_problem(96, 10, seed=0)
head = lc.LastStateModel(lc.FusedLSTM(2, num_hiddens), 1)
task_cfg = lc.FitConfig(num_updates=3, batch_size=32, lr=0.01, optimizer="adam")
report["fused_lstm_losses"] = lc.train_on_task(head, X_task, y_task, task_cfg, device="cpu", progress=False).step_loss

# A seq2seq model with attention: forward, backward, three updates of fit.
s2s = lc.build_seq2seq(lc.Seq2SeqConfig(8, 16, 1, 0.0, "luong", "general"), 20, 20)
src = torch.randint(4, 20, (6, 5))
src_len = torch.tensor([5, 5, 4, 3, 2, 1])
tgt = torch.randint(4, 20, (6, 4))
out, _ = s2s(src, src_len, tgt)
assert out.shape == (6, 4, 20)
out.sum().backward()
loss_fn = lambda m, idx, state: (lc.sequence_loss(m(src[idx], src_len[idx], tgt[idx])[0], tgt[idx]), 4, None)
batches = lambda epoch: [torch.arange(6)] * 3
fit_cfg = lc.FitConfig(num_epochs=1, lr=0.01, optimizer="adam")
report["seq2seq_losses"] = lc.fit(s2s, batches, loss_fn, fit_cfg, device="cpu", progress=False).step_loss

# Plots and the optional application loaders.
lc.plot_history(history)
if importlib.util.find_spec("sklearn") and importlib.util.find_spec("statsmodels"):
    import sklearn
    import statsmodels

    split = lc.load_digit_rows(test_fraction=0.25, seed=0)
    years, spots = lc.load_sunspots()
    assert split[0].shape[1:] == (8, 8) and len(years) == len(spots) > 300
    report["sklearn"], report["statsmodels"] = sklearn.__version__, statsmodels.__version__
if importlib.util.find_spec("sacrebleu"):
    import sacrebleu

    score, signature = lc.sacre_bleu([["le", "chat", "dort", "."]], [[["le", "chat", "dort", "."]]])
    assert abs(score - 1.0) < 1e-9 and "nrefs:1" in signature, (score, signature)
    report["sacrebleu"] = sacrebleu.__version__
report["matplotlib"] = matplotlib.__version__
print(json.dumps(report))
