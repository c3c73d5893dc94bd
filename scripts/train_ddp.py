"""Chapter 12's DDP training program (see ``lstm_companion/recipes/train_ddp.py`` for its options).

The program ships inside the companion, so that chapter 12 also runs where the
book's repository is not cloned (``python -m lstm_companion.recipes.train_ddp``);
this file runs the same ``main`` from a clone:

    torchrun --standalone --nproc-per-node 2 scripts/train_ddp.py --steps 40 --batch-size 8 --out /tmp/ddp2.json
    .venv/bin/python scripts/train_ddp.py --steps 40 --batch-size 16 --out /tmp/ddp1.json
"""

from __future__ import annotations

from lstm_companion.recipes.train_ddp import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
