#!/usr/bin/env python3
"""PyTorch's own ops for the NDA transforms, for `bench/nda.ts` to compare against side by side.

Each transform is written the way the paper's official code applies it to a batch: float32 NCHW
tensors, one partner permutation per batch (torch.randperm), one lambda per batch (mixup, cutmix),
per-image tile permutations (jigsaw) and per-image squares filled with their own mean (cutout).
Threads: torch.set_num_threads(--threads). Prints one JSON line: {"torch": VERSION, "threads": T,
"32": {"jigsaw": batches/s, ...}}.
"""
import argparse
import json
import time

import torch


def jigsaw(x, g):
    n, c, h, w = x.shape
    k = 2
    th, tw = h // k, w // k
    tiles = x.view(n, c, k, th, k, tw).permute(0, 2, 4, 1, 3, 5).reshape(n, k * k, c, th, tw)
    perms = torch.rand(n, k * k, generator=g).argsort(dim=1)  # one uniform permutation per image
    ident = torch.arange(k * k)
    same = (perms == ident).all(dim=1)
    perms[same] = torch.tensor([1, 0, 3, 2])
    out = tiles[torch.arange(n)[:, None], perms]
    return out.view(n, k, k, c, th, tw).permute(0, 3, 1, 4, 2, 5).reshape(n, c, h, w)


def partners(n, g):
    p = torch.randperm(n, generator=g)
    while bool((p == torch.arange(n)).all()):
        p = torch.randperm(n, generator=g)
    return p


def stitch(x, g):
    n, c, h, w = x.shape
    p = partners(n, g)
    if torch.rand(1, generator=g).item() < 0.5:
        return torch.cat((x[:, :, : h // 2], x[p][:, :, h // 2 :]), dim=2)
    return torch.cat((x[:, :, :, : w // 2], x[p][:, :, :, w // 2 :]), dim=3)


def mixup(x, g):
    lam = torch.distributions.Beta(25.0, 25.0).sample().item()
    p = partners(x.shape[0], g)
    return lam * x + (1 - lam) * x[p]


def cutout(x, g):
    n, c, h, w = x.shape
    out = x.clone()
    sides = torch.randint(10, 20, (n,), generator=g).tolist()
    tops = torch.rand(n, generator=g).tolist()
    lefts = torch.rand(n, generator=g).tolist()
    for i in range(n):
        s = sides[i]
        t = int((h - s) * tops[i])
        l = int((w - s) * lefts[i])
        patch = out[i, :, t : t + s, l : l + s]
        patch[:] = patch.mean(dim=(1, 2), keepdim=True)
    return out


def cutmix(x, g):
    n, c, h, w = x.shape
    lam = torch.distributions.Beta(1.0, 1.0).sample().item()
    p = partners(n, g)
    cut = (1 - lam) ** 0.5
    ch, cw = int(h * cut), int(w * cut)
    cy, cx = torch.randint(h, (1,), generator=g).item(), torch.randint(w, (1,), generator=g).item()
    y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
    x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, w)
    out = x.clone()
    out[:, :, y0:y1, x0:x1] = x[p][:, :, y0:y1, x0:x1]
    return out


OPS = {"jigsaw": jigsaw, "stitch": stitch, "mixup": mixup, "cutout": cutout, "cutmix": cutmix}


def rate(fn, x, g, seconds):
    for _ in range(20):
        fn(x, g)
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        for _ in range(8):
            fn(x, g)
        n += 8
    return n / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default="32")
    ap.add_argument("--transforms", default=",".join(OPS))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(1)
    result = {"torch": torch.__version__, "threads": a.threads}
    for size in [int(s) for s in a.sizes.split(",")]:
        x = torch.rand(64, 3, size, size, generator=g)
        result[str(size)] = {name: round(rate(OPS[name], x, g, a.seconds)) for name in a.transforms.split(",")}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
