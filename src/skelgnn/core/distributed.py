"""Multi-process training on PyTorch's own engine: ``torch.distributed`` + DistributedDataParallel,
launched by ``torchrun``. Nothing here runs at import; :func:`skelgnn.training.train.fit` calls :func:`setup`.

Without torchrun's environment (``WORLD_SIZE`` unset or 1) :func:`setup` returns a single-process
:class:`Context` and training is exactly the plain single-process loop. With ``WORLD_SIZE`` = W > 1
(``torchrun --nproc_per_node=N ...``, any number of nodes) every process joins one process group
(NCCL when the device is a GPU, gloo on CPU) and, for rank r of W:

* **Batches.** The global batch is ``train.batch_size`` frames, as in a single-process run; each rank
  takes 1/W of it (an error says so when the batch does not split evenly). :func:`train_loader` uses
  torch's ``DistributedSampler`` seeded so that its permutation *is* the single-process permutation
  of that epoch, and hands rank r the samples r, r + W, r + 2W, ... of it; with per-rank batches of
  B/W samples, step k on all ranks together covers exactly the single-process batch k. The sampler
  drops the last ``len(dataset) mod W`` samples of the permutation (at most W − 1 per epoch) so that
  every rank has the same number of samples; a trailing per-rank batch of a single sample is skipped
  too (BatchNorm cannot train on one sample).
* **Gradients.** DDP averages them over the ranks every step. Each rank's loss is the mean over its
  equal share, so the average is the single-process gradient up to the order of float additions.
* **Flips and dropout.** Flips are drawn per sample index from ``(seed, epoch)`` on every rank, so a
  sample is flipped exactly as in a single-process run; dropout masks are seeded by
  ``(seed, epoch, rank)`` (rank 0 uses the single-process seed).
* **BatchNorm.** With ``train.sync_bn`` (default) on GPUs, BatchNorm layers become SyncBatchNorm:
  batch statistics over the global batch. torch's SyncBatchNorm needs a GPU, so on CPU (gloo) the
  statistics of each step are those of the rank's own B/W samples; the running statistics are rank
  0's (DDP broadcasts buffers from rank 0 every step, and :func:`broadcast_buffers` before each
  validation), so all ranks validate and rank 0 saves the same model.
* **Metrics.** The logged training loss is all-reduced every step (which also makes the non-finite
  check agree, so every rank stops together); validation is sharded by sequence, its error sums are
  all-reduced and rank 0's value is broadcast, so early stopping and model selection agree.
* **Files.** Only rank 0 writes checkpoints and the log; the others wait at a barrier. Every rank
  resumes from ``last.pt``.

Mixed precision (``train.amp`` = "bf16" | "fp16", default "off") is for CUDA devices only; fp16 uses
a GradScaler whose state is saved in ``last.pt``. Validation always runs in float32.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .errors import SkelgnnError

__all__ = ["Context", "setup", "teardown", "is_main_process", "resolve_device", "per_rank_batch",
           "train_loader", "wrap_model", "mean_over_ranks", "sum_over_ranks", "broadcast_value",
           "broadcast_buffers", "barrier"]


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``world_size`` processes, this one is ``rank`` (``local_rank`` on its
    node)."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    owns_group: bool = False  # setup() created the process group, so teardown() destroys it

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SkelgnnError(f"environment variable {name}={raw!r} is not an integer "
                           "(set by torchrun)") from None


def is_main_process() -> bool:
    """True unless this process is a non-zero rank of a torchrun launch (reads ``RANK``)."""
    return _env_int("RANK", 0) == 0


def resolve_device(name: str, local_rank: int | None = None) -> torch.device:
    """``"auto"`` → ``cuda:<local_rank>`` when CUDA is available, else ``cpu``; ``"cpu"``; ``"cuda"`` →
    ``cuda:<local_rank>``; ``"cuda:N"`` as given. ``local_rank`` None: torchrun's ``LOCAL_RANK`` (0 without
    it)."""
    if local_rank is None:
        local_rank = _env_int("LOCAL_RANK", 0)
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if name not in ("auto", "cuda") and not name.startswith("cuda:"):
        raise SkelgnnError(f"train.device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {name!r}")
    if not torch.cuda.is_available():
        raise SkelgnnError(f"train.device = {name!r}, but this torch sees no CUDA device")
    dev = torch.device(name if name.startswith("cuda:") else f"cuda:{local_rank}")
    if dev.index is not None and dev.index >= torch.cuda.device_count():
        raise SkelgnnError(f"device {dev} does not exist: {torch.cuda.device_count()} CUDA device(s) visible "
                           "(torchrun --nproc_per_node must not exceed the GPUs of a node)")
    return dev


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``; ``platform.processor()`` where that is missing)."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            name = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        name = ""
    return name or platform.processor() or "unknown CPU"


def describe_device(device: torch.device) -> str:
    """``"cuda: <GPU name>"`` or ``"cpu: <processor model>"``, for result files and tables."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"{device.type}: {cpu_model()}"


def setup(device: str = "auto") -> Context:
    """Join torchrun's process group when ``WORLD_SIZE`` > 1 (NCCL on GPUs, gloo on CPU).

    An already initialised default group is used as it is (and left alone by :func:`teardown`).
    """
    world = _env_int("WORLD_SIZE", 1)
    local = _env_int("LOCAL_RANK", 0)
    if world <= 1:
        return Context(device=resolve_device(device, 0))
    if not dist.is_available():
        raise SkelgnnError("WORLD_SIZE > 1 but this torch build has no torch.distributed")
    dev = resolve_device(device, local)
    owns = False
    if not dist.is_initialized():
        for var in ("MASTER_ADDR", "MASTER_PORT", "RANK"):
            if var not in os.environ:
                raise SkelgnnError(f"WORLD_SIZE={world} but {var} is not set: launch with torchrun "
                                   "(e.g. torchrun --nproc_per_node=2 -m skelgnn.cli train ...)")
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
            dist.init_process_group(backend="nccl", device_id=dev)
        else:
            dist.init_process_group(backend="gloo")
        owns = True
    if dist.get_world_size() != world:
        raise SkelgnnError(f"WORLD_SIZE={world} but the process group has {dist.get_world_size()} processes")
    return Context(world_size=world, rank=dist.get_rank(), local_rank=local, device=dev, owns_group=owns)


def teardown(ctx: Context) -> None:
    """Destroy the process group if :func:`setup` created it."""
    if ctx.owns_group and dist.is_initialized():
        # let every rank finish its last collective before any rank tears its connections down
        with contextlib.suppress(RuntimeError):
            dist.barrier()
        dist.destroy_process_group()


def per_rank_batch(batch_size: int, chunk: int, world_size: int) -> int:
    """Samples per rank and step: ``max(1, batch_size // chunk) / world_size`` (must divide evenly)."""
    samples = max(1, batch_size // chunk)
    if world_size > 1 and samples % world_size:
        raise SkelgnnError(f"train.batch_size = {batch_size} frames is {samples} sample(s) of {chunk} "
                           f"frame(s), which do not split evenly over {world_size} processes; choose a batch "
                           f"size that is a multiple of {world_size * chunk} frames (or another process "
                           "count)")
    return samples // world_size


def train_loader(ctx: Context, dataset: Dataset, batch: int, seed: int, epoch: int) -> DataLoader:
    """This rank's loader for ``epoch``: samples r, r + W, ... of the single-process permutation.

    ``seed`` must be the seed of the single-process ``RandomSampler`` generator minus ``epoch``'s
    offset (torch's ``DistributedSampler`` seeds its generator with ``seed + epoch``).
    """
    sampler = DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=seed,
                                 drop_last=True)
    sampler.set_epoch(epoch)
    return DataLoader(dataset, batch_size=batch, sampler=sampler,
                      drop_last=batch > 1 and len(sampler) % batch == 1)


def wrap_model(ctx: Context, model: nn.Module) -> nn.Module:
    """DistributedDataParallel around ``model`` (already on ``ctx.device``)."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, output_device=ids[0] if ids else None)


def mean_over_ranks(ctx: Context, value: torch.Tensor) -> torch.Tensor:
    """Mean of a scalar tensor over the ranks (the tensor itself in a single process)."""
    if not ctx.distributed:
        return value
    t = value.detach().clone()
    dist.all_reduce(t)
    return t / ctx.world_size


def sum_over_ranks(ctx: Context, values: list[float]) -> list[float]:
    """Element-wise sum over the ranks, in float64."""
    if not ctx.distributed:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    return t.tolist()


def broadcast_value(ctx: Context, value: float) -> float:
    """Rank 0's ``value`` on every rank (bit-identical decisions everywhere)."""
    if not ctx.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=ctx.device)
    dist.broadcast(t, 0)
    return float(t.item())


def broadcast_buffers(ctx: Context, module: nn.Module) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) into every rank's ``module``."""
    if ctx.distributed:
        for buf in module.buffers():
            dist.broadcast(buf, 0)


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier(device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
