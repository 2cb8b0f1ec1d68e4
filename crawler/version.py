"""The tool's version: one source, pyproject.toml's."""
from __future__ import annotations

import importlib.metadata

try:
    TOOL_VERSION = importlib.metadata.version("siteaudit")
except importlib.metadata.PackageNotFoundError:  # running from a checkout without install
    TOOL_VERSION = "0+unknown"
