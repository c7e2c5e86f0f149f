"""Subcommands contributed by feature modules.

Each module here defines ``add_subcommand(sub)``, which adds one argparse sub-parser whose
``func(args) -> int`` does: parse → call one library function → print. ``skelgnn.cli`` calls every
module listed in ``MODULES``.
"""

MODULES: tuple[str, ...] = ("predict", "export", "speed", "demo", "robustness", "h36m")
