"""The reader's-machine check: every chapter runs with no repository around it.

What a Colab or plain-pip reader does, minus the network:

1. build the companion's wheel from ``companion/``;
2. create a fresh virtual environment holding only that wheel (with its
   ``[apps]`` extra), Jupyter's kernel, nbval and myst-nb (and what pip
   resolves for them);
3. copy ``notebooks/*.ipynb`` into an empty temporary folder: no ``results/``,
   no ``../shared/data``, no clone above it;
4. serve the data sets and the committed results from a loopback HTTP server
   (127.0.0.1 only) that stands in for their public addresses, and point the
   companion at it with ``LSTM_COMPANION_MIRROR`` (the documented variable);
5. run every notebook top to bottom with nbval there.

It fails, saying why, when a prerequisite is missing; it never skips.

``--seed-cache DIR`` starts the reader's companion cache with the trained
models (``DIR/checkpoints``) of the test stage, which ran the same notebooks
with the same package code and torch: the training itself was already proven
there, and the install test (``tests/test_install.py``) already trains in a
fresh virtual environment at the dependency floors. What this stage proves is
the rest: the wheel alone, notebooks outside the repository, data and results
from the loopback mirror, every cell executed. Without it, every chapter
trains again from scratch. Data files are never seeded: they come from the
mirror.

    python .ci/reader_check.py [--data ../shared/data] [--seed-cache .cache/lstm_companion]
                               [--junitxml OUT.xml] [--keep]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = ("timemachine.txt", "fra-eng.zip", "rt-polarity.pos", "rt-polarity.neg")
# What a reader installs besides the wheel: the kernel, the test runner and glue's package.
READER_PACKAGES = ("ipykernel", "nbval", "myst-nb", "pytest")


def fail(message: str) -> None:
    print(f"reader check FAILED: {message}", flush=True)
    sys.exit(1)


def run(args: list[str], **kwargs: object) -> None:
    print("+ " + " ".join(args), flush=True)
    result = subprocess.run(args, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        fail(f"{' '.join(args)} exited {result.returncode}")


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder with the data files")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--seed-cache", type=Path, help="a companion cache whose checkpoints/ start the reader's cache")
    parser.add_argument("--junitxml", type=Path, help="write nbval's per-cell results and times here")
    args = parser.parse_args()

    missing = [name for name in DATA_FILES if not (args.data / name).is_file()]
    if missing:
        fail(f"the data files {missing} are not in {args.data}; they are served to the notebooks (--data)")
    if not (ROOT / "results").is_dir():
        fail(f"{ROOT / 'results'} is missing: the committed results are served to the notebooks")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        fail("no notebooks/*.ipynb to run")

    start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="reader-check-"))
    try:
        # 1. the wheel
        wheels = tmp / "wheels"
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "-w",
                str(wheels),
                str(ROOT / "companion"),
            ]
        )
        wheel = next(wheels.glob("lstm_companion-*.whl"), None)
        if wheel is None:
            fail(f"building the wheel left nothing in {wheels}")

        # 2. a fresh environment with only what a reader installs
        env_dir = tmp / "venv"
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        python = str(env_dir / "bin" / "python")
        clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        clean_env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        run([python, "-m", "pip", "install", "-q", f"{wheel}[apps]", *READER_PACKAGES], env=clean_env)
        versions = subprocess.run(
            [
                python,
                "-c",
                "import lstm_companion, torch, numpy; print(lstm_companion.__version__, torch.__version__,"
                " numpy.__version__, lstm_companion.__file__)",
            ],
            env=clean_env,
            capture_output=True,
            text=True,
        )
        print("installed: companion, torch, numpy:", versions.stdout.strip() or versions.stderr.strip(), flush=True)
        if versions.returncode != 0 or str(env_dir) not in versions.stdout:
            fail("the companion does not import from the fresh environment")

        # 3. the notebooks, alone in an empty folder
        work = tmp / "work"
        work.mkdir()
        for nb in notebooks:
            shutil.copyfile(nb, work / nb.name)

        # 4. data and results from a loopback server
        served = tmp / "served"
        shutil.copytree(ROOT / "results", served / "results")
        for name in DATA_FILES:
            shutil.copyfile(args.data / name, served / name)
        server, base_url = serve(served)
        if args.seed_cache is not None:
            seeded = args.seed_cache / "checkpoints"
            if not seeded.is_dir():
                fail(f"--seed-cache {args.seed_cache} holds no checkpoints/ folder (run make test first)")
            shutil.copytree(seeded, tmp / "cache" / "checkpoints")
            print(f"seeded the reader's cache with {sum(1 for _ in seeded.iterdir())} checkpoints", flush=True)
        env = dict(clean_env)
        for var in ("LSTM_COMPANION_DATA", "LSTM_COMPANION_RESULTS"):
            env.pop(var, None)
        env.update(
            LSTM_COMPANION_MIRROR=base_url,
            LSTM_COMPANION_CACHE=str(tmp / "cache"),
            MPLBACKEND="Agg",
            no_proxy="127.0.0.1,localhost",
            NO_PROXY="127.0.0.1,localhost",
        )
        print(f"serving {served} at {base_url}", flush=True)

        # 5. every chapter, top to bottom
        try:
            run(
                [
                    python,
                    "-m",
                    "pytest",
                    "--nbval-lax",
                    "--nbval-current-env",
                    "--nbval-cell-timeout=900",
                    "-p",
                    "no:cacheprovider",
                    "-q",
                    *([f"--junitxml={args.junitxml.resolve()}"] if args.junitxml else []),
                    "-c",
                    os.devnull,
                    "--rootdir",
                    str(work),
                    *sorted(p.name for p in work.glob("*.ipynb")),
                ],
                cwd=work,
                env=env,
            )
        finally:
            server.shutdown()
        print(f"reader check passed: {len(notebooks)} notebooks in {time.perf_counter() - start:.0f} s", flush=True)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
