"""A local Marathon for tests: :class:`MarathonEmulator` (plus the ``marathon_emulator`` fixture).

The emulator serves Marathon's REST API (apps, versions, tasks, deployments that take
steps, groups, info, events) and the DC/OS secret store on ``127.0.0.1``, over real
HTTP, with Marathon's validation and error bodies. See ``docs/backends/marathon-emulator.md``.

>>> from orchsdk_marathon.testing import MarathonEmulator
>>> with MarathonEmulator() as marathon:
...     marathon.url.startswith("marathon+http://127.0.0.1:")
True
"""

from orchsdk_marathon.testing.emulator import Control, MarathonEmulator

__all__ = ["Control", "MarathonEmulator"]
