"""An example orchsdk backend plugin: a toy cluster kept in a JSON file.

``orchsdk.connect("jsonfile:///tmp/cluster.json")`` finds :class:`JsonFileBackend`
through this distribution's ``orchsdk.backends`` entry point. See
``docs/backend-authors.md`` in the orchsdk repository for the walk-through.
"""

from orchsdk_jsonfile.backend import JsonFileBackend, RolloutControl

__all__ = ["JsonFileBackend", "RolloutControl"]
