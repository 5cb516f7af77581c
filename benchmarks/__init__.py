"""orchsdk's performance harness: orchsdk and the code users would write by hand, side by side.

Run it with ``.venv/bin/python -m benchmarks`` (``--quick`` for a smoke run); see
``docs/performance.md``. Every benchmark runs the emulators in a child process, so the
CPU time measured in this process is the client's alone, and writes its results into
``benchmarks/results/last.json``.
"""
