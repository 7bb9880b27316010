"""Writers that a kill -9 test starts in a real subprocess: each saves in a loop, printing the
generation it has finished saving, until it is killed.

    python -m tests.robustness.writers memory|chat|checkpoint DIR
"""

from __future__ import annotations

import sys
from pathlib import Path


def memory(d: Path) -> None:
    from aether_core.memory import VectorMemory

    mem = VectorMemory.open(d / "memory")
    for gen in range(1, 10**9):
        # many entries per save: each save rewrites a sizeable vectors.npy and entries.json
        mem.add(f"fact number {gen} about the garden " + "x" * 2000)
        print(gen, flush=True)


def chat(d: Path) -> None:
    from aether_core.segments import Message
    from aether_tui.store import ChatStore

    store = ChatStore(d / "chats.sqlite3")
    messages: list[Message] = []
    chat_id = None
    for gen in range(1, 10**9):
        messages.append(Message.text("user", f"message {gen} " + "y" * 4000))
        chat_id = store.save(chat_id, messages)
        print(gen, flush=True)


def checkpoint(d: Path) -> None:
    import torch

    from aether_core.checkpoint import save_checkpoint
    from aether_core.config import ModelConfig
    from aether_core.model import build_model

    torch.set_num_threads(1)
    cfgs = [ModelConfig(dim=64, n_layers=4, n_heads=4, max_seq_len=64, cross_attn=False),
            ModelConfig(dim=128, n_layers=2, n_heads=4, max_seq_len=64, cross_attn=False)]  # fmt: skip
    models = [build_model(c) for c in cfgs]
    for gen in range(1, 10**9):
        # generations alternate shapes, and the embedding holds the generation: a config and
        # weights from different saves cannot pass for one checkpoint
        cfg, model = cfgs[gen % 2], models[gen % 2]
        with torch.no_grad():
            model.embed.weight.fill_(float(gen))
        save_checkpoint(d / "ckpt", model, cfg, extra={"generation": gen})
        print(gen, flush=True)


if __name__ == "__main__":
    {"memory": memory, "chat": chat, "checkpoint": checkpoint}[sys.argv[1]](Path(sys.argv[2]))
