"""``python -m orchsdk.cli``: the same as the ``orchsdk`` command."""

from orchsdk.cli import main

main()
