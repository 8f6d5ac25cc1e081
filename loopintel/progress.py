"""The time an indexing run has left, estimated so that it does not swing.

Commits arrive in bursts (workers hand results over in batches, a range waits for the
one before it), so the speed over the last few seconds swings by orders of magnitude.
:class:`TimeLeft` estimates instead from a rate smoothed over the work done: an
exponentially weighted rate (commits over seconds, both decayed with a time constant
of minutes), which for a run shorter than that is the plain rate since the start and
for a longer one follows a history whose commits grow costlier. It says nothing until
enough is done (1% of the commits, or 30 seconds with some done), and the figure it
shows moves towards the estimate by at most a bounded factor per update.
"""

from __future__ import annotations

import math

__all__ = ["TimeLeft"]

TIME_CONSTANT = 300.0
"""Seconds over which the rate is averaged (older work counts e-fold less)."""
MIN_FRACTION = 0.01
"""Share of the commits done before a time left is shown..."""
MIN_SECONDS = 30.0
"""...or seconds since the start (with some commits done)."""
MAX_STEP = 1.25
"""Largest factor by which the time shown changes from one update to the next
(beyond counting down)."""


class TimeLeft:
    """Seconds left of a run of ``total`` steps, updated as steps are done.

    Example:
        >>> left = TimeLeft()
        >>> left.update(0.0, 0, 1000) is None
        True
        >>> round(left.update(60.0, 100, 1000))
        540

    """

    def __init__(
        self,
        *,
        time_constant: float = TIME_CONSTANT,
        min_fraction: float = MIN_FRACTION,
        min_seconds: float = MIN_SECONDS,
        max_step: float = MAX_STEP,
    ) -> None:
        self._tau = time_constant
        self._min_fraction = min_fraction
        self._min_seconds = min_seconds
        self._max_step = max_step
        self._start: tuple[float, int] | None = None
        self._last: tuple[float, int] = (0.0, 0)
        self._steps = 0.0  # decayed steps done
        self._seconds = 0.0  # decayed seconds spent
        self._shown: float | None = None

    def rate(self) -> float | None:
        """The smoothed rate (steps per second), once some time has passed."""
        return self._steps / self._seconds if self._seconds > 0 else None

    def update(self, now: float, done: int, total: int) -> float | None:
        """Seconds left at ``now`` (any clock in seconds), or ``None`` until enough is done.

        The first call marks the start: what was done before it is not counted.
        """
        if self._start is None:
            self._start = self._last = (now, done)
            return None
        last_time, last_done = self._last
        elapsed = now - last_time
        if elapsed > 0:
            decay = math.exp(-elapsed / self._tau)
            self._steps = self._steps * decay + max(0, done - last_done)
            self._seconds = self._seconds * decay + elapsed
            self._last = (now, done)
        start_time, start_done = self._start
        counted = done - start_done
        enough = counted >= self._min_fraction * max(1, total - start_done) or (
            now - start_time >= self._min_seconds
        )
        rate = self.rate()
        if counted <= 0 or not enough or not rate:
            return self._shown
        estimate = max(0, total - done) / rate
        if self._shown is None:
            self._shown = estimate
        else:
            # Counted down since the last figure, then moved towards the estimate.
            base = max(self._shown - max(0.0, elapsed), 1.0)
            self._shown = min(max(estimate, base / self._max_step), base * self._max_step)
        if done >= total:
            self._shown = 0.0
        return self._shown
