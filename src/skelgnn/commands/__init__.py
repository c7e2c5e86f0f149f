"""Subcommands contributed by feature modules.

Each module here defines ``add_subcommand(sub)``, which adds one argparse sub-parser whose
``func(args) -> int`` does: parse → call one library function → print. ``skelgnn.cli`` calls every
module listed in ``MODULES``.
"""

MODULES: tuple[str, ...] = ("predict", "export", "speed", "demo", "robustness", "h36m")


def guard_outputs(files=None, *, inputs=(), folders=None) -> None:
    """:func:`skelgnn.outputs.check_outputs` before any work; say which existing files will be replaced."""
    import sys

    from ..outputs import check_outputs

    for path in check_outputs(files, inputs=inputs, folders=folders):
        print(f"skelgnn: note: {path} exists and will be replaced", file=sys.stderr)
