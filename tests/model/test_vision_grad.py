"""A caption-style loss must train every part of the vision encoder through cross-attention."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from aether_core.segments import Image, Message, Text, encode_with_mask


def caption_batch():
    convo = [
        Message("user", (Text(b"what is this? "), Image(bytes(range(0, 256, 16))))),
        Message("assistant", (Text(b"a red square on blue"),)),
    ]
    tokens, mask = encode_with_mask(convo)
    return torch.tensor([tokens]), torch.tensor([mask])


def test_caption_loss_reaches_every_vit_parameter(model):
    model.train()
    tokens, mask = caption_batch()
    images = torch.rand(1, 1, 3, 64, 64, generator=torch.Generator().manual_seed(7))
    vision, vmask = model.encode_images(images)
    logits = model(tokens[:, :-1], vision=vision, vision_mask=vmask)
    targets = tokens[:, 1:].masked_fill(~mask[:, 1:], -100)  # only the caption is a target
    assert (targets != -100).sum() == len(b"a red square on blue") + 1  # + EOS
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
    assert torch.isfinite(loss)
    loss.backward()

    vit_params = dict(model.vit.named_parameters())
    assert len(vit_params) > 10
    no_grad = [n for n, p in vit_params.items() if p.grad is None]
    zero_grad = [n for n, p in vit_params.items() if p.grad is not None and p.grad.norm() == 0]
    assert not no_grad, f"no gradient reaches: {no_grad}"
    assert not zero_grad, f"zero gradient in: {zero_grad}"
    # and the cross-attention that carries it
    for blk in model.blocks:
        for n, p in blk.cross.named_parameters():
            assert p.grad is not None and p.grad.norm() > 0, n


def test_no_image_no_vit_gradient(model):
    model.train()
    tokens, _ = caption_batch()
    model(tokens[:, :-1]).sum().backward()
    assert all(p.grad is None for p in model.vit.parameters())
