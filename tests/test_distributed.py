"""Chapter 12: sharded sampling, the DDP step, crash-safe training states (training.distributed, training.checkpoint, data.batching).

The in-process tests use a tiny language model defined here; the end-to-end
tests run ``scripts/train_ddp.py`` on chapter 11's word corpus: 2 processes
under ``torchrun`` against 1 process with twice the batch (the same weights,
within float32 rounding), and a run killed with SIGKILL and resumed from its
checkpoint against an uninterrupted one (bit-identical weights).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from bad_input import bad_input_test, case
from torch import nn
from torch.nn import functional as F

import lstm_companion as lc

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "train_ddp.py"


class TinyLM(nn.Module):
    """Embedding, one LSTM layer, linear decoder: ``forward(tokens (B, T), state) -> (logits, state)``."""

    def __init__(self, vocab: int = 11, hidden: int = 6) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.rnn = nn.LSTM(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor, state=None):  # type: ignore[no-untyped-def]
        y, state = self.rnn(self.embed(x), state)
        return self.out(y), state


# --------------------------------------------------------------------------- sampler


def test_shards_are_disjoint_and_stack_to_the_big_batch() -> None:
    stream = torch.arange(103)  # token = its position in the stream
    shards = [lc.shard_stream(stream, 3, rank=r, world_size=2) for r in range(2)]
    big = lc.shard_stream(stream, 6)
    assert torch.equal(torch.cat(shards), big)
    seen = [set(s.flatten().tolist()) for s in shards]
    assert not seen[0] & seen[1]
    assert len(seen[0]) == len(seen[1]) == 3 * (103 // 6)
    # each rank's rows are one contiguous stretch of text
    for s in shards:
        flat = s.flatten()
        assert torch.equal(flat, torch.arange(int(flat[0]), int(flat[0]) + flat.numel()))


def test_sampler_windows_cover_every_pair_once_per_pass() -> None:
    stream = torch.arange(200)
    sampler = lc.ShardedStreamSampler(stream, 4, 7, rank=1, world_size=2)
    pairs: list[tuple[int, int]] = []
    flags = []
    for _ in range(len(sampler)):
        x, y, new_pass = sampler.next_batch()
        assert torch.equal(y, x + 1)
        pairs += list(zip(x.flatten().tolist(), y.flatten().tolist(), strict=True))
        flags.append(new_pass)
    rows = sampler.data
    assert len(pairs) == len(set(pairs)) == rows.shape[0] * (rows.shape[1] - 1)
    assert flags == [True] + [False] * (len(sampler) - 1)
    x, _, new_pass = sampler.next_batch()  # the next pass starts over
    assert new_pass and sampler.epoch == 1 and torch.equal(x, rows[:, :7])


def test_sampler_state_resumes_at_the_same_window() -> None:
    stream = torch.arange(300)
    a = lc.ShardedStreamSampler(stream, 2, 5, rank=0, world_size=3)
    for _ in range(4):
        a.next_batch()
    b = lc.ShardedStreamSampler(stream, 2, 5, rank=0, world_size=3)
    b.load_state_dict(a.state_dict())
    for _ in range(len(a) + 2):  # across the end of the pass
        xa, ya, fa = a.next_batch()
        xb, yb, fb = b.next_batch()
        assert torch.equal(xa, xb) and torch.equal(ya, yb) and fa == fb
    other = lc.ShardedStreamSampler(stream, 2, 5, rank=1, world_size=3)
    with pytest.raises(ValueError, match="rank=0"):
        other.load_state_dict(a.state_dict())


def test_sampler_bad_input() -> None:
    stream = torch.arange(50)
    with pytest.raises(ValueError, match="rank"):
        lc.shard_stream(stream, 2, rank=2, world_size=2)
    with pytest.raises(ValueError, match="too short"):
        lc.shard_stream(stream, 30, world_size=2)
    with pytest.raises(ValueError, match="stream"):
        lc.shard_stream(stream.view(5, 10), 2)
    with pytest.raises(ValueError, match="bptt"):
        lc.ShardedStreamSampler(stream, 2, 0)
    with pytest.raises(ValueError, match="missing"):
        lc.ShardedStreamSampler(stream, 2, 3).load_state_dict({"position": 0})


# --------------------------------------------------------------------------- the step


def test_averaged_half_batch_gradients_equal_the_full_batch_gradient() -> None:
    """What DDP's all-reduce relies on: the mean of two half-batch losses' gradients is the full batch's."""
    torch.manual_seed(0)
    model = TinyLM()
    x = torch.randint(0, 11, (4, 5))
    y = torch.randint(0, 11, (4, 5))

    def grads(xb: torch.Tensor, yb: torch.Tensor) -> list[torch.Tensor]:
        model.zero_grad()
        logits, _ = model(xb)
        F.cross_entropy(logits.reshape(-1, 11), yb.reshape(-1)).backward()
        return [p.grad.clone() for p in model.parameters()]  # type: ignore[union-attr]

    full = grads(x, y)
    halves = [grads(x[:2], y[:2]), grads(x[2:], y[2:])]
    for g, a, b in zip(full, *halves, strict=True):
        torch.testing.assert_close(g, (a + b) / 2, rtol=1e-5, atol=1e-7)


def test_lm_train_step_lowers_the_loss_and_detaches_the_state() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    sampler = lc.ShardedStreamSampler(torch.arange(400) % 11, 4, 8)
    state, losses = None, []
    for _ in range(40):
        x, y, new_pass = sampler.next_batch()
        loss, state = lc.lm_train_step(model, opt, x, y, None if new_pass else state, clip=1.0)
        losses.append(loss)
    assert all(not s.requires_grad for s in state)
    # a periodic stream is easy to learn: measured 2.34 -> 0.44 (mean of the first and last five losses)
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    ppl = lc.evaluate_stream_perplexity(model, torch.arange(400) % 11, batch_size=4, bptt=8)
    assert 1.0 <= ppl < 2.5  # measured 1.42; a uniform guess has 11


def test_lm_train_step_bad_input() -> None:
    model = TinyLM()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="x and y"):
        lc.lm_train_step(model, opt, x, torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="clip"):
        lc.lm_train_step(model, opt, x, x, clip=-1.0)
    with pytest.raises(TypeError, match="optimizer"):
        lc.lm_train_step(model, "sgd", x, x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="autocast_dtype"):
        lc.lm_train_step(model, opt, x, x, autocast_dtype=torch.float64)


def test_bf16_autocast_step_runs_and_keeps_float32_weights() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randint(0, 11, (2, 4))
    loss, _ = lc.lm_train_step(model, opt, x, x, autocast_dtype=torch.bfloat16)
    assert 0 < loss < 2 * np.log(11)
    assert all(p.dtype == torch.float32 for p in model.parameters())


class OneDnnProbeLM(nn.Module):
    """A word LM that records, at each forward, whether oneDNN and CPU autocast were on.

    With ``bf16_state=True`` it returns its state in bfloat16, as ``nn.LSTM``
    does under autocast where oneDNN has bfloat16 kernels (its
    ``mkldnn_rnn_layer`` is on autocast's lower-precision list); the wrapped
    :class:`lc.WordLM` checks that the state it is given has the model's dtype.
    """

    def __init__(self, bf16_state: bool) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.lm = lc.WordLM(11, 6, 6, 1)
        self.bf16_state = bf16_state
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor, state=None):  # type: ignore[no-untyped-def]
        self.seen.append((torch._C._get_mkldnn_enabled(), torch.is_autocast_enabled("cpu")))
        if self.bf16_state:  # what the oneDNN LSTM returns under bf16 autocast
            with torch.autocast("cpu", enabled=False):
                logits, (h, c) = self.lm(x, state)
            return logits, (h.bfloat16(), c.bfloat16())
        return self.lm(x, state)


@pytest.mark.parametrize("has_kernels", [True, False])
def test_bf16_steps_carry_the_model_dtype_whatever_the_cpu(monkeypatch: pytest.MonkeyPatch, has_kernels: bool) -> None:
    """Both answers of lc.onednn_bf16_supported, forced: oneDNN stays on only where it has bf16
    kernels, and the carried state keeps float32 either way (the crash of chapter 12 on an
    Intel Xeon with AVX-512: a bfloat16 state fed to the next step)."""
    from lstm_companion.training import distributed

    monkeypatch.setattr(distributed, "onednn_bf16_supported", lambda: has_kernels)
    model = OneDnnProbeLM(bf16_state=has_kernels)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sampler = lc.ShardedStreamSampler(torch.arange(200) % 11, 2, 5)
    state = None
    for _ in range(3):
        x, y, _ = sampler.next_batch()
        loss, state = lc.lm_train_step(model, opt, x, y, state, clip=1.0, autocast_dtype=torch.bfloat16)
        assert np.isfinite(loss)
        assert all(t.dtype == torch.float32 for t in state)
    assert model.seen == [(has_kernels, True)] * 3
    model.seen.clear()
    ppl = lc.evaluate_stream_perplexity(
        model, torch.arange(60) % 11, batch_size=2, bptt=5, autocast_dtype=torch.bfloat16
    )
    assert np.isfinite(ppl) and len(model.seen) > 1  # the carried state went through every window
    assert set(model.seen) == {(has_kernels, True)}
    assert torch._C._get_mkldnn_enabled()  # switched back on after the step


def test_carry_state_casts_to_the_model_dtype() -> None:
    model = nn.Linear(2, 2).double()
    h = torch.ones(1, 2, 3, dtype=torch.bfloat16, requires_grad=True)
    carried = lc.carry_state((h, [h]), model)
    assert carried[0].dtype == torch.float64 and not carried[0].requires_grad
    assert carried[1][0].dtype == torch.float64
    assert lc.carry_state(None, model) is None
    ids = torch.arange(3)
    assert lc.carry_state(ids, model).dtype == torch.int64  # integer tensors are left alone


# --------------------------------------------------------------------------- training states


def test_rng_state_round_trip() -> None:
    saved = lc.capture_rng_state()
    first = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    lc.restore_rng_state(saved)
    again = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    assert torch.equal(first[0], again[0])
    assert np.array_equal(first[1], again[1])
    assert first[2] == again[2]


def _setup(seed: int = 0):  # type: ignore[no-untyped-def]
    torch.manual_seed(seed)
    model = TinyLM()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    sampler = lc.ShardedStreamSampler(torch.arange(500) % 11, 3, 6)
    return model, opt, sched, sampler


def _run(model, opt, sched, sampler, state, steps: int):  # type: ignore[no-untyped-def]
    for _ in range(steps):
        x, y, new_pass = sampler.next_batch()
        # dropout-like randomness: the step depends on torch's generator
        x = torch.where(torch.rand(x.shape) < 0.1, torch.zeros_like(x), x)
        _, state = lc.lm_train_step(model, opt, x, y, None if new_pass else state, scheduler=sched)
    return state


def test_saved_state_resumes_bit_identically(tmp_path: Path) -> None:
    ref = _setup()
    _run(*ref, None, 12)

    model, opt, sched, sampler = _setup()
    state = _run(model, opt, sched, sampler, None, 5)
    path = lc.save_training_state(
        tmp_path / "run.pt", model=model, optimizer=opt, scheduler=sched, sampler=sampler, hidden=state, step=5
    )
    assert not [p for p in tmp_path.iterdir() if p.name != "run.pt"]  # no temporary file left
    torch.rand(100)  # disturb the generator; the load must put it back
    fresh = _setup(seed=1)  # other initial weights: the load must replace them
    st = lc.load_training_state(path, model=fresh[0], optimizer=fresh[1], scheduler=fresh[2], sampler=fresh[3])
    assert st.step == 5
    _run(*fresh, st.hidden, 7)
    assert lc.state_dict_sha256(fresh[0].state_dict()) == lc.state_dict_sha256(ref[0].state_dict())
    assert lc.max_abs_difference(fresh[0].state_dict(), ref[0].state_dict()) == 0.0
    # without the hidden state the continuation differs: the carried state matters
    again = _setup(seed=1)
    lc.load_training_state(path, model=again[0], optimizer=again[1], scheduler=again[2], sampler=again[3])
    _run(*again, None, 7)
    assert lc.max_abs_difference(again[0].state_dict(), ref[0].state_dict()) > 0


def test_training_state_loads_with_weights_only(tmp_path: Path) -> None:
    model, opt, sched, sampler = _setup()
    _run(model, opt, sched, sampler, None, 2)
    path = lc.save_training_state(tmp_path / "s.pt", model=model, optimizer=opt, scheduler=sched, step=2)
    payload = torch.load(path, weights_only=True)
    assert payload["step"] == 2 and payload["world_size"] == 1 and len(payload["ranks"]) == 1


def test_bad_training_state_files_are_named(tmp_path: Path) -> None:
    model, opt, sched, sampler = _setup()
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        lc.load_training_state(tmp_path / "nothing.pt", model=model)
    good = lc.save_training_state(tmp_path / "good.pt", model=model, optimizer=opt, step=0)
    torn = tmp_path / "torn.pt"
    torn.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="torn.pt is damaged"):
        lc.load_training_state(torn, model=model)
    foreign = tmp_path / "weights.pt"
    torch.save(model.state_dict(), foreign)
    with pytest.raises(ValueError, match="weights.pt is not a training state"):
        lc.load_training_state(foreign, model=model)
    with pytest.raises(ValueError, match="good.pt: model: .* has shape"):
        lc.load_training_state(good, model=TinyLM(hidden=7))
    with pytest.raises(ValueError, match="no sampler state"):
        lc.load_training_state(good, model=model, sampler=sampler)
    with pytest.raises(ValueError, match="step"):
        lc.save_training_state(tmp_path / "x.pt", model=model, optimizer=opt, step=-1)


def _weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_a_damaged_or_mismatched_training_state_changes_nothing(tmp_path: Path) -> None:
    model, opt, sched, sampler = _setup()
    _run(model, opt, sched, sampler, None, 2)
    good = lc.save_training_state(tmp_path / "good.pt", model=model, optimizer=opt, scheduler=sched, step=2)
    fresh, fresh_opt, _, _ = _setup(seed=3)
    before = _weights(fresh)
    # one weight changed inside an otherwise valid file: the stored sha256 disagrees
    payload = torch.load(good, weights_only=True)
    name = next(iter(payload["model"]))
    payload["model"][name].view(-1)[0] += 1e-3
    flipped = tmp_path / "flipped.pt"
    torch.save(payload, flipped)
    with pytest.raises(ValueError, match="flipped.pt is damaged: its contents do not match"):
        lc.load_training_state(flipped, model=fresh, optimizer=fresh_opt)
    # an SGD state offered to Adam: refused before anything is restored
    adam = torch.optim.Adam(fresh.parameters())
    with pytest.raises(ValueError, match="good.pt: optimizer: the file holds a SGD state.*Adam"):
        lc.load_training_state(good, model=fresh, optimizer=adam)
    assert lc.max_abs_difference(before, fresh.state_dict()) == 0.0
    # a bad random state (valid sha256): named, and nothing restored
    payload = torch.load(good, weights_only=True)
    del payload["sha256"]
    payload["ranks"][0]["rng"]["numpy"]["keys"] = torch.zeros(3, dtype=torch.int64)

    payload["sha256"] = lc.payload_sha256(payload)
    bad_rng = tmp_path / "bad_rng.pt"
    torch.save(payload, bad_rng)
    with pytest.raises(ValueError, match="bad_rng.pt: rank 0's random state: .*numpy"):
        lc.load_training_state(bad_rng, model=fresh, optimizer=fresh_opt)
    assert lc.max_abs_difference(before, fresh.state_dict()) == 0.0


def test_save_training_state_names_a_bad_extra(tmp_path: Path) -> None:
    model, opt, _, _ = _setup()
    with pytest.raises(TypeError, match=r"extra\['out'\] must hold only .* got PosixPath"):
        lc.save_training_state(tmp_path / "s.pt", model=model, optimizer=opt, step=0, extra={"out": tmp_path})
    with pytest.raises(TypeError, match="extra must be a mapping"):
        lc.save_training_state(tmp_path / "s.pt", model=model, optimizer=opt, step=0, extra=[1])  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())  # nothing written, not even a temporary file


def test_lm_train_step_stops_on_a_non_finite_loss() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    opt = torch.optim.SGD(model.parameters(), lr=float("inf"))
    x = torch.randint(0, 11, (2, 4))
    lc.lm_train_step(model, opt, x, x)  # a finite loss, then weights of inf/NaN
    with pytest.raises(FloatingPointError, match="learning rate too high"):
        lc.lm_train_step(model, opt, x, x)


def test_check_rng_state() -> None:
    lc.check_rng_state(lc.capture_rng_state())
    with pytest.raises(ValueError, match="keys 'torch', 'numpy', 'python'"):
        lc.check_rng_state({"torch": 1})
    bad = lc.capture_rng_state()
    bad["python"]["internal"] = torch.zeros(5, dtype=torch.int64)
    with pytest.raises(ValueError, match="Python's random state"):
        lc.check_rng_state(bad)


def test_launch_command() -> None:
    assert lc.launch_command("t.py", ["--steps", "2"]) == [sys.executable, "t.py", "--steps", "2"]
    two = lc.launch_command(Path("t.py"), nproc_per_node=2)
    assert two[1:3] == ["-m", "torch.distributed.run"] and "--nproc-per-node=2" in two and two[-1] == "t.py"
    with pytest.raises(TypeError, match="args"):
        lc.launch_command("t.py", "--steps 2")
    with pytest.raises(ValueError, match="nproc_per_node"):
        lc.launch_command("t.py", nproc_per_node=0)
    with pytest.raises(ValueError, match="script must name a file"):
        lc.launch_command("")
    # the training program as a module of the package: chapter 12 outside a clone
    one = lc.launch_command(lc.DDP_TRAIN_MODULE, ["--steps", "2"], module=True)
    assert one == [sys.executable, "-m", "lstm_companion.recipes.train_ddp", "--steps", "2"]
    two = lc.launch_command(lc.DDP_TRAIN_MODULE, nproc_per_node=2, module=True)
    assert two[-2:] == ["-m", lc.DDP_TRAIN_MODULE] and two[1:3] == ["-m", "torch.distributed.run"]
    with pytest.raises(ValueError, match="module name"):
        lc.launch_command("scripts/train_ddp.py", module=True)


def test_training_program_runs_as_a_module_of_the_package(tmp_path: Path) -> None:
    """``python -m lstm_companion.recipes.train_ddp --help`` works from any folder (no clone needed)."""
    proc = subprocess.run(
        lc.launch_command(lc.DDP_TRAIN_MODULE, ["--help"], module=True),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--kill-at-step" in proc.stdout and "--checkpoint-every" in proc.stdout


def test_init_distributed_without_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    ctx = lc.init_distributed(device="cpu")
    assert (ctx.rank, ctx.world_size, ctx.backend, ctx.is_main) == (0, 1, None, True)
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        lc.init_distributed(device="cpu")


# --------------------------------------------------------------------------- the script, end to end

SMALL = [
    "--max-vocab",
    "2000",
    "--batch-size",
    "4",
    "--bptt",
    "10",
    "--embed-size",
    "16",
    "--hidden-size",
    "16",
    "--threads",
    "1",
]


def _in_process(args: list[str], shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the script's ``main`` in this process (one process, no torchrun): no start-up cost."""
    spec = importlib.util.spec_from_file_location("train_ddp", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("LSTM_COMPANION_DATA", str(shared_data))
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    threads = torch.get_num_threads()
    rng = lc.capture_rng_state()
    try:
        module.main(args)
    finally:
        torch.set_num_threads(threads)
        lc.restore_rng_state(rng)


def _script(args: list[str], shared_data: Path, procs: int = 0, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the script with plain python (``procs=0``) or under torchrun with ``procs`` processes."""
    env = {**os.environ, "LSTM_COMPANION_DATA": str(shared_data), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        lc.launch_command(SCRIPT, args, nproc_per_node=max(procs, 1)),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"train_ddp.py failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_the_program_stops_with_a_message_when_the_loss_diverges(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The program trains through ``fit``: a non-finite loss stops it with the step and a hint."""
    args = [*SMALL, "--steps", "6", "--lr", "1e38", "--clip", "1e30", "--max-tokens", "4000"]
    with pytest.warns(RuntimeWarning, match="training stopped"), pytest.raises(SystemExit, match="diverged.*--lr"):
        _in_process([*args, "--out", str(tmp_path / "d.json")], shared_data, monkeypatch)
    assert not (tmp_path / "d.json").exists()


def _leaves(state: object) -> list[torch.Tensor]:
    """The tensors of a nested tuple/list state, in order."""
    if isinstance(state, torch.Tensor):
        return [state]
    return [t for s in state for t in _leaves(s)]  # type: ignore[attr-defined]


@pytest.mark.slow  # two torchrun processes: 14-23 s; still part of `make test`
def test_two_processes_take_the_step_of_one_with_twice_the_batch(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    common = [*SMALL, "--steps", "2", "--momentum", "0", "--max-tokens", "4000"]
    one = ["--batch-size", "8", "--checkpoint", str(tmp_path / "one.pt"), "--out", str(tmp_path / "one.json")]
    two = ["--batch-size", "4", "--checkpoint", str(tmp_path / "two.pt"), "--out", str(tmp_path / "two.json")]
    _in_process([*common, *one], shared_data, monkeypatch)
    _script([*common, *two], shared_data, procs=2)
    a = torch.load(tmp_path / "one.pt", weights_only=True)
    b = torch.load(tmp_path / "two.pt", weights_only=True)
    assert (a["world_size"], b["world_size"]) == (1, 2)
    # the weights after two steps (the second from the carried state): float32 rounding apart
    diff = lc.max_abs_difference(a["model"], b["model"])
    assert diff < 1e-5
    # every rank carried the hidden state of its own rows
    whole = _leaves(a["ranks"][0]["hidden"])
    parts = [_leaves(r["hidden"]) for r in b["ranks"]]
    assert whole and all(len(p) == len(whole) for p in parts)
    for i, t_a in enumerate(whole):  # (..., batch, hidden): the ranks' rows stacked are the whole batch
        torch.testing.assert_close(t_a, torch.cat([p[i] for p in parts], dim=-2), rtol=0, atol=1e-5)
    # the reported loss is the mean over both ranks' tokens
    la = json.loads((tmp_path / "one.json").read_text())["losses"]
    lb = json.loads((tmp_path / "two.json").read_text())["losses"]
    np.testing.assert_allclose(la, lb, rtol=1e-6)


def _kill_and_resume(shared_data: Path, tmp_path: Path, procs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full run, a run killed after step 7 (checkpoint every 4 steps), its resumption: the same weights.

    With one process the full run and the resumption run in this process (the
    killed run, necessarily, in its own); with two, all three under torchrun.
    """
    args = [*SMALL, "--steps", "12", "--dropout", "0.3", "--max-tokens", "4000", "--checkpoint-every", "4"]
    full = ["--checkpoint", str(tmp_path / "full.pt"), "--out", str(tmp_path / "full.json")]
    if procs:
        _script([*args, *full], shared_data, procs=procs)
    else:
        _in_process([*args, *full], shared_data, monkeypatch)
    crash = ["--checkpoint", str(tmp_path / "crash.pt"), "--out", str(tmp_path / "crash.json")]
    killed = _script([*args, *crash, "--kill-at-step", "7"], shared_data, procs=procs, check=False)
    assert killed.returncode in (-signal.SIGKILL, 1), killed.stderr  # torchrun reports a failed worker as 1
    assert not (tmp_path / "crash.json").exists()  # it never finished
    assert torch.load(tmp_path / "crash.pt", weights_only=True)["step"] == 4  # the last checkpoint before the kill
    if procs:
        _script([*args, *crash, "--resume"], shared_data, procs=procs)
    else:
        _in_process([*args, *crash, "--resume"], shared_data, monkeypatch)
    a = json.loads((tmp_path / "full.json").read_text())
    b = json.loads((tmp_path / "crash.json").read_text())
    assert b["resumed_from_step"] == 4 and b["final_step"] == 12
    assert a["weights_sha256"] == b["weights_sha256"]
    assert a["losses"][4:] == b["losses"]  # steps 5-12 repeated exactly, losses included


def test_killed_run_resumes_bit_identically(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _kill_and_resume(shared_data, tmp_path, 0, monkeypatch)


@pytest.mark.slow
def test_killed_two_process_run_resumes_bit_identically(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kill_and_resume(shared_data, tmp_path, 2, monkeypatch)


# ---- bad input

X = torch.zeros(3, 2, dtype=torch.long)  # (num_steps, batch_size) token ids
Y = torch.ones(3, 2, dtype=torch.long)
STREAM = torch.arange(200) % 10


def word_lm():
    torch.manual_seed(0)
    return lc.WordLM(10, 4, 4, 1)


def step(**kw):
    """A callable that runs one lm_train_step of a small word LM with the keyword arguments ``kw``."""

    def run():
        model = word_lm()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        return lc.lm_train_step(model, kw.pop("optimizer", optimizer), X, Y, **kw)

    return run


BAD_INPUT = [
    case("lm_loss-x-float", lambda: lc.lm_loss(word_lm(), X.float(), Y), TypeError, r"\bx must be an integer tensor"),
    case(
        "lm_loss-x-None",
        lambda: lc.lm_loss(word_lm(), None, Y),
        TypeError,
        r"\bx must be a torch\.Tensor, got NoneType",
    ),
    case(
        "lm_loss-y-shape",
        lambda: lc.lm_loss(word_lm(), X, Y[:2]),
        ValueError,
        r"x and y must have the same shape, got \(3, 2\) and \(2, 2\)",
    ),
    case("lm_loss-y-float", lambda: lc.lm_loss(word_lm(), X, Y.float()), TypeError, r"\by must be an integer tensor"),
    case(
        "lm_loss-model-None",
        lambda: lc.lm_loss(None, X, Y),
        TypeError,
        r"model must be a torch\.nn\.Module, got NoneType",
    ),
    case(
        "lm_loss-autocast-int32",
        lambda: lc.lm_loss(word_lm(), X, Y, autocast_dtype=torch.int32),
        ValueError,
        r"autocast_dtype must be torch\.bfloat16, torch\.float16 or None, got torch\.int32",
    ),
    case(
        "lm_loss-autocast-str",
        lambda: lc.lm_loss(word_lm(), X, Y, autocast_dtype="bf16"),
        ValueError,
        r"autocast_dtype must be torch\.bfloat16, torch\.float16 or None, got bf16",
    ),
    case("lm_train_step-clip-0", step(clip=0.0), ValueError, r"clip must be a finite number > 0 or None, got 0\.0"),
    case(
        "lm_train_step-clip-nan", step(clip=math.nan), ValueError, r"clip must be a finite number > 0 or None, got nan"
    ),
    case(
        "lm_train_step-clip-negative", step(clip=-1.0), ValueError, r"clip must be a finite number > 0 or None, got -1"
    ),
    case(
        "lm_train_step-optimizer-None",
        step(optimizer=None),
        TypeError,
        r"optimizer must be a torch\.optim\.Optimizer, got NoneType",
    ),
    case("carry_state-model-None", lambda: lc.carry_state(None, None), TypeError, r"model must be a torch\.nn\.Module"),
    case(
        "carry_state-str",
        lambda: lc.carry_state("x", word_lm()),
        TypeError,
        r"state must be a tensor or nested tuples/lists of tensors, got str",
    ),
    case(
        "carry_state-list-of-int",
        lambda: lc.carry_state([1, 2], word_lm()),
        TypeError,
        r"state must be a tensor or nested tuples/lists of tensors, got int",
    ),
    case(
        "stream_perplexity-float",
        lambda: lc.evaluate_stream_perplexity(word_lm(), STREAM.float()),
        TypeError,
        r"stream must be an integer tensor of token indices",
    ),
    case(
        "stream_perplexity-range",
        lambda: lc.evaluate_stream_perplexity(word_lm(), STREAM + 10, batch_size=2, bptt=5),
        ValueError,
        r"tokens must hold token ids in \[0, 10\) \(the model's vocab_size\), got values in \[10, 14\]",
    ),
    case(
        "stream_perplexity-2d",
        lambda: lc.evaluate_stream_perplexity(word_lm(), STREAM.reshape(20, 10)),
        ValueError,
        r"stream must have 1 dimensions",
    ),
    case(
        "stream_perplexity-too-short",
        lambda: lc.evaluate_stream_perplexity(word_lm(), STREAM[:5], batch_size=10),
        ValueError,
        r"stream of 5 tokens is too short for world_size \* batch_size = 10 rows",
    ),
    case(
        "stream_perplexity-bptt-0",
        lambda: lc.evaluate_stream_perplexity(word_lm(), STREAM, bptt=0),
        ValueError,
        r"bptt must be an int > 0, got 0",
    ),
    case(
        "stream_perplexity-batch_size-negative",
        lambda: lc.evaluate_stream_perplexity(word_lm(), STREAM, batch_size=-1),
        ValueError,
        r"batch_size must be an int > 0, got -1",
    ),
    case(
        "stream_perplexity-None",
        lambda: lc.evaluate_stream_perplexity(word_lm(), None),
        TypeError,
        r"stream must be a torch\.Tensor, got NoneType",
    ),
    case(
        "launch_command-nproc-0",
        lambda: lc.launch_command("a.py", nproc_per_node=0),
        ValueError,
        r"nproc_per_node must be an int > 0, got 0",
    ),
    case(
        "launch_command-nproc-float",
        lambda: lc.launch_command("a.py", nproc_per_node=2.0),
        TypeError,
        r"nproc_per_node must be an int > 0, got float",
    ),
    case(
        "launch_command-script-None",
        lambda: lc.launch_command(None),
        TypeError,
        r"script must be a file path, got NoneType",
    ),
    case("launch_command-script-empty", lambda: lc.launch_command(""), ValueError, r"script must name a file"),
    case(
        "launch_command-args-str",
        lambda: lc.launch_command("a.py", "--x 1"),
        TypeError,
        r"args must be a sequence of str \(one per command-line word\)",
    ),
    case(
        "launch_command-args-int",
        lambda: lc.launch_command("a.py", [1]),
        TypeError,
        r"args must be a sequence of str \(one per command-line word\)",
    ),
    case(
        "launch_command-module-path",
        lambda: lc.launch_command("a/b.py", module=True),
        ValueError,
        r"script must be a module name such as .* with module=True, got 'a/b\.py'",
    ),
    case(
        "init_distributed-backend",
        lambda: lc.init_distributed("cpu", backend="mpi2"),
        ValueError,
        r"backend must be 'gloo', 'nccl', 'mpi' or None, got 'mpi2'",
    ),
    case(
        "lm_loss-y-beyond-vocab",
        lambda: lc.lm_loss(word_lm(), X, torch.full((3, 2), 20)),
        ValueError,
        r"\by must hold token ids in \[0, 10\)",
    ),
    case("mean_over_ranks-nan", lambda: lc.mean_over_ranks(math.nan), ValueError, r"\bvalue must be a finite"),
    case("mean_over_ranks-str", lambda: lc.mean_over_ranks("1"), TypeError, r"\bvalue must be a number"),
    case("init_distributed-gpu", lambda: lc.init_distributed("gpu"), ValueError, r"\bdevice must name a device"),
    case("init_distributed-int", lambda: lc.init_distributed(3), TypeError, r"\bdevice must be a torch\.device"),
    case(
        "launch_command-module-int",
        lambda: lc.launch_command("a.py", module=1),
        TypeError,
        r"\bmodule must be a bool, got int",
    ),
    case(
        "max_abs_difference-floats",
        lambda: lc.max_abs_difference({"a": 1.0}, {"a": 1.0}),
        TypeError,
        r"a\['a'\] and b\['a'\] must be tensors",
    ),
]

test_bad_input = bad_input_test(BAD_INPUT)
