"""``skelgnn speed``: latency, throughput, FLOPs and share of the matmul peak of the registered lifters."""

from __future__ import annotations

import argparse

__all__ = ["add_subcommand"]


def _cmd_speed(args: argparse.Namespace) -> int:
    import json
    import sys

    import torch

    from ..io import atomic_write_text
    from ..speed import run_speed, speed_markdown
    from . import guard_outputs

    guard_outputs({"--json": args.json, "--markdown": args.markdown})
    if args.threads:
        torch.set_num_threads(args.threads)
    kwargs = json.loads(args.model_kwargs) if args.model_kwargs else None
    if kwargs:  # before any measurement: channels, dropout, ... in range (skelgnn.validate)
        from ..models import names
        from ..validate import check_model_kwargs

        for name in args.models or names():
            check_model_kwargs(name, kwargs, "--model-kwargs")
    report = run_speed(args.models, batch=args.batch, repeats=args.repeats, frames=args.frames,
                       device=args.device, matmul_size=args.matmul_size, budget_s=args.budget,
                       model_kwargs=kwargs, train=args.train, train_batch=args.train_batch,
                       progress=None if args.quiet else lambda s: print(s, file=sys.stderr))
    text = speed_markdown(report)
    print(text, end="")
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=1) + "\n")
        print(f"Wrote {args.json}")
    if args.markdown:
        atomic_write_text(args.markdown, text)
        print(f"Wrote {args.markdown}")
    return 0


def _json_object(text: str) -> str:
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not JSON: {e}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"channels\": 64}'")
    return text


def add_subcommand(sub) -> None:
    """Add ``speed`` to the ``skelgnn`` sub-parsers ``sub``."""
    p = sub.add_parser("speed",
                       help="benchmark the registered lifters: latency, throughput, FLOPs (eval, no grad); "
                            "--train adds training throughput. Valid only on an idle machine")
    p.add_argument("--models", nargs="+", metavar="NAME", help="registry names (default: all)")
    p.add_argument("--batch", type=int, default=1024, help="samples per call for throughput (default 1024)")
    p.add_argument("--repeats", type=int, default=10, help="timed calls per measurement (default 10)")
    p.add_argument("--frames", type=int, default=1,
                   help="output poses per sample; input frames = receptive field + frames - 1 (default 1)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--matmul-size", type=int, default=2048,
                   help="side of the reference matmul (default 2048)")
    p.add_argument("--budget", type=float, default=20.0,
                   help="seconds per throughput measurement; fewer calls if slower (default 20)")
    p.add_argument("--model-kwargs", type=_json_object, metavar="JSON",
                   help="builder keyword arguments for every model, e.g. '{\"channels\": 64}' "
                        "(default: none)")
    p.add_argument("--train", action="store_true",
                   help="also time training: forward + backward + Adam step (train_samples_per_s, "
                        "train_fraction_of_matmul)")
    p.add_argument("--train-batch", type=int, default=256,
                   help="samples per training step with --train (default 256, the benchmark's batch)")
    p.add_argument("--json", help="write the full report here")
    p.add_argument("--markdown", help="write the Markdown table here")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_cmd_speed)
