"""Errors raised while reading shards; each message names the shard."""


class CorruptShardError(ValueError):
    """A shard could not be read completely: truncated, overwritten, unreadable or miscounted."""


class ShardChecksumError(CorruptShardError):
    """A shard's sha256 differs from the one its manifest records."""


class WorkerFailure:
    """An error raised in a DataLoader worker, carried to the main process as a batch would be.

    torch re-raises worker errors as their type with a multi-line message holding the worker's
    traceback; ShardLoader raises this one instead: same type, the original one-line message.
    """

    __slots__ = ("kind", "message")

    def __init__(self, kind: type[BaseException], message: str):
        self.kind, self.message = kind, message

    @classmethod
    def of(cls, error: BaseException) -> "WorkerFailure":
        return cls(type(error), "; ".join(str(error).splitlines()) or type(error).__name__)

    def reraise(self) -> None:
        try:
            error = self.kind(self.message)
        except Exception:
            error = RuntimeError(f"{self.kind.__name__}: {self.message}")
        raise error from None
