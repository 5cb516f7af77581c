"""orchsdk's Marathon backend: ``orchsdk.connect("marathon+https://host:8080,host2:8080/")``.

Talks to Marathon's REST API (and the DC/OS secret store API) with ``requests``, which
is imported only when the first request is sent, so importing this package is cheap.
Registered through the ``orchsdk.backends`` entry points ``marathon+http`` and
``marathon+https``, like any plugin. See ``docs/backends/marathon.md``.
"""

from orchsdk_marathon.backend import MarathonBackend
from orchsdk_marathon.config import Settings

__all__ = ["MarathonBackend", "Settings"]
