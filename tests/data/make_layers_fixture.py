"""Outputs of the pre-rewrite (commit 09b760a) Skeletal GNN layers for fixed parameters: a regression
fixture."""
from pathlib import Path

import torch

from skelgnn import H36M_17
from skelgnn.models import build

torch.set_num_threads(1)
CASES = [
    ("skeletal_gnn", {}),
    ("skeletal_gnn", {"weight_mode": "lcn"}),
    ("skeletal_gnn", {"dynamic": "none", "S": 0, "d": 0.25}),
    ("skeletal_gnn", {"dynamic": "o", "mask_dynamic": True, "short_range": "per_hop", "S": 2}),
    ("skeletal_gnn", {"dynamic": "m", "squeeze": "k-L", "L": 6}),
    ("skeletal_gnn", {"dynamic": "mo", "weight_mode": "lcn", "L": 8, "d": 1.0, "graph_init": "sym"}),
    ("skeletal_gnn_plus", {}),
    ("skeletal_gnn_plus", {"d": 0.5, "L": 4, "short_range": "per_hop"}),
    ("skeletal_gnn_static", {"weight_mode": "lcn", "S": 0}),
    ("skeletal_gnn_t27", {}),
    ("skeletal_gnn_t27", {"weight_mode": "lcn", "dynamic": "m"}),
    ("semgcn", {}),
    ("semgcn_nonlocal", {}),
]
out = []
for i, (name, kw) in enumerate(CASES):
    kw = {"channels": 4, **kw}
    torch.manual_seed(i)
    model = build(name, H36M_17, **kw)
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
    model.eval()
    g = torch.Generator().manual_seed(100 + i)
    x = torch.randn(3, model.receptive_field + 2, 17, 2, generator=g) * 0.4
    with torch.no_grad():
        y = model(x)
    out.append({"name": name, "kwargs": kw, "state_dict": model.state_dict(), "x": x, "y": y})
torch.save(out, Path(__file__).resolve().parent / "layers_09b760a.pt")
print(len(out))
