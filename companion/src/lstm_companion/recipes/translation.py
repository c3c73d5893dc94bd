"""The committed translation checkpoint: save and load an encoder-decoder with its record, sha256-checked (chapter 7).

Training chapter 7's attention model to a useful BLEU takes longer than a
chapter may run, so ``scripts/train_translation.py`` trains it and commits
the result under ``results/translation/``, and chapter 7 loads it:

- :func:`save_pretrained` writes ``name.pt``, the weights as a float16 state
  dict, and ``name.json``, a record of the data and model settings (a
  :class:`~lstm_companion.TranslationConfig` and a
  :class:`~lstm_companion.Seq2SeqConfig`), the caller's entries (such as the
  held-out BLEU) and the checkpoint's sha256. Both files are read back before
  they are renamed into place, so a record that cannot be loaded is never
  written. The pair of files is the format of
  :func:`~lstm_companion.save_with_record` and
  :func:`~lstm_companion.load_with_record`, in
  :mod:`lstm_companion.training.checkpoint` with the package's other
  checkpoint formats, read through the same checked loader.
- :func:`load_pretrained` checks the sha256, rebuilds the data set from the
  record (unless it is given), builds the model and returns ``(model, data,
  record)``, the model in float32 and in eval mode. A missing, damaged or
  mismatched file is an error that names it.

The models are in :mod:`lstm_companion.models.seq2seq`, their training in
:mod:`lstm_companion.training.supervised`, BLEU in
:mod:`lstm_companion.measure.bleu`.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from .._checks import check_folder_and_name, check_record_keys
from ..data.tatoeba import TranslationConfig, TranslationData, load_translation
from ..models.seq2seq import Seq2Seq, Seq2SeqConfig, build_seq2seq
from ..runtime import get_device
from ..training.checkpoint import load_with_record, save_with_record

__all__ = ["save_pretrained", "load_pretrained"]


_WHAT = "translation record (written by save_pretrained)"


def _configs(record: dict[str, Any], where: str) -> tuple[TranslationConfig, Seq2SeqConfig]:
    """The data and model configs of a record; ``where`` (the record or its file) is named in every error."""
    check_record_keys(record, ("data", "model"), where=where, what="translation record")
    out: list[Any] = []
    for key, cls in (("data", TranslationConfig), ("model", Seq2SeqConfig)):
        value = record[key]
        if not isinstance(value, dict):
            raise ValueError(f"{where}: [{key!r}] must be a dict of {cls.__name__} fields, got {type(value).__name__}")
        if unknown := sorted(set(value) - {f.name for f in fields(cls)}):
            raise ValueError(f"{where}: [{key!r}] has fields that {cls.__name__} does not know: {unknown}")
        try:
            config = cls(**value)
            config.check()
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: [{key!r}] is not a valid {cls.__name__}: {err}") from err
        out.append(config)
    return out[0], out[1]


def _check_state_fits(state: dict[str, torch.Tensor], model: Seq2Seq, weights: Path, where: str) -> None:
    """Raise naming ``weights`` unless ``state`` has exactly ``model``'s parameter names and shapes."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing, unexpected = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    wrong = sorted(k for k in set(expected) & set(got) if expected[k] != got[k])
    if missing or unexpected or wrong:
        details = "; ".join(
            part
            for part in (
                f"missing {missing[:5]}" if missing else "",
                f"unexpected {unexpected[:5]}" if unexpected else "",
                ", ".join(f"{k} has shape {got[k]}, expected {expected[k]}" for k in wrong[:5]),
            )
            if part
        )
        raise ValueError(f"{weights} does not fit the model described by {where}: {details}")


def save_pretrained(
    model: Seq2Seq,
    folder: str | os.PathLike[str],
    name: str,
    record: dict[str, Any],
) -> dict[str, Any]:
    """Write ``name.pt`` (float16 state dict) and ``name.json`` (``record`` + sha256) into ``folder`` (chapter 7).

    ``record`` must hold ``"data"`` (a :class:`TranslationConfig` dict) and
    ``"model"`` (a :class:`Seq2SeqConfig` dict). The held-out BLEU stored
    under ``"bleu"`` should be computed from the saved float16 weights (see
    :func:`load_pretrained`). Both files are written to temporary names and
    read back (the JSON parsed, the configs rebuilt, the checkpoint loaded and
    matched against the model the record describes) before they are renamed
    into place, so a record that :func:`load_pretrained` could not read is
    never written. Returns the record written.
    """
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq, got {type(model).__name__}")
    folder, name = check_folder_and_name(folder, name)
    if not isinstance(record, dict):
        raise TypeError(f"record must be a dict holding 'data' and 'model', got {type(record).__name__}")
    _configs(record, "record")  # before anything is written
    state = {
        k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu())
        for k, v in model.state_dict().items()
    }

    def fits(state: dict[str, torch.Tensor], written: dict[str, Any], weights: Path, record_path: Path) -> None:
        """What :func:`load_pretrained` will check, short of rebuilding the data set."""
        _, model_config = _configs(written, str(record_path))
        with torch.random.fork_rng(devices=[]), torch.device("meta"):  # no memory, no draw from the global generator
            described = build_seq2seq(model_config, model.encoder.vocab_size, model.decoder.vocab_size)
        _check_state_fits(state, described, weights, f"the record's 'model' settings {model_config}")

    return save_with_record(folder, name, state, record, fits, what=_WHAT)


def load_pretrained(
    folder: str | os.PathLike[str],
    name: str,
    *,
    data: TranslationData | None = None,
    device: str | torch.device = "cpu",
) -> tuple[Seq2Seq, TranslationData, dict[str, Any]]:
    """Load a model written by :func:`save_pretrained`, after checking its sha256 (chapter 7).

    Rebuilds the data set from the record's ``"data"`` settings (unless
    ``data`` is given; its config must match) and returns ``(model, data,
    record)``, the model in float32 and in eval mode. A checkpoint whose
    sha256 differs from the record is an error naming both hashes; a missing,
    damaged or incomplete record or checkpoint is an error naming the file.
    """
    folder, name = check_folder_and_name(folder, name)
    if data is not None and not isinstance(data, TranslationData):
        raise TypeError(f"data must be a TranslationData or None, got {type(data).__name__}")
    dev = None if device is None else get_device(device)
    record, state, weights = load_with_record(folder, name, what=_WHAT, required=("data", "model"))
    where = str(folder / f"{name}.json")
    config, model_config = _configs(record, where)
    if data is None:
        data = load_translation(config)
    elif data.config != config:
        raise ValueError(f"data was built with {data.config}, but the checkpoint needs {config}")
    model = build_seq2seq(model_config, len(data.src_vocab), len(data.tgt_vocab))
    _check_state_fits(state, model, weights, f"{where} and its data")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    if dev is not None:
        model.to(dev)
    model.eval()
    return model, data, record
