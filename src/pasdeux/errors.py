"""The exceptions a user can cause. The CLI prints their message and exits with code 2."""


class PasdeuxError(Exception):
    """Base class: something the user can fix; the message says what and how."""


class FormatError(PasdeuxError):
    """A file is empty, truncated, malformed or not of the format it claims."""


class ShapeError(PasdeuxError):
    """An array has the wrong shape, dtype or non-finite values."""


class SkeletonError(PasdeuxError):
    """A skeleton is inconsistent, or lacks joints that an operation needs."""


class ConfigError(PasdeuxError):
    """An option, config value or command-line argument is unknown or out of range."""
