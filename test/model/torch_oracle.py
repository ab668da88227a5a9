#!/usr/bin/python3
"""An outside oracle for `ubimoe reference`: the M3ViT encoder forward built from PyTorch's own modules.

Written from docs MODEL.md (the model semantics and the checkpoint names) only, NOT from
src/model/reference.ts or src/model/spec.ts, so that a bug shared by the reference and the generator
(tensor names, shapes, orientation, block order, routing) shows up here as a mismatch.

  nn.Conv2d (patch embedding), nn.LayerNorm(eps=1e-6), nn.Linear (qkv, proj, fc1, fc2, every expert's
  htoh4 / h4toh), torch.softmax, F.gelu (exact erf form, approximate='none'), torch.topk for routing.

Top-k ties: MODEL.md says the lower expert index wins. torch.topk does not document its order among
equal values, so the choice is made with a STABLE descending torch.sort (equal values keep their index
order, so the lower index comes first), and torch.topk is only used to cross-check the chosen values.
`selftest` checks that rule on constructed ties.

Dependencies: Debian python3-torch and python3-numpy (run with /usr/bin/python3). The safetensors
file is read with struct/json/numpy (no `safetensors` package in Debian 12). The model YAML files are
flat `key: value` lists, parsed here without PyYAML.

Usage (all output is one JSON object on stdout):
  torch_oracle.py selftest
  torch_oracle.py images --spec inputs.json
    inputs.json: [{"model_yaml", "batch", "seed", "out" (.npy), "tokens" (bool: [B, N, D] instead of images)}]
  torch_oracle.py check --spec cases.json
    cases.json: [{"name", "model_yaml", "checkpoint", "input", "task", "final_norm" (bool),
                  "cli_output" (the `ubimoe reference` output .npy), "torch_output" (.npy to write),
                  "experts_output" (.npy to write: expert indices as float32 [B, moeBlocks, N, k], best first),
                  "probs_output" (.npy to write: float32, same layout)}]
"""
import json
import struct
import sys

import numpy as np


# ---------------------------------------------------------------- model config (flat YAML)

def read_model_yaml(path):
    cfg = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, val = line.partition(":")
            val = val.strip()
            if val in ("true", "false"):
                cfg[key.strip()] = val == "true"
            else:
                try:
                    cfg[key.strip()] = int(val)
                except ValueError:
                    try:
                        cfg[key.strip()] = float(val)
                    except ValueError:
                        cfg[key.strip()] = val
    need = ["embed_dim", "depth", "num_heads", "mlp_ratio", "patch_size", "img_h", "img_w", "in_chans"]
    missing = [k for k in need if k not in cfg]
    if missing:
        raise SystemExit(f"{path}: missing {missing}")
    cfg.setdefault("num_experts", 0)
    cfg.setdefault("top_k", 0)
    cfg.setdefault("moe_mlp_ratio", cfg["mlp_ratio"])
    cfg.setdefault("moe_every", 2)
    cfg.setdefault("tasks", 1)
    cfg.setdefault("final_norm", False)
    return cfg


# ---------------------------------------------------------------- safetensors reader

def read_safetensors(path):
    """name -> float32 numpy array. Format: u64 LE header length, JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = blob[base + begin : base + end]
        shape = tuple(info["shape"])
        dt = info["dtype"]
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif dt == "F64":
            a = np.frombuffer(raw, dtype="<f8").astype(np.float32)
        else:
            raise SystemExit(f"{path}: tensor {name}: unsupported dtype {dt}")
        out[name] = a.reshape(shape).astype(np.float32).copy()
    return out


# ---------------------------------------------------------------- the model, from torch modules

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def route_topk(p, k):
    """Indices [.., k] of the k largest of p, best first, ties -> lower index first (stable sort)."""
    idx = torch.sort(p, dim=-1, descending=True, stable=True).indices[..., :k]
    vals = torch.gather(p, -1, idx)
    tk_vals, _ = torch.topk(p, k, dim=-1)
    assert torch.equal(vals, tk_vals), "stable sort and torch.topk disagree on the top-k values"
    return idx, vals


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, D = x.shape
        hd = D // self.heads
        # [3D] split as q | k | v, each reshaped to heads x D/heads
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, heads, N, hd]
        a = torch.softmax((q @ k.transpose(-2, -1)) * hd**-0.5, dim=-1)  # over keys
        o = (a @ v).transpose(1, 2).reshape(B, N, D)  # heads concatenated
        return self.proj(o)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, h):
        return self.fc2(F.gelu(self.fc1(h), approximate="none"))


class Experts(nn.Module):
    """Per-expert nn.Linear; the checkpoint's stacked [E, ...] tensors are split into them on load."""

    def __init__(self, dim, hidden, num):
        super().__init__()
        self.htoh4 = nn.ModuleList(nn.Linear(dim, hidden) for _ in range(num))
        self.h4toh = nn.ModuleList(nn.Linear(hidden, dim) for _ in range(num))

    def forward_one(self, e, h):
        return self.h4toh[e](F.gelu(self.htoh4[e](h), approximate="none"))


class Gate(nn.Module):
    def __init__(self, dim, num):
        super().__init__()
        self.w_gate = nn.Parameter(torch.zeros(dim, num))  # [D, E], no bias


class MoE(nn.Module):
    def __init__(self, dim, hidden, num, k, tasks):
        super().__init__()
        self.k = k
        self.experts = Experts(dim, hidden, num)
        self.gate = Gate(dim, num) if tasks == 1 else nn.ModuleList(Gate(dim, num) for _ in range(tasks))

    def forward(self, h, task):
        gate = self.gate if isinstance(self.gate, Gate) else self.gate[task]
        p = torch.softmax(h @ gate.w_gate, dim=-1)  # over ALL experts
        idx, vals = route_topk(p, self.k)  # [B, N, k]; no renormalisation
        y = torch.zeros_like(h)
        for e in range(len(self.experts.htoh4)):
            w = (vals * (idx == e).to(vals.dtype)).sum(-1)  # [B, N]: p_e where e was chosen, else 0
            rows = (idx == e).any(-1)  # the tokens routed to expert e
            if rows.any():
                y[rows] += w[rows].unsqueeze(-1) * self.experts.forward_one(e, h[rows])
        # margin between the k-th and (k+1)-th probability: how far this token is from a routing tie
        ps = torch.sort(p, dim=-1, descending=True).values
        margin = (ps[..., self.k - 1] - ps[..., self.k]) if ps.shape[-1] > self.k else torch.full_like(ps[..., 0], float("inf"))
        return y, idx, vals, margin


class Block(nn.Module):
    def __init__(self, cfg, is_moe):
        super().__init__()
        D = cfg["embed_dim"]
        self.is_moe = is_moe
        self.norm1 = nn.LayerNorm(D, eps=1e-6)
        self.attn = Attention(D, cfg["num_heads"])
        self.norm2 = nn.LayerNorm(D, eps=1e-6)
        if is_moe:
            self.mlp = MoE(D, int(D * cfg["moe_mlp_ratio"]), cfg["num_experts"], cfg["top_k"], cfg["tasks"])
        else:
            self.mlp = Mlp(D, int(D * cfg["mlp_ratio"]))

    def forward(self, x, task, routes):
        x = x + self.attn(self.norm1(x))
        h = self.norm2(x)
        if self.is_moe:
            y, idx, vals, margin = self.mlp(h, task)
            routes.append((idx, vals, margin))
            return x + y
        return x + self.mlp(h)


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        P = cfg["patch_size"]
        self.proj = nn.Conv2d(cfg["in_chans"], cfg["embed_dim"], kernel_size=P, stride=P, bias=True)

    def forward(self, img):
        return self.proj(img).flatten(2).transpose(1, 2)  # [B, (H/P)(W/P), D], patch rows then columns


class VisionTransformerMoE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        D = cfg["embed_dim"]
        n = (cfg["img_h"] // cfg["patch_size"]) * (cfg["img_w"] // cfg["patch_size"]) + 1
        self.patch_embed = PatchEmbed(cfg)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, n, D))
        every = cfg["moe_every"]
        has_moe = cfg["num_experts"] > 0
        self.blocks = nn.ModuleList(
            Block(cfg, has_moe and i % every == every - 1) for i in range(cfg["depth"])
        )
        self.norm = nn.LayerNorm(D, eps=1e-6)

    def forward_tokens(self, x, task, final_norm):
        routes = []
        for b in self.blocks:
            x = b(x, task, routes)
        if final_norm:
            x = self.norm(x)
        return x, routes

    def forward(self, img, task, final_norm):
        x = self.patch_embed(img)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.forward_tokens(x, task, final_norm)


def build_model(cfg, ckpt_path):
    """The model with the checkpoint loaded by load_state_dict(strict=True): every name and shape checked."""
    m = VisionTransformerMoE(cfg)
    tensors = read_safetensors(ckpt_path)
    sd = {}
    for name, a in tensors.items():
        stacked = name.endswith(("mlp.experts.htoh4.weight", "mlp.experts.htoh4.bias",
                                 "mlp.experts.h4toh.weight", "mlp.experts.h4toh.bias"))
        if stacked:  # [E, ...] -> one nn.Linear per expert
            stem, leaf = name.rsplit(".", 1)
            for e in range(a.shape[0]):
                sd[f"{stem}.{e}.{leaf}"] = torch.from_numpy(a[e].copy())
        else:
            sd[name] = torch.from_numpy(a)
    own = m.state_dict()
    extra = sorted(set(sd) - set(own))
    for name in extra:  # heads/decoders: ignored, as MODEL.md says
        del sd[name]
    # a checkpoint without the (unused by default) final norm: keep the module's own
    for name in ("norm.weight", "norm.bias"):
        if name not in sd and cfg.get("_need_final_norm"):
            raise SystemExit(f"{ckpt_path}: final norm requested but {name} is missing")
        sd.setdefault(name, own[name])
    m.load_state_dict(sd, strict=True)
    m.eval()
    return m, extra


# ---------------------------------------------------------------- commands

def cmd_selftest():
    """Tie rule on constructed ties: lower index first, also among the chosen (order of equal values)."""
    p = torch.tensor([[0.25, 0.25, 0.25, 0.25], [0.1, 0.3, 0.3, 0.3], [0.4, 0.1, 0.4, 0.1],
                      [0.1, 0.2, 0.3, 0.4]])
    idx, _ = route_topk(p, 2)
    got = idx.tolist()
    want = [[0, 1], [1, 2], [0, 2], [3, 2]]
    return {"ok": got == want, "got": got, "want": want, "torch": torch.__version__, "numpy": np.__version__}


def cmd_images(spec):
    """Seeded standard-normal inputs written with np.save: images [B, C, H, W] or tokens [B, N, D]."""
    shapes = []
    for item in spec:
        cfg = read_model_yaml(item["model_yaml"])
        B = int(item["batch"])
        if item.get("tokens"):
            n = (cfg["img_h"] // cfg["patch_size"]) * (cfg["img_w"] // cfg["patch_size"]) + 1
            shape = (B, n, cfg["embed_dim"])
        else:
            shape = (B, cfg["in_chans"], cfg["img_h"], cfg["img_w"])
        x = np.random.default_rng(int(item["seed"])).standard_normal(shape).astype(np.float32)
        np.save(item["out"], x)
        shapes.append(list(shape))
    return {"shapes": shapes}


def run_case(c):
    cfg = read_model_yaml(c["model_yaml"])
    cfg["_need_final_norm"] = bool(c["final_norm"])
    model, extra = build_model(cfg, c["checkpoint"])
    x = np.load(c["input"])
    task = int(c["task"])
    fn = bool(c["final_norm"])
    tokens_in = x.ndim == 3
    res = {"name": c["name"], "ignored": extra}
    outs = {}
    with torch.no_grad():
        for dt in (torch.float32, torch.float64):
            m = model.to(dt)
            xt = torch.from_numpy(x).to(dt)
            y, routes = m.forward_tokens(xt, task, fn) if tokens_in else m(xt, task, fn)
            outs[dt] = (y, routes)
    y32, routes32 = outs[torch.float32]
    y64, routes64 = outs[torch.float64]
    cli = np.load(c["cli_output"])
    if cli.shape != tuple(y32.shape):
        raise SystemExit(f"{c['name']}: CLI output shape {cli.shape} != torch {tuple(y32.shape)}")
    t32 = y32.numpy()
    t64 = y64.numpy()
    np.save(c["torch_output"], t32)

    def err(a, b):
        d = np.abs(a.astype(np.float64) - b.astype(np.float64))
        return float(d.max())

    scale = float(np.abs(t64).max())
    res.update(
        shape=list(cli.shape),
        scale=scale,
        max_abs_cli_vs_torch32=err(cli, t32),
        max_abs_cli_vs_torch64=err(cli, t64),
        max_abs_torch32_vs_torch64=err(t32, t64),
        cli_finite=bool(np.isfinite(cli).all()),
    )
    if routes32:
        idx = torch.stack([r[0] for r in routes32], dim=1).to(torch.int32).numpy()  # [B, moe, N, k]
        vals = torch.stack([r[1] for r in routes32], dim=1).numpy().astype(np.float32)
        margin = torch.stack([r[2] for r in routes32], dim=1)
        idx64 = torch.stack([r[0] for r in routes64], dim=1).to(torch.int32).numpy()
        np.save(c["experts_output"], idx.astype(np.float32))  # float32: small ints are exact
        np.save(c["probs_output"], vals)
        res.update(
            moe_blocks=int(idx.shape[1]),
            min_topk_margin=float(margin.min()),
            route_f32_vs_f64_mismatches=int((idx != idx64).any(-1).sum()),
            experts_used=sorted(set(int(e) for e in np.unique(idx))),
        )
    else:
        res.update(moe_blocks=0)
    return res


def parse(argv):
    args = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--"):
            raise SystemExit(f"unexpected argument {a}")
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            args[a[2:]] = argv[i + 1]
            i += 2
        else:
            args[a[2:]] = True
            i += 1
    return args


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = sys.argv[1], parse(sys.argv[2:])
    torch.set_num_threads(1)  # deterministic and polite on a shared 2-core machine
    if cmd == "selftest":
        out = cmd_selftest()
    elif cmd in ("images", "check"):
        with open(args["spec"], encoding="utf-8") as f:
            spec = json.load(f)
        if cmd == "images":
            out = cmd_images(spec)
        else:
            out = {"selftest": cmd_selftest(), "cases": [run_case(c) for c in spec]}
    else:
        raise SystemExit(f"unknown command {cmd}")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
