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
  written.
- :func:`load_pretrained` checks the sha256, rebuilds the data set from the
  record (unless it is given), builds the model and returns ``(model, data,
  record)``, the model in float32 and in eval mode. A missing, damaged or
  mismatched file is an error that names it.

The models are in :mod:`lstm_companion.models.seq2seq`, their training in
:mod:`lstm_companion.training.supervised`, BLEU in
:mod:`lstm_companion.measure.bleu`.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from .._checks import check_record_keys, check_str, read_json_record
from ..data.tatoeba import TranslationConfig, TranslationData, load_translation
from ..models.seq2seq import Seq2Seq, Seq2SeqConfig, build_seq2seq
from ..runtime import atomic_write_many, file_hash, get_device

__all__ = ["save_pretrained", "load_pretrained"]


#: The keys every record written by :func:`save_pretrained` holds (besides the caller's own).
_RECORD_KEYS = ("checkpoint", "sha256", "data", "model")


def _check_name(name: object) -> str:
    check_str("name", name)
    assert isinstance(name, str)
    if Path(name).name != name or name in (".", ".."):
        raise ValueError(
            f"name must be a plain file name without a folder (the files are name.pt and name.json), got {name!r}"
        )
    return name


def _check_folder(folder: object) -> Path:
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a str or os.PathLike, got {type(folder).__name__}")
    return Path(folder)


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


def _load_state(weights: Path) -> dict[str, torch.Tensor]:
    """The state dict saved in ``weights``; a damaged or foreign file raises naming it."""
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, OSError, pickle.UnpicklingError) as err:
        raise ValueError(f"{weights} is not a readable checkpoint (damaged or truncated?): {err}") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{weights} is not a state dict of tensors (got {type(state).__name__})")
    return state


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
    folder = _check_folder(folder)
    name = _check_name(name)
    if not isinstance(record, dict):
        raise TypeError(f"record must be a dict holding 'data' and 'model', got {type(record).__name__}")
    _configs(record, "record")  # before anything is written
    weights = folder / f"{name}.pt"
    state = {
        k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu())
        for k, v in model.state_dict().items()
    }
    written: dict[str, Any] = {}

    def write_weights(tmp: Path) -> None:
        torch.save(state, tmp)
        written["weights"] = tmp
        written["record"] = dict(record, checkpoint=weights.name, sha256=file_hash(tmp), bytes=tmp.stat().st_size)

    def write_record(tmp: Path) -> None:
        try:
            text = json.dumps(written["record"], indent=2, sort_keys=True) + "\n"
        except (TypeError, ValueError) as err:
            raise TypeError(f"record must hold only JSON values (str, numbers, lists, dicts, None): {err}") from err
        tmp.write_text(text)
        _read_back(written["weights"], tmp, model)

    atomic_write_many({weights: write_weights, folder / f"{name}.json": write_record})  # both checked, then renamed
    out: dict[str, Any] = written["record"]
    return out


def _read_back(weights: Path, record_path: Path, model: Seq2Seq) -> None:
    """What :func:`load_pretrained` will do with the files, short of rebuilding the data set."""
    record = read_json_record(record_path, what="translation record", required=_RECORD_KEYS)
    if record["sha256"] != file_hash(weights):
        raise ValueError(f"{weights} changed while it was being saved: its sha256 differs from the record's")
    _, model_config = _configs(record, str(record_path))
    state = _load_state(weights)
    with torch.random.fork_rng(devices=[]), torch.device("meta"):  # no memory, no draw from the global generator
        described = build_seq2seq(model_config, model.encoder.vocab_size, model.decoder.vocab_size)
    _check_state_fits(state, described, weights, f"the record's 'model' settings {model_config}")


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
    folder = _check_folder(folder)
    name = _check_name(name)
    if data is not None and not isinstance(data, TranslationData):
        raise TypeError(f"data must be a TranslationData or None, got {type(data).__name__}")
    dev = None if device is None else get_device(device)
    record_path = folder / f"{name}.json"
    where = str(record_path)
    record = read_json_record(
        record_path, what="translation record (written by save_pretrained)", required=_RECORD_KEYS
    )
    checkpoint, sha256 = record["checkpoint"], record["sha256"]
    if not isinstance(checkpoint, str) or not checkpoint or Path(checkpoint).name != checkpoint:
        raise ValueError(f"{where}: ['checkpoint'] must be the file name of the weights next to it, got {checkpoint!r}")
    if not isinstance(sha256, str):
        raise ValueError(f"{where}: ['sha256'] must be a hex digest (str), got {type(sha256).__name__}")
    weights = folder / checkpoint
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} was not found (the checkpoint named by {where})")
    got = file_hash(weights)
    if got != sha256:
        raise ValueError(f"{weights} has the wrong sha256: the record says {sha256}, the file hashes to {got}")
    config, model_config = _configs(record, where)
    if data is None:
        data = load_translation(config)
    elif data.config != config:
        raise ValueError(f"data was built with {data.config}, but the checkpoint needs {config}")
    model = build_seq2seq(model_config, len(data.src_vocab), len(data.tgt_vocab))
    state = _load_state(weights)
    _check_state_fits(state, model, weights, f"{where} and its data")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    if dev is not None:
        model.to(dev)
    model.eval()
    return model, data, record
