"""Bad input to chapter 12's distributed helpers (``lstm_companion.training.distributed``), in one process.

Every call fails on its arguments before any process group starts; the
behaviour tests of these helpers are in ``tests/test_distributed.py``.
"""

from __future__ import annotations

import math

import torch
from bad_input import bad_input_test, case

import lstm_companion as lc

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
