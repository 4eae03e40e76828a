"""Sharded training with FSDP2, the same code path on CPU (ModelParallelStrategy) and GPU."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn
from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import fully_shard


def shard_fsdp2(
    model: nn.Module, mesh: DeviceMesh, units: Iterable[nn.Module] | None = None
) -> None:
    """Applies ``fully_shard`` to each unit (default: the children that hold parameters), then the root."""
    for unit in units if units is not None else model.children():
        if any(True for _ in unit.parameters()):
            fully_shard(unit, mesh=mesh)
    fully_shard(model, mesh=mesh)


class FSDP2Mixin:
    """Mix into a LightningModule to make ``trainer.strategy="fsdp"`` shard it on CPU as well.

    Under Lightning's ModelParallelStrategy (what ``"fsdp"`` means on CPU) the module must shard
    itself in ``configure_model``; elsewhere ``device_mesh`` is None and nothing happens.
    Override ``fsdp_units`` to choose the sharding units (default: the direct children).
    """

    def fsdp_units(self) -> Iterable[nn.Module] | None:
        return None

    def configure_model(self) -> None:
        mesh = getattr(self, "device_mesh", None)
        if mesh is not None:
            shard_fsdp2(self, mesh["data_parallel"], self.fsdp_units())
