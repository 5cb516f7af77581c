"""orchsdk's reference backend, in memory: ``orchsdk.connect("memory://")``.

Registered through the ``orchsdk.backends`` entry point, like any plugin.
"""

from orchsdk_memory.backend import MemoryBackend, RolloutControl

__all__ = ["MemoryBackend", "RolloutControl"]
