"""recipes/translation: moved from seq2seq."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from ..data.tatoeba import TranslationConfig, TranslationData, load_translation
from ..models.seq2seq import Seq2Seq, Seq2SeqConfig, build_seq2seq
from ..runtime import file_hash

__all__ = ["save_pretrained", "load_pretrained"]


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
    :func:`load_pretrained`). Returns the record written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.pt"
    state = {
        k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu())
        for k, v in model.state_dict().items()
    }
    tmp = weights.with_suffix(".pt.part")
    torch.save(state, tmp)
    os.replace(tmp, weights)
    out = dict(record, checkpoint=weights.name, sha256=file_hash(weights), bytes=weights.stat().st_size)
    tmp_json = folder / f".{name}.json.part"
    tmp_json.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    os.replace(tmp_json, folder / f"{name}.json")
    return out


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
    sha256 differs from the record is an error naming both hashes.
    """
    folder = Path(folder)
    record = json.loads((folder / f"{name}.json").read_text())
    weights = folder / record["checkpoint"]
    got = file_hash(weights)
    if got != record["sha256"]:
        raise ValueError(
            f"{weights} has the wrong sha256: the record says {record['sha256']}, the file hashes to {got}"
        )
    config = TranslationConfig(**record["data"])
    if data is None:
        data = load_translation(config)
    elif data.config != config:
        raise ValueError(f"data was built with {data.config}, but the checkpoint needs {config}")
    model = build_seq2seq(Seq2SeqConfig(**record["model"]), len(data.src_vocab), len(data.tgt_vocab))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    model.to(device).eval()
    return model, data, record
