"""The fc pipeline check outside skelgnn's trainer: Martinez et al.'s MLP on HDM05-Lift in a plain loop.

A diagnostic, not a test. It trains the MLP (34 -> 1024, 2 residual blocks of (Linear, BatchNorm, ReLU,
Dropout 0.5) x 2, -> J*3) with the recipe of issue 14 (Adam, lr 1e-3 x 0.95 per epoch, batch 256, MSE,
train-time flip) on the training clips and prints one JSON line per epoch with the validation MPJPE (mm,
no test-time flip), so that three data/initialisation settings can be told apart in a few epochs:

    --zscore 1   inputs and outputs standardised per dimension (the loss is then MSE on z-scores)
    --nonroot 1  predict the 16 non-root joints only (0: all 17, the root subtracted at evaluation)
    --kaiming 1  He-normal weights (Martinez et al.'s code) instead of PyTorch's default

    python bench/fc_recipe_probe.py --zscore 1 --kaiming 0 --epochs 10 --out bench/fc_recipe/z_only.jsonl

Needs the benchmark folder data/hdm05 (``skelgnn data hdm05``). One torch thread; ~20 s CPU per epoch.
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn

from skelgnn.core.skeleton import flip_joints
from skelgnn.training.config import DataConfig
from skelgnn.training.datasets import training_sequences

p = argparse.ArgumentParser()
p.add_argument("--zscore", type=int, default=1)
p.add_argument("--nonroot", type=int, default=1)
p.add_argument("--kaiming", type=int, default=1)
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--input", default="gt")
p.add_argument("--out", required=True)
p.add_argument("--maxnorm", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)
tr, va, sk = training_sequences(DataConfig(path="data/hdm05", input=a.input))
X = np.concatenate(tr.inputs)
Y = np.concatenate(tr.targets) / 1000.0
Xf = flip_joints(X, sk)
Yf = flip_joints(Y, sk)
Xv = np.concatenate(va.inputs)
Yv = np.concatenate(va.targets) / 1000.0
J = X.shape[1]
sel = slice(1, None) if a.nonroot else slice(0, None)
def flat_in(x): return torch.tensor(x.reshape(len(x), -1), dtype=torch.float32)
def flat_out(y): return torch.tensor(y[:, sel].reshape(len(y), -1), dtype=torch.float32)
xin = torch.cat([flat_in(X), flat_in(Xf)])
yout = torch.cat([flat_out(Y), flat_out(Yf)])
if a.zscore:
    mx, sx = xin.mean(0), xin.std(0)
    my, sy = yout.mean(0), yout.std(0)
else:
    mx, sx = torch.zeros(xin.shape[1]), torch.ones(xin.shape[1])
    my, sy = torch.zeros(yout.shape[1]), torch.ones(yout.shape[1])
N = len(X)
Xt, Yt = flat_in(X), flat_out(Y)
Xft, Yft = flat_in(Xf), flat_out(Yf)
Xvt = (flat_in(Xv) - mx) / sx
C = 1024
def stage(i, o): return [nn.Linear(i, o), nn.BatchNorm1d(o), nn.ReLU(), nn.Dropout(0.5)]
class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.f = nn.Sequential(*stage(C, C), *stage(C, C))
    def forward(s, x): return x + s.f(x)
net = nn.Sequential(*stage(Xt.shape[1], C), Block(), Block(), nn.Linear(C, Yt.shape[1]))
if a.kaiming:
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
sch = torch.optim.lr_scheduler.ExponentialLR(opt, 0.95)
with open(a.out, "w") as log:
    for ep in range(a.epochs):
        t0 = time.process_time()
        net.train()
        g = torch.Generator().manual_seed(ep)
        flip = torch.rand(N, generator=g) < 0.5
        xb_all = torch.where(flip[:, None], Xft, Xt)
        yb_all = torch.where(flip[:, None], Yft, Yt)
        xb_all = (xb_all - mx) / sx
        yb_all = (yb_all - my) / sy
        order = torch.randperm(N, generator=g)
        tot = 0
        for s in range(0, N, 256):
            i = order[s:s + 256]
            pred = net(xb_all[i])
            loss = ((pred - yb_all[i]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item() * len(i)
            if a.maxnorm:
                with torch.no_grad():
                    for m in net.modules():
                        if isinstance(m, nn.Linear):
                            n = m.weight.norm()
                            if n > 1:
                                m.weight.div_(n)
        sch.step()
        net.eval()
        with torch.no_grad():
            pv = net(Xvt) * sy + my
            pv = pv.reshape(len(Xv), -1, 3).numpy()
            pv = np.concatenate([np.zeros((len(pv), 1, 3)), pv], 1) if a.nonroot else pv - pv[:, :1]
            err = np.linalg.norm(pv - Yv, axis=-1).mean() * 1000
        row = dict(epoch=ep + 1, val=float(err), train=tot / N, cpu=time.process_time() - t0)
        print(json.dumps(row), file=log, flush=True)
