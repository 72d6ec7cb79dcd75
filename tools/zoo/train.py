"""One-epoch training of a TinyLlama over packed windows, deterministic for a seed on CPU."""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from model import Config, TinyLlama


def _loss(model: TinyLlama, batch: torch.Tensor) -> torch.Tensor:
    logits = model(batch[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


def train(
    cfg: Config,
    windows: list[list[int]],
    val_windows: list[list[int]],
    seed: int,
    batch_size: int = 16,
    lr: float = 3e-3,
    warmup: int = 20,
    weight_decay: float = 0.01,
    log_every: int = 25,
) -> tuple[TinyLlama, dict]:
    torch.manual_seed(seed)
    model = TinyLlama(cfg)
    data = torch.tensor(windows, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data), generator=gen)
    steps = len(data) // batch_size
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.95),
    )
    start = time.time()
    recent: list[float] = []
    for step in range(steps):
        # Linear warmup then cosine decay to a tenth: a short run still ends on a small learning rate.
        if step < warmup:
            f = (step + 1) / warmup
        else:
            f = 0.1 + 0.45 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        for g in opt.param_groups:
            g["lr"] = lr * f
        batch = data[order[step * batch_size : (step + 1) * batch_size]]
        loss = _loss(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        recent = (recent + [loss.item()])[-20:]
        if step % log_every == 0 or step == steps - 1:
            print(f"  step {step + 1}/{steps} loss {loss.item():.4f} ({time.time() - start:.0f}s)", flush=True)
    model.eval()
    with torch.no_grad():
        vdata = torch.tensor(val_windows, dtype=torch.long)
        vl = [_loss(model, vdata[i : i + 32]).item() * len(vdata[i : i + 32]) for i in range(0, len(vdata), 32)]
        val_loss = sum(vl) / len(vdata)
    stats = {
        "steps": steps,
        "batch_size": batch_size,
        "window": len(windows[0]),
        "tokens_seen": steps * batch_size * len(windows[0]),
        "lr": lr,
        "warmup": warmup,
        "weight_decay": weight_decay,
        "optimizer": "AdamW(0.9,0.95), cosine to 0.1, grad clip 1.0",
        "final_train_loss": round(sum(recent) / len(recent), 4),
        "final_val_loss": round(val_loss, 4),
        "train_seconds": round(time.time() - start, 1),
    }
    return model, stats
