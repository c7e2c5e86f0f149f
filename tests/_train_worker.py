"""``skelgnn`` CLI with one extra test model, ``fc_nobn``: the fc lifter without BatchNorm.

Used by tests/test_distributed.py as a torchrun script: a model without BatchNorm lets a 2-process run
match a 1-process run up to float summation order (BatchNorm statistics are per rank on CPU).
"""

from __future__ import annotations

import sys

from torch import nn


def fc_nobn(skeleton, **kwargs):
    from skelgnn.models.fc import FCLifter

    model = FCLifter(skeleton, **kwargs)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.BatchNorm1d):
                setattr(module, name, nn.Identity())
    return model


def register() -> None:
    from skelgnn.models import REGISTRY

    REGISTRY.setdefault("fc_nobn", fc_nobn)


if __name__ == "__main__":
    from skelgnn.cli import main

    register()
    sys.exit(main(sys.argv[1:]))
