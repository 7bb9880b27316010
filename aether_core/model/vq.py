"""TinyVQVAE: a 64x64 RGB image <-> 128 one-byte codes, so images ride the byte-token stream.

Layout: a conv encoder maps the image to an 8x8 grid of ``code_dim`` latents; a two-stage
residual quantizer (stage 2 quantizes what stage 1 missed) gives two codes per cell; a conv
decoder reads the whole grid (neighbouring cells tell it where edges go), upsamples to 16x16 and
paints pixels with an "sdf" head: each pixel blends two smooth colour fields by an alpha whose
logits are a bilinearly upsampled coarse field plus per-pixel detail. A straight edge is a
linear signed-distance field, which bilinear upsampling reproduces exactly at any sub-pixel
offset, so sharp antialiased edges are cheap to learn (+~2 dB over a plain RGB pixel-shuffle
head at equal training in our runs).

Code order in the 128 bytes: cells row-major (top-left first), and for each cell its
``[stage1, stage2]`` pair, i.e. ``byte[2 * (8 * row + col) + stage]``. A byte LM then emits one
cell at a time, coarse code first, which is the easiest order to generate.

Each stage has its own 256x8 codebook (not shared): stage-2 residuals are an order of magnitude
smaller than stage-1 latents, so one shared table would waste entries on the wrong scale.
Codebooks are updated by EMA (no gradient), k-means initialised on the first batch, and codes
unused for ``dead_code_steps`` steps are re-seeded from high-error latents of the current batch.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from ..errors import AetherError
from ..fsutil import atomic_path

WEIGHTS_FILE = "vq.safetensors"
CONFIG_FILE = "vq_config.json"
SDF_GAIN = 8.0  # coarse alpha logits are scaled up so steep (sharp) ramps need small weights


class VQCheckpointError(AetherError):
    """A VQ checkpoint folder that is missing, truncated or does not match its config."""


@dataclass
class VQConfig:
    """TinyVQVAE shape; the defaults are the shipped model (128 codes, 256-entry codebooks)."""

    image_size: int = 64
    grid: int = 8  # latent grid side; image_size / grid must be a power of two >= 4
    stages: int = 2  # residual quantizer stages -> grid * grid * stages codes
    codebook_size: int = 256  # <= 256 so each code is one byte
    code_dim: int = 8
    enc_patch: int = 4  # encoder stem: non-overlapping patches of this side
    enc_levels: tuple[int, ...] = (64,)  # channels after the stem and each later 2x downsample
    enc_width: int = 128  # channels of the encoder's trunk at the latent grid
    enc_blocks: int = 1
    dec_width: int = 128  # channels of the decoder's trunk at the latent grid
    dec_blocks: int = 1
    dec_levels: tuple[int, ...] = (128,)  # channels of each 2x pixel-shuffle upsampling stage
    up_blocks: int = 0  # residual blocks per upsampling stage (extra ones slowed learning)
    head: str = "sdf"  # "sdf": alpha-blend of two colour fields; "rgb": plain pixel-shuffle RGB
    ema_decay: float = 0.99
    commitment: float = 0.25
    dead_code_steps: int = 30  # re-seed a code after this many training steps without use

    def __post_init__(self) -> None:
        self.enc_levels = tuple(self.enc_levels)  # JSON gives lists
        self.dec_levels = tuple(self.dec_levels)

    @property
    def n_codes(self) -> int:
        return self.grid * self.grid * self.stages

    def validate(self) -> None:
        """Reject configs the byte interface cannot carry, with a message naming the field."""
        if not 2 <= self.codebook_size <= 256:
            raise ValueError("codebook_size must be in 2..256 (one byte per code)")
        f = self.image_size // self.grid
        if self.image_size % self.grid or f < 4 or f & (f - 1):
            raise ValueError("image_size / grid must be a power of two >= 4")
        if not self.enc_levels or self.enc_patch * 2 ** len(self.enc_levels) != f:
            raise ValueError("enc_patch * 2**len(enc_levels) must equal image_size / grid")
        if 2 ** len(self.dec_levels) >= f:
            raise ValueError("dec_levels must upsample less than image_size / grid")
        if self.head not in ("sdf", "rgb"):
            raise ValueError('head must be "sdf" or "rgb"')
        if self.stages < 1 or self.code_dim < 1:
            raise ValueError("stages and code_dim must be >= 1")


def _groups(ch: int) -> int:
    return math.gcd(ch, 8)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv x2 with a skip: cheap context mixing that trains stably."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(_groups(ch), ch),
            nn.SiLU(),
            nn.Conv2d(ch, ch, 3, padding=1),
            nn.GroupNorm(_groups(ch), ch),
            nn.SiLU(),
            nn.Conv2d(ch, ch, 3, padding=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResidualQuantizer(nn.Module):
    """``stages`` EMA codebooks applied in turn to the residual; all state is in buffers."""

    def __init__(self, cfg: VQConfig) -> None:
        super().__init__()
        s, k, d = cfg.stages, cfg.codebook_size, cfg.code_dim
        self.decay = cfg.ema_decay
        self.dead_steps = cfg.dead_code_steps
        # Persistent buffers: saved in the checkpoint so training can resume exactly.
        self.register_buffer("embed", torch.randn(s, k, d) * 0.1)
        self.register_buffer("embed_sum", self.embed.clone())
        self.register_buffer("cluster_size", torch.ones(s, k))
        self.register_buffer("unused_steps", torch.zeros(s, k))
        self.register_buffer("initialized", torch.zeros(()))

    @staticmethod
    def _nearest(x: Tensor, codebook: Tensor) -> Tensor:
        d = x.pow(2).sum(1, keepdim=True) - 2 * x @ codebook.t() + codebook.pow(2).sum(1)[None]
        return d.argmin(1)

    @torch.no_grad()
    def _kmeans_init(self, z: Tensor) -> None:
        """Seed each stage's codebook with k-means on this batch's (residual) latents."""
        residual = z
        k = self.embed.shape[1]
        gen = torch.Generator(device=z.device).manual_seed(0)
        for s in range(self.embed.shape[0]):
            idx = torch.randint(0, residual.shape[0], (k,), generator=gen, device=z.device)
            centres = residual[idx].clone()
            for _ in range(10):
                assign = self._nearest(residual, centres)
                sums = torch.zeros_like(centres).index_add_(0, assign, residual)
                counts = torch.bincount(assign, minlength=k).float()
                filled = counts > 0
                centres[filled] = sums[filled] / counts[filled, None]
            self.embed[s] = centres
            self.embed_sum[s] = centres
            self.cluster_size[s] = 1.0
            residual = residual - centres[self._nearest(residual, centres)]
        self.initialized.fill_(1.0)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Quantize flat latents ``z`` [N, D] -> (sum of chosen codes [N, D], indices [N, S]).

        Runs in float32 even under autocast: nearest-code search and EMA sums need the precision.
        """
        with torch.autocast(z.device.type, enabled=False):
            return self._assign(z.detach().float())

    def _assign(self, z: Tensor) -> tuple[Tensor, Tensor]:
        if self.training and not bool(self.initialized):
            self._kmeans_init(z)
        residual = z
        quant = torch.zeros_like(residual)
        indices = []
        for s in range(self.embed.shape[0]):
            idx = self._nearest(residual, self.embed[s])
            chosen = self.embed[s][idx]
            if self.training:
                self._ema_update(s, residual, idx, chosen)
                chosen = self.embed[s][idx]
            quant = quant + chosen
            residual = residual - chosen
            indices.append(idx)
        return quant, torch.stack(indices, 1)

    @torch.no_grad()
    def _ema_update(self, s: int, x: Tensor, idx: Tensor, chosen: Tensor) -> None:
        k = self.embed.shape[1]
        counts = torch.bincount(idx, minlength=k).to(x.dtype)
        sums = torch.zeros(k, x.shape[1], dtype=x.dtype, device=x.device).index_add_(0, idx, x)
        self.cluster_size[s].mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_sum[s].mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size[s].sum()
        smoothed = (self.cluster_size[s] + 1e-5) / (n + k * 1e-5) * n  # Laplace smoothing
        self.embed[s] = self.embed_sum[s] / smoothed[:, None]
        # Dead-code restart: re-seed long-unused codes from latents the codebook fits worst.
        self.unused_steps[s] = torch.where(counts > 0, 0.0, self.unused_steps[s] + 1)
        dead = (self.unused_steps[s] >= self.dead_steps).nonzero().flatten()
        if dead.numel():
            err = (x - chosen).pow(2).sum(1) + 1e-12
            pick = torch.multinomial(err, dead.numel(), replacement=err.numel() < dead.numel())
            self.embed[s, dead] = x[pick]
            self.embed_sum[s, dead] = x[pick]
            self.cluster_size[s, dead] = 1.0
            self.unused_steps[s, dead] = 0.0

    def lookup(self, indices: Tensor) -> Tensor:
        """Indices [N, S] -> summed code vectors [N, D]."""
        return sum(self.embed[s][indices[:, s]] for s in range(indices.shape[1]))  # type: ignore[return-value]


class TinyVQVAE(nn.Module):
    """64x64 RGB <-> 128 byte codes; see the module docstring for layout and code order."""

    def __init__(self, cfg: VQConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or VQConfig()
        cfg.validate()
        self.cfg = cfg
        f = cfg.image_size // cfg.grid  # total down/upsampling factor (8 for 64 -> 8)
        # Encoder: patch stem, 2x2 strided merges down to the grid, then a residual trunk.
        enc: list[nn.Module] = [nn.Conv2d(3, cfg.enc_levels[0], cfg.enc_patch, cfg.enc_patch)]
        widths = [*cfg.enc_levels, cfg.enc_width]
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            enc += [nn.SiLU(), nn.Conv2d(a, b, 2, stride=2)]
        w = cfg.enc_width
        enc += [*(ResBlock(w) for _ in range(cfg.enc_blocks)), nn.GroupNorm(_groups(w), w)]
        enc += [nn.SiLU(), nn.Conv2d(w, cfg.code_dim, 1)]
        self.encoder = nn.Sequential(*enc)
        self.quantizer = ResidualQuantizer(cfg)
        # Decoder: trunk at the grid (context from neighbouring cells), 2x pixel-shuffle stages,
        # then a head that paints each remaining r x r patch.
        d = cfg.dec_width
        dec: list[nn.Module] = [nn.Conv2d(cfg.code_dim, d, 3, padding=1)]
        dec += [ResBlock(d) for _ in range(cfg.dec_blocks)]
        prev = d
        for u in cfg.dec_levels:
            dec += [nn.GroupNorm(_groups(prev), prev), nn.SiLU(), nn.Conv2d(prev, 4 * u, 1)]
            dec += [nn.PixelShuffle(2), *(ResBlock(u) for _ in range(cfg.up_blocks))]
            prev = u
        dec += [nn.GroupNorm(_groups(prev), prev), nn.SiLU()]
        self.decoder = nn.Sequential(*dec)
        self.head_r = r = f // 2 ** len(cfg.dec_levels)
        # sdf: r*r alpha-detail logits + 1 coarse alpha logit + 2 colours; rgb: r*r RGB pixels.
        out_ch = r * r + 7 if cfg.head == "sdf" else 3 * r * r
        self.head = nn.Conv2d(prev, out_ch, 3, padding=1)

    # ---- tensor API -------------------------------------------------------------------------

    def _quantize(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Image batch -> (encoder latents, quantized latents, indices [B, G*G, S])."""
        z = self.encoder(x * 2 - 1)
        b, d, g, _ = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        q, idx = self.quantizer(flat)
        q = q.view(b, g, g, d).permute(0, 3, 1, 2)
        return z, q, idx.view(b, g * g, -1)

    def _decode_latents(self, q: Tensor) -> Tensor:
        """Quantized latents [B, D, G, G] -> images [B, 3, 64, 64] in [0, 1]."""
        h = self.head(self.decoder(q))
        r = self.head_r
        if self.cfg.head == "rgb":
            return torch.sigmoid(F.pixel_shuffle(h, r))
        n = r * r
        up = F.interpolate(h[:, n:], scale_factor=r, mode="bilinear")  # coarse logit + 2 colours
        alpha = torch.sigmoid(F.pixel_shuffle(h[:, :n], r) + SDF_GAIN * up[:, :1])
        colours = torch.sigmoid(up[:, 1:])
        return alpha * colours[:, :3] + (1 - alpha) * colours[:, 3:]

    def forward(self, x: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Training pass: (reconstruction, {loss, recon, commit}) with a straight-through estimator."""
        z, q, _ = self._quantize(x)
        z = z.float()
        commit = F.mse_loss(z, q.detach())
        recon = self._decode_latents(z + (q - z).detach())
        rec = F.mse_loss(recon.float(), x.float())
        loss = rec + self.cfg.commitment * commit
        return recon, {"loss": loss, "recon": rec.detach(), "commit": commit.detach()}

    @torch.no_grad()
    def encode_tensor(self, x: Tensor) -> Tensor:
        """[B, 3, 64, 64] floats in [0, 1] -> [B, 128] codes in the documented byte order."""
        _, _, idx = self._quantize(x)
        return idx.reshape(x.shape[0], -1)

    @torch.no_grad()
    def decode_tensor(self, codes: Tensor) -> Tensor:
        """[B, 128] codes -> [B, 3, 64, 64] images in [0, 1]."""
        cfg = self.cfg
        if codes.dim() != 2 or codes.shape[1] != cfg.n_codes:
            raise ValueError(f"expected codes of shape [B, {cfg.n_codes}], got {list(codes.shape)}")
        if codes.min() < 0 or codes.max() >= cfg.codebook_size:
            raise ValueError(f"codes must be in 0..{cfg.codebook_size - 1}")
        b, g = codes.shape[0], cfg.grid
        q = self.quantizer.lookup(codes.long().reshape(-1, cfg.stages))
        q = q.view(b, g, g, cfg.code_dim).permute(0, 3, 1, 2)
        return self._decode_latents(q)

    @property
    def embed_device(self) -> torch.device:
        return self.quantizer.embed.device

    # ---- bytes API --------------------------------------------------------------------------

    def encode(self, image: Image.Image) -> bytes:
        """A PIL image (any size/mode; resized to 64x64 RGB) -> exactly 128 code bytes."""
        x = image_to_tensor(image, self.cfg.image_size)[None].to(self.embed_device)
        was_training = self.training
        self.eval()
        try:
            codes = self.encode_tensor(x)[0]
        finally:
            self.train(was_training)
        return bytes(codes.to(torch.uint8).tolist())

    def decode(self, codes: bytes) -> Image.Image:
        """128 code bytes -> a 64x64 RGB PIL image; wrong length is a ValueError."""
        n = self.cfg.n_codes
        if not isinstance(codes, bytes | bytearray | memoryview):
            raise TypeError(f"decode expects bytes, got {type(codes).__name__}")
        if len(codes) != n:
            raise ValueError(f"VQ decode needs exactly {n} code bytes, got {len(codes)}")
        t = torch.tensor(list(bytes(codes)), dtype=torch.long, device=self.embed_device)[None]
        if int(t.max()) >= self.cfg.codebook_size:
            raise ValueError(f"code byte {int(t.max())} >= codebook size {self.cfg.codebook_size}")
        was_training = self.training
        self.eval()
        try:
            x = self.decode_tensor(t)[0]
        finally:
            self.train(was_training)
        return tensor_to_image(x)


def image_to_tensor(image: Image.Image, size: int = 64) -> Tensor:
    """PIL image -> [3, size, size] float tensor in [0, 1] (RGB, resized if needed)."""
    image = image.convert("RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    return data.view(size, size, 3).permute(2, 0, 1).float() / 255.0


def tensor_to_image(x: Tensor) -> Image.Image:
    """[3, H, W] float tensor in [0, 1] -> PIL RGB image."""
    arr = (x.detach().clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).contiguous()
    return Image.fromarray(arr.cpu().numpy())  # uint8 HxWx3 -> RGB


# ---- checkpoints ---------------------------------------------------------------------------


def save_vq(model: TinyVQVAE, directory: str | Path) -> None:
    """Write ``vq.safetensors`` + ``vq_config.json`` atomically (EMA codebook state included)."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    # Temp files are private (0600); shipped checkpoints should be readable like normal files.
    umask = os.umask(0)
    os.umask(umask)
    with atomic_path(directory / WEIGHTS_FILE) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt", "kind": "aether-tinyvqvae"})
        os.chmod(tmp, 0o666 & ~umask)
    with atomic_path(directory / CONFIG_FILE) as tmp:
        tmp.write_text(json.dumps(dataclasses.asdict(model.cfg), indent=2) + "\n")
        os.chmod(tmp, 0o666 & ~umask)


def load_vq_config(directory: str | Path) -> VQConfig:
    """Read and validate ``vq_config.json``; every failure is a one-line VQCheckpointError."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise VQCheckpointError(f"VQ config not found: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VQCheckpointError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise VQCheckpointError(f"{path}: expected a JSON object")
    names = {f.name for f in dataclasses.fields(VQConfig)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise VQCheckpointError(f"{path}: unknown field(s) {', '.join(unknown)}")
    try:
        cfg = VQConfig(**raw)
        cfg.validate()
    except (TypeError, ValueError) as e:
        raise VQCheckpointError(f"{path}: {e}") from None
    return cfg


def load_vq(directory: str | Path) -> TinyVQVAE:
    """Load a TinyVQVAE (eval mode) from a folder written by :func:`save_vq`."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    directory = Path(directory)
    if not directory.is_dir():
        raise VQCheckpointError(f"VQ checkpoint folder not found: {directory}")
    cfg = load_vq_config(directory)
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        raise VQCheckpointError(f"VQ weights not found: {path}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise VQCheckpointError(f"{path}: unreadable or truncated safetensors ({msg})") from None
    model = TinyVQVAE(cfg)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        what = (
            f"missing {', '.join(missing[:3])}" if missing else f"unexpected {', '.join(extra[:3])}"
        )
        raise VQCheckpointError(f"{path}: tensors do not match {CONFIG_FILE} ({what})")
    for name, t in expected.items():
        if state[name].shape != t.shape:
            raise VQCheckpointError(
                f"{path}: tensor {name} has shape {list(state[name].shape)}, "
                f"{CONFIG_FILE} implies {list(t.shape)}"
            )
    model.load_state_dict(state)
    model.eval()
    return model
