"""Ingest: how published data comes in (publishers, downloads, loaders, the daily check)."""

from pathlib import Path
from typing import Final

# The bundled real data a first run loads, and the offline fallback.
SNAPSHOT_DIR: Final = Path(__file__).resolve().parent.parent / "snapshot"
