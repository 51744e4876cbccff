"""One exception tree for the whole product.

Each class carries the exit code the CLI returns and a message written for a
member of staff, saying what happened and what to do. Per-file problems
(`InputError` and its children) never stop a batch: the pipeline turns them
into quarantine records. Validation problems are findings, not exceptions.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    USAGE = 2
    INPUT = 3
    CONFIG = 4
    SCHEMA = 5
    ENGINE = 6
    DATABASE = 7
    LOCKED = 8
    DELIVERY = 9
    INTERNAL = 15


class DocintakeError(Exception):
    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(DocintakeError):
    exit_code = ExitCode.USAGE


class ConfigError(DocintakeError):
    exit_code = ExitCode.CONFIG


class SchemaError(DocintakeError):
    """A schema file is invalid. Never skipped: the product refuses to start."""

    exit_code = ExitCode.SCHEMA


class EngineError(DocintakeError):
    """An OCR engine is missing or failed in a way that is not the file's fault."""

    exit_code = ExitCode.ENGINE


class DatabaseError(DocintakeError):
    exit_code = ExitCode.DATABASE


class LockedError(DocintakeError):
    """Another process holds a resource that only one may hold (e.g. the watcher lock)."""

    exit_code = ExitCode.LOCKED


class DeliveryError(DocintakeError):
    exit_code = ExitCode.DELIVERY


class InputError(DocintakeError):
    """A file cannot be read. The file is quarantined with `reason`; the batch goes on.

    `reason` is a short stable code (for filtering and tests); the message is
    the sentence staff read in the review UI and in `<name>.error.txt`.
    """

    exit_code = ExitCode.INPUT
    reason = "unreadable"

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        if reason:
            self.reason = reason


class EmptyFileError(InputError):
    reason = "empty"


class CorruptFileError(InputError):
    reason = "corrupt"


class EncryptedFileError(InputError):
    reason = "encrypted"


class TooLargeError(InputError):
    reason = "too_large"


class WrongTypeError(InputError):
    reason = "wrong_type"


class NotRegularFileError(InputError):
    reason = "not_regular_file"


class TransientError(DocintakeError):
    """The file may become readable later (still being written, locked): retry, don't quarantine yet.

    Not an `InputError`: an `except InputError` quarantines, and a retryable file must not be.
    """

    exit_code = ExitCode.INPUT
    reason = "transient"

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        if reason:
            self.reason = reason
