"""Training: ``aether train {lm,vq,lora}`` share one loop (``loop.train``) over stages.

config.py (RunConfig from TOML + flags), loop.py (the loop, run folders, resume), stage.py /
lm.py / lora.py / vq_stage.py (what differs per stage), data.py (batches from (seed, rank, step)),
optim.py (AdamW groups, optimizer state as safetensors), schedule.py (warmup + cosine),
state.py (trainer state, RNG, atomic checkpoint folders), distributed.py (torchrun / DDP),
metrics.py (metrics.jsonl, progress bar), runs.py (reading run folders back).
"""
