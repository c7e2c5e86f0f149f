"""The ``skelgnn`` command line: parse arguments, call one library function, print.

Every subcommand is a ``_cmd_<name>(args)`` that checks the output paths
(:func:`skelgnn.lifting.outputs.check_outputs`), calls one library function and prints what it returned,
beside its ``_add_<name>(sub)`` parser block, in one module per group of commands: ``data_commands``
(``skelgnn data ...``), ``experiment_commands`` (train, evaluate, benchmark, speed, robustness) and
``lifting_commands`` (models, predict, demo, export); ``common`` holds what they share. :func:`_parser`
here assembles the blocks in the order ``skelgnn --help`` lists them. The library's own errors
(:class:`skelgnn.core.errors.SkelgnnError`) print as one line ``skelgnn: error: ...`` with exit status 2
instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..core.errors import SkelgnnError
from .data_commands import _add_data_bandai2, _add_data_h36m_cdf, _add_data_hdm05
from .experiment_commands import (
    _add_benchmark,
    _add_evaluate,
    _add_evaluate_3dhp,
    _add_robustness,
    _add_speed,
    _add_train,
)
from .lifting_commands import _add_demo, _add_export, _add_models, _add_predict

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skelgnn", description="Skeletal GNN 2D→3D human pose lifting.")
    p.add_argument("--version", action="version", version=f"skelgnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="build benchmark data")
    data_sub = data.add_subparsers(dest="dataset", required=True)
    _add_data_hdm05(data_sub)
    _add_data_bandai2(data_sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_benchmark(sub)
    _add_models(sub)
    _add_predict(sub)
    _add_export(sub)
    _add_speed(sub)
    _add_demo(sub)
    _add_robustness(sub)
    _add_evaluate_3dhp(sub)
    _add_data_h36m_cdf(data_sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if not argv:  # bare `skelgnn`: the help, not a usage error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SkelgnnError as e:
        print(f"skelgnn: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skelgnn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
