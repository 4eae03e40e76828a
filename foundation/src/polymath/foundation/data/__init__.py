"""Streaming data: webdataset shards with a manifest, a reader, a LightningDataModule, seeds."""

from polymath.foundation.data.datamodule import ShardDataModule
from polymath.foundation.data.decoders import register_decoder
from polymath.foundation.data.errors import CorruptShardError, ShardChecksumError
from polymath.foundation.data.loader import ShardLoader
from polymath.foundation.data.manifest import Manifest, ShardInfo
from polymath.foundation.data.reader import ShardDataset, shard_dataset
from polymath.foundation.data.seeding import worker_seed
from polymath.foundation.data.writer import write_shards

__all__ = [
    "CorruptShardError",
    "Manifest",
    "ShardChecksumError",
    "ShardDataModule",
    "ShardDataset",
    "ShardInfo",
    "ShardLoader",
    "register_decoder",
    "shard_dataset",
    "worker_seed",
    "write_shards",
]
