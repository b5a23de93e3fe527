"""Child processes that die with their parent, however it dies.

The loading child (ingest/worker.py) and the bot's render process (handlers/render_process.py)
are spawned by a process pool; killed with SIGKILL, the parent runs no clean-up, and a child
waiting on the pool's queue never learns: it held its own copy of the queue's pipe, so it
(and multiprocessing's resource tracker, whose pipe it also held) lived on, a loading child
for 14 minutes, still committing its load.  So each child calls `die_with_parent` first: on
Linux it asks the kernel for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG, through
ctypes: nothing to install, and it holds even when the parent is SIGKILLed); elsewhere a
daemon thread polls the parent's pid twice a second.  A pipe the child watches would do as
well, but the pool's own pipes are what keep it alive, and the kernel's signal needs no
thread.  Once no child holds its pipe, the resource tracker ends by itself.

The signal is sent when the thread that started the child ends: the pools start their
processes from the event loop's thread, which lives as long as the process.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from typing import Final

PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """Make this process end when the process `parent` does (call it first thing in a child;
    `parent` is the parent's pid, taken before the child was started)."""
    if not (sys.platform.startswith("linux") and _pdeathsig()):
        threading.Thread(target=_watch, args=(parent,), name="parent-watch",
                         daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def _pdeathsig() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
