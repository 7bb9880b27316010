"""The training loop shared by every stage (nanoGPT-like: one readable function).

    for step in range(start, max_steps):
        lr = schedule(step); batches = stage.batches(step); stage.step(...)   # fwd/bwd/clip/AdamW
        every log_every: metrics.jsonl + progress bar (+ the lr controller's next decision)
        every eval_every: validation (subset) -> ckpt/best if it improved, ckpt/last
        every ckpt_every: ckpt/last (model + optimizer + trainer state + RNG, atomically)
    final evaluation on the whole validation split, final ckpt/last (and best)

Run folder (``runs/<name>/``): ``run.json`` (the resolved config), ``metrics.jsonl``,
``ckpt/last/``, ``ckpt/best/``. Resume reloads ``ckpt/last`` and continues at its step; batches are
a pure function of (seed, rank, step), so the resumed run is the run that was killed.

``train.lr_control = "q"``: a :class:`QLRController` multiplies the scheduled lr by its
``lr_scale`` and sets Adam's beta1 on every step; at each log step it sees the (all-ranks) training
loss and picks the next nudge, logged as ``ctl_*`` fields. Its state (Q-table, RNG) is saved in
``trainer_state.json``, so a resumed run makes the same decisions.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ..checkpoint import CheckpointError, resolve_device
from ..errors import AetherError
from ..fsutil import atomic_write_text
from . import distributed as D
from .config import RunConfig
from .metrics import METRICS_FILE, RUN_FILE, MetricsLog, Progress, truncate_metrics
from .optim import build_optimizer, load_optimizer, save_optimizer, set_lr
from .schedule import lr_at, progress_of
from .stage import Stage
from .state import TRAINER_STATE_FILE, TrainerState, atomic_dir, load_rng, recover_dir, save_rng

if TYPE_CHECKING:
    from .lr_control import QLRController


@dataclass
class Hooks:
    """Test and tooling hooks; each gets the loop's live objects and must not change them."""

    on_batches: Callable[[int, list[Any]], None] | None = (
        None  # (step, micro-batches) before a step
    )
    after_step: Callable[[int, dict[str, float]], None] | None = None  # (step done, metrics)
    on_end: Callable[[nn.Module], None] | None = None  # the trained (unwrapped) model


@dataclass
class TrainResult:
    run_dir: Path
    state: TrainerState
    final_eval: dict[str, float] = field(default_factory=dict)


def make_stage(cfg: RunConfig, device: torch.device, dist: D.DistInfo, use_bf16: bool) -> Stage:
    if cfg.stage == "vq":
        from .vq_stage import VQStage

        return VQStage(cfg, device, dist, use_bf16)
    if cfg.stage == "lora":
        from .lora import LoraStage

        return LoraStage(cfg, device, dist, use_bf16)
    if cfg.stage == "vit":
        from .vit_stage import ViTStage

        return ViTStage(cfg, device, dist, use_bf16)
    if cfg.stage == "entropy":
        from .lm import EntropyStage

        return EntropyStage(cfg, device, dist, use_bf16)
    from .lm import LMStage

    return LMStage(cfg, device, dist, use_bf16)


def default_run_dir(cfg: RunConfig) -> Path:
    t = cfg.train
    if t.run_dir:
        return Path(t.run_dir)
    name = t.name or f"{cfg.stage}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    return Path(t.runs_dir) / name


def bf16_wanted(precision: str, device: torch.device) -> bool:
    """bf16 autocast on CUDA that supports it; on CPU only when asked (it is often slower there)."""
    if precision == "bf16":
        return device.type in ("cuda", "cpu")
    if precision == "auto":
        return device.type == "cuda" and torch.cuda.is_bf16_supported()
    return False


def make_lr_controller(cfg: RunConfig, state: TrainerState) -> QLRController | None:
    """The run's learned lr controller (``train.lr_control``), restored from a resumed state."""
    t = cfg.train
    if t.lr_control != "q":
        return None
    from .lr_control import QLRController

    ctl = QLRController(seed=t.seed, beta1=t.beta1)
    if state.lr_control:
        ctl.load_state_dict(state.lr_control)
    return ctl


def controller_fields(info: dict[str, Any]) -> dict[str, Any]:
    """A controller decision (``QLRController.step``) as metrics.jsonl fields: the settings the
    next steps use and why they were chosen."""
    return {
        "ctl_lr_scale": info["lr_scale"],
        "ctl_beta1": info["beta1"],
        "ctl_action": info["action"],
        "ctl_action_name": info["action_name"],
        "ctl_trend": info["trend"],
        "ctl_reward": info["reward"],
        "ctl_epsilon": info["epsilon"],
    }


def train(cfg: RunConfig, *, resume: bool = False, hooks: Hooks | None = None) -> TrainResult:
    """Run (or resume) a training run described by ``cfg``; returns where it went and how it ended."""
    hooks = hooks or Hooks()
    t = cfg.train
    device = resolve_device(t.device)
    threads = t.threads
    local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    if device.type == "cpu" and local_ranks > 1:  # ranks share the cores: no oversubscription
        share = max(1, (os.cpu_count() or 1) // local_ranks)
        threads = min(threads or share, share)
    if threads:
        torch.set_num_threads(threads)
    dist = D.setup(device)
    device = D.rank_device(device, dist)
    try:
        return _train(cfg, device, dist, resume, hooks)
    finally:
        D.teardown()


def _train(
    cfg: RunConfig, device: torch.device, dist: D.DistInfo, resume: bool, hooks: Hooks
) -> TrainResult:
    t = cfg.train
    if cfg.stage == "lora" and cfg.lora.base:
        from .lora import base_model_config

        cfg.model = base_model_config(cfg.lora.base)  # a LoRA run keeps its base's shape
    run_dir = default_run_dir(cfg)
    last_dir, best_dir = run_dir / "ckpt" / "last", run_dir / "ckpt" / "best"
    if dist.is_main:
        recover_dir(last_dir)
        recover_dir(best_dir)
    if not resume and (last_dir / TRAINER_STATE_FILE).exists():
        raise AetherError(
            f"{run_dir} already holds a run: pass --resume to continue it, or a new --name"
        )
    if resume and not (last_dir / TRAINER_STATE_FILE).exists():
        raise AetherError(f"{run_dir}: nothing to resume (no ckpt/last/{TRAINER_STATE_FILE})")

    # ---------------------------------------------------------------- model, optimizer, state
    use_bf16 = bf16_wanted(t.precision, device)
    torch.manual_seed(t.seed)
    stage = make_stage(cfg, device, dist, use_bf16)
    stage.resuming = resume
    model = stage.build_model()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = build_optimizer(
        model, t.lr, t.weight_decay, (t.beta1, t.beta2), device, t.optimizer, t.muon_lr_ratio
    )
    state = TrainerState(world_size=dist.world_size)
    if resume:
        D.barrier()  # rank 0 may have just finished an interrupted folder swap
        stage.load(model, last_dir)
        load_optimizer(optimizer, last_dir)
        state = TrainerState.from_file(last_dir / TRAINER_STATE_FILE)
        if state.world_size != dist.world_size:
            raise CheckpointError(
                f"{last_dir}: saved by {state.world_size} process(es), resumed with "
                f"{dist.world_size}; the data stream would differ"
            )
    ctl = make_lr_controller(cfg, state)
    if resume and dist.is_main:
        load_rng(last_dir, state.rng)  # the other ranks re-seed below (only rank 0's RNG is saved)
    else:
        torch.manual_seed(t.seed + 7919 * dist.rank + state.step)

    module = stage.train_module(model)
    if dist.enabled:
        module = DistributedDataParallel(
            module,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=stage.find_unused_parameters(model),
        )
    if t.compile:
        import torch._dynamo as dynamo

        dynamo.config.suppress_errors = True  # a failed compile falls back to eager
        module = torch.compile(module)

    # ---------------------------------------------------------------- run folder
    log = MetricsLog(run_dir / METRICS_FILE if dist.is_main else None)
    if dist.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / RUN_FILE, json.dumps(cfg.to_dict(), indent=2) + "\n")
        if resume:
            log.close()
            truncate_metrics(run_dir / METRICS_FILE, state.step)
            log = MetricsLog(run_dir / METRICS_FILE)
    budget_s = t.max_minutes * 60 if t.max_minutes else None
    total = t.total_steps
    max_steps = total if total is not None else 10**12
    progress = Progress(t.progress and dist.is_main, total, budget_s, state.step, echo=dist.is_main)
    if dist.is_main:
        n_params = sum(p.numel() for p in params)
        progress.log(
            f"[dim]{cfg.stage}: {n_params / 1e6:.2f}M trainable params, {device}, "
            f"{'bf16' if use_bf16 else 'fp32'}, {dist.world_size} process(es) -> {run_dir}[/]"
        )

    def save_last() -> None:
        if dist.is_main:
            with atomic_dir(last_dir) as tmp:
                stage.save(
                    model, tmp, {"train": cfg.to_dict(), "stage": cfg.stage, "step": state.step}
                )
                save_optimizer(optimizer, tmp)
                state.rng = save_rng(tmp)
                state.lr_control = ctl.state_dict() if ctl is not None else {}
                atomic_write_text(tmp / TRAINER_STATE_FILE, state.to_json())
        D.barrier()

    def save_best() -> None:
        if dist.is_main:
            with atomic_dir(best_dir) as tmp:
                stage.save(
                    model,
                    tmp,
                    {
                        "train": cfg.to_dict(),
                        "stage": cfg.stage,
                        "step": state.step,
                        "val": state.last_eval,
                    },
                )
                # best/ is for using, not resuming: no RNG state
                atomic_write_text(
                    tmp / TRAINER_STATE_FILE, replace(state, rng={}, lr_control={}).to_json()
                )
        D.barrier()

    def evaluate(full: bool) -> dict[str, float]:
        nonlocal eval_s_per_batch
        limit = (t.final_eval_batches if full else t.eval_batches) or None  # 0/None: all
        e0 = time.perf_counter()
        res = stage.evaluate(model, limit)
        n_used = min(limit or 10**9, stage.num_val_batches() or 1)
        eval_s_per_batch = (time.perf_counter() - e0) / max(1, n_used)
        state.last_eval = {k: v for k, v in res.items() if isinstance(v, (int, float))}
        score = res.get(stage.score_key)
        improved = (
            score is not None
            and score == score
            and (state.best_val is None or score < state.best_val)
        )
        if improved:
            state.best_val, state.best_step = float(score), state.step
        log.write({"step": state.step, **state.last_eval, "elapsed_s": elapsed(), "final": full})
        figures = "  ".join(f"{k} {v:.4f}" for k, v in res.items() if isinstance(v, float))
        progress.log(f"step {state.step}: {figures}{'  (best)' if improved else ''}")
        if improved:
            save_best()
        return res

    # ---------------------------------------------------------------- the loop
    t_start = time.perf_counter()
    elapsed0, start_step = state.elapsed_s, state.step

    def elapsed() -> float:
        return elapsed0 + time.perf_counter() - t_start

    eval_s_per_batch = 0.0
    step_times: deque[float] = deque(maxlen=25)  # recent steps, for the final-eval guess
    final_eval: dict[str, float] = {}
    # since the last log line: loss sum, loss targets, positions processed (the logged loss is the
    # interval's mean, not one batch's; speed counts every byte the model read)
    t_log, loss_acc, targets_acc, tokens_since_log = time.perf_counter(), 0.0, 0, 0
    try:
        while state.step < max_steps:
            if budget_s is not None:
                # Stop early enough for the final full evaluation and checkpoint to fit the budget.
                # Before the first eval, guess an eval batch at a third of a training step (the
                # median of recent steps: the first ones include torch.compile and warm-up).
                n_final = stage.num_val_batches() or 1
                n_final = min(n_final, t.final_eval_batches or n_final)
                per_batch = eval_s_per_batch or (
                    statistics.median(step_times) / 3 if step_times else 0
                )
                reserve = min(1.5 * per_batch * n_final + 2.0, 0.25 * budget_s)
                if D.any_rank(elapsed() + reserve >= budget_s, device):
                    break
            t_step = time.perf_counter()
            p = progress_of(state.step, total, t.warmup, elapsed(), budget_s)
            lr = lr_at(state.step, lr=t.lr, min_lr=t.floor_lr, warmup_steps=t.warmup, progress=p,
                       schedule=t.schedule, decay_fraction=t.decay_fraction)  # fmt: skip
            if ctl is not None:
                ctl.apply(optimizer, lr)
                lr *= ctl.lr_scale  # the lr this step actually uses (logged as "lr")
            else:
                set_lr(optimizer, lr)
            batches = stage.batches(state.step)
            if hooks.on_batches:
                hooks.on_batches(state.step, batches)
            m = stage.step(module, optimizer, batches, params)
            if state.step - start_step >= 2:
                step_times.append(time.perf_counter() - t_step)
            state.step += 1
            loss_acc += m["loss_sum"]
            targets_acc += m["tokens"]
            tokens_since_log += m.get("seen", m["tokens"])

            if state.step % t.log_every == 0 or state.step == max_steps:
                loss_sum, n_tok, tok_all = D.all_reduce_sum(
                    [loss_acc, targets_acc, tokens_since_log], device
                )
                now = time.perf_counter()
                speed = tok_all / max(1e-9, now - t_log)
                state.tokens += int(tok_all)
                t_log, loss_acc, targets_acc, tokens_since_log = now, 0.0, 0, 0
                loss = loss_sum / max(1.0, n_tok)
                rec = {
                    "step": state.step,
                    "loss": loss,
                    "lr": lr,
                    f"{stage.unit}_per_s": speed,
                    "grad_norm": m["grad_norm"],
                    "elapsed_s": elapsed(),
                }
                rec.update(
                    {
                        k: v
                        for k, v in m.items()
                        if k not in ("loss_sum", "tokens", "seen", "grad_norm")
                    }
                )
                if ctl is not None:  # every rank sees the same loss: the same decision everywhere
                    rec.update(controller_fields(ctl.step(loss)))
                log.write(rec)
                eta = None
                if total is not None:
                    done = state.step - start_step
                    eta = (time.perf_counter() - t_start) / max(1, done) * (max_steps - state.step)
                elif budget_s is not None:
                    eta = budget_s - elapsed()
                progress.update(state.step, loss, speed, elapsed(), eta)
            if hooks.after_step:
                hooks.after_step(state.step, m)

            if state.step >= max_steps:
                break
            state.elapsed_s = elapsed()
            t_pause = time.perf_counter()
            if state.step % t.eval_every == 0:
                evaluate(full=False)
                save_last()
            elif state.step % t.ckpt_every == 0:
                save_last()
            t_log += time.perf_counter() - t_pause  # bytes/s counts training time only

        # ---------------------------------------------------------------- the end
        state.elapsed_s = elapsed()
        final_eval = evaluate(full=True)
        state.elapsed_s = elapsed()
        save_last()
        if dist.is_main:
            stage.finish(run_dir)
        if hooks.on_end:
            from .lm import unwrap

            hooks.on_end(unwrap(model))
    finally:
        progress.close()
        log.close()
    return TrainResult(run_dir, state, final_eval)
