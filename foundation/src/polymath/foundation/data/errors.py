"""Errors raised while reading shards; each message names the shard."""


class CorruptShardError(ValueError):
    """A shard could not be read completely: truncated, overwritten, unreadable or miscounted."""


class ShardChecksumError(CorruptShardError):
    """A shard's sha256 differs from the one its manifest records."""
