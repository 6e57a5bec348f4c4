"""The appliance version, from the installed package metadata."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version

try:
    __version__ = version("enclave-desk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
