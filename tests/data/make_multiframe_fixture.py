"""Outputs and gradients of the multi-frame Skeletal GNN layers as written before their rewrite for speed
(commit 89faf8d): a regression fixture for tests/test_multiframe.py.

For every case: the state_dict, an input of receptive_field + 2 frames and the eval-mode outputs on it; an
input of exactly receptive_field frames, the strided outputs on it (when the model has a strided variant) and
the gradients of their sum of squares for every parameter (eval mode: BatchNorm uses its statistics, no
dropout). Run from the repository root: PYTHONPATH=src python tests/data/make_multiframe_fixture.py
"""
from pathlib import Path

import torch

from skelgnn import H36M_17
from skelgnn.models import build

torch.set_num_threads(1)
CASES = [
    ("skeletal_gnn_t27", {}),
    ("skeletal_gnn_t27", {"weight_mode": "lcn"}),
    ("skeletal_gnn_t27", {"temporal_mix": "graph", "S": 0, "short_range": "per_hop"}),
    ("skeletal_gnn_t27", {"o_window": "clip", "o_scale": True}),
    ("skeletal_gnn_t27", {"mask_dynamic": True, "o_norm": "softmax", "o_scale": True, "o_gate": True,
                          "root_relative": True}),
    ("skeletal_gnn_t27", {"dynamic": "o", "weight_mode": "lcn", "d": 1.0, "L": 6, "graph_init": "sym"}),
    ("skeletal_gnn_t27", {"temporal_kernel": 1, "squeeze": "k-L"}),
    ("skeletal_gnn_t81", {}),
]
out = []
for i, (name, kw) in enumerate(CASES):
    kw = {"channels": 4, **kw}
    torch.manual_seed(i)
    model = build(name, H36M_17, **kw)
    with torch.no_grad():  # non-trivial BatchNorm statistics and O_k gates
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
        for key, p in model.named_parameters():
            if key.endswith("graph.gate"):
                p.uniform_(0.5, 1.5)
    model.eval()
    g = torch.Generator().manual_seed(100 + i)
    rf = model.receptive_field
    x = torch.randn(2, rf + 2, 17, 2, generator=g) * 0.4
    with torch.no_grad():
        y = model(x)
    case = {"name": name, "kwargs": kw, "state_dict": model.state_dict(), "x": x, "y": y}
    if model.supports_strided:
        xs = torch.randn(3, rf, 17, 2, generator=g) * 0.4
        ys = model(xs, strided=True)
        params = dict(model.named_parameters())
        grads = torch.autograd.grad(ys.square().sum(), list(params.values()))
        case.update(x_strided=xs, y_strided=ys.detach(), grads=dict(zip(params, grads)))
    out.append(case)
path = Path(__file__).parent / "multiframe_89faf8d.pt"  # run at that commit
torch.save(out, path)
print(path, len(out), path.stat().st_size)
