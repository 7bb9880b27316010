"""One model, many conversations: every generation runs on a row of one batch cache, and one
thread owns the model. Prefills and choice scoring run row by row; the decode steps of all rows
waiting run as one forward pass (``DecodeBatch.step``), each row at its own position. Sampling
(grammar, copy prior, random generator) stays in each turn's own thread, per row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from torch import Tensor

from ..agent.policy import ModelInfo, ModelPolicy
from ..decode_batch import DecodeBatch
from ..sampling import Choice, Constraint, DecodeSession, SamplingConfig, Session


def shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class Row:
    """A ``Session`` on one row of the batch; its model calls go through the scheduler."""

    def __init__(self, scheduler: Scheduler, slot: int) -> None:
        self.scheduler, self.slot = scheduler, slot
        self.session: DecodeSession = scheduler.batch.sessions[slot]
        self.max_len = self.session.max_len

    @property
    def tokens(self) -> list[int]:
        return self.session.tokens

    def feed(
        self, tokens: Sequence[int], vision: Tensor | None = None, vision_key: object = None
    ) -> Tensor:
        return self.scheduler.call(self.session.feed, tokens, vision, vision_key)

    def choose(
        self,
        logits: Tensor,
        choices: Sequence[Choice],
        cfg: SamplingConfig,
        generator: Any = None,
        constraint: Constraint | None = None,
    ) -> list[int]:
        return self.scheduler.call(self.session.choose, logits, choices, cfg, generator, constraint)

    def step(self, token: int) -> Tensor:
        return self.scheduler.step(self.slot, token)


class Scheduler:
    """The thread that runs every model call of the batch (see the module docstring)."""

    def __init__(self, batch: DecodeBatch, gather_s: float = 0.003) -> None:
        self.batch = batch
        self.gather_s = gather_s
        self._cond = threading.Condition()
        self._free = set(range(len(batch.sessions)))
        self._active = 0
        self._calls: list[tuple[Callable[..., Any], tuple, Future]] = []
        self._steps: dict[int, tuple[int, Future]] = {}
        self._closed = False
        self.steps_run = 0  # forward passes of the batch, for stats
        self.rows_stepped = 0
        self._thread = threading.Thread(target=self._loop, name="aether-batch", daemon=True)
        self._thread.start()

    # -------------------------------------------------------------- rows
    def acquire(self, context: Sequence[int]) -> Row:
        """A free row, the one whose cache shares the longest prefix with ``context``."""
        with self._cond:
            self._cond.wait_for(lambda: self._free or self._closed)
            if self._closed:
                raise RuntimeError("the batch scheduler is closed")
            sessions = self.batch.sessions
            slot = max(sorted(self._free), key=lambda r: shared_prefix(sessions[r].tokens, context))
            self._free.remove(slot)
            self._active += 1
            return Row(self, slot)

    def release(self, row: Row) -> None:
        with self._cond:
            self._steps.pop(row.slot, None)
            self._free.add(row.slot)
            self._active -= 1
            self._cond.notify_all()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        fut: Future = Future()
        with self._cond:
            self._check_open()
            self._calls.append((fn, args, fut))
            self._cond.notify_all()
        return fut.result()

    def step(self, slot: int, token: int) -> Tensor:
        fut: Future = Future()
        with self._cond:
            self._check_open()
            self._steps[slot] = (token, fut)
            self._cond.notify_all()
        return fut.result()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the batch scheduler is closed")

    # -------------------------------------------------------------- the loop
    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._calls or self._steps or self._closed)
                if self._closed:
                    self._fail_all(RuntimeError("the batch scheduler is closed"))
                    return
                if not self._calls and len(self._steps) < self._active:
                    # rows still sampling their next token: let them join this pass
                    self._cond.wait_for(
                        lambda: len(self._steps) >= self._active or self._calls or self._closed,
                        timeout=self.gather_s,
                    )
                calls, self._calls = self._calls, []
                steps, self._steps = self._steps, {}
            for fn, args, fut in calls:
                try:
                    fut.set_result(fn(*args))
                except BaseException as e:  # handed to the row's thread, which raises it
                    fut.set_exception(e)
            if steps:
                self._run_steps(steps)

    def _run_steps(self, steps: dict[int, tuple[int, Future]]) -> None:
        try:
            out = self.batch.step({slot: tok for slot, (tok, _) in steps.items()})
        except BaseException as e:
            for _, fut in steps.values():
                fut.set_exception(e)
            return
        self.steps_run += 1
        self.rows_stepped += len(steps)
        for slot, (_, fut) in steps.items():
            fut.set_result(out[slot])

    def _fail_all(self, error: Exception) -> None:
        for _, _, fut in self._calls:
            fut.set_exception(error)
        for _, fut in self._steps.values():
            fut.set_exception(error)
        self._calls, self._steps = [], {}


class BatchedPolicy(ModelPolicy):
    """A ``ModelPolicy`` whose generations run on rows of one shared batch: many agents (one per
    client) drive one loaded model at once."""

    def __init__(
        self,
        model: Any,
        info: ModelInfo,
        rows: int,
        max_images: int = 4,
        max_context: int = 4096,
        gather_s: float = 0.003,
        vision_head: Any = None,
    ) -> None:
        super().__init__(model, info, max_context, vision_head=vision_head)
        vit = getattr(model, "vit", None)
        vision_len = max_images * model.cfg.vision.n_queries if vit is not None else 0
        self.batch = DecodeBatch(model, rows, self.max_context, vision_len=vision_len)
        self.scheduler = Scheduler(self.batch, gather_s)

    @contextmanager
    def decode_session(self, context: Sequence[int]) -> Iterator[Session]:
        row = self.scheduler.acquire(context)
        try:
            yield row
        finally:
            self.scheduler.release(row)

    def close(self) -> None:
        self.scheduler.close()
