"""The watchdog behind the header deadline: it cuts off only what is still waiting."""

from __future__ import annotations

import socket
import time

from orchsdk.header_deadline import _Watchdog


def test_a_socket_still_waiting_at_its_deadline_is_shut_down() -> None:
    watchdog = _Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs, watchdog.watching(ours, 0.05) as guard:
        ours.settimeout(5)
        assert ours.recv(1) == b""  # the shutdown ends the wait, long before 5 s
        assert guard.fired


def test_a_socket_released_before_its_deadline_is_left_alone() -> None:
    watchdog = _Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        with watchdog.watching(ours, 0.05) as guard:
            pass
        time.sleep(0.2)
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"
        assert not guard.fired


def test_released_guards_do_not_pile_up() -> None:
    watchdog = _Watchdog()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        for _ in range(10_000):
            with watchdog.watching(ours, 600):
                pass
    assert len(watchdog._heap) <= 2048
