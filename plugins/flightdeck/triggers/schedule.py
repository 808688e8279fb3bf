"""When to look again at a CloudFormation operation: near its expected end, not every few seconds throughout.

Pure: no boto3, no Airflow. A trigger knows how long the operation has run and, from the release ledger, how long
the target's previous one took. Polling at a fixed interval spends calls all through a long operation and still
notices its end half an interval late; polling at the expected end, then briefly at short intervals, spends one or
two calls and notices it within :data:`CLOSE_SECONDS`.
"""

from __future__ import annotations

#: Interval of the polls once the expected end is reached (completion is noticed at most this late).
CLOSE_SECONDS = 1.0
#: The longest quiet wait before the expected end: a failure that ends an operation early is noticed within it.
MAX_QUIET_SECONDS = 60.0
#: How long after the expected end short polls go on (at least this; or half the expected duration, if longer).
LATE_WINDOW_SECONDS = 10.0


def next_poll_in(elapsed: float, expected: float | None, delay: float) -> float:
    """Seconds until the next look at an operation that has run ``elapsed`` seconds.

    :param expected: how long the operation should take (the target's previous one); ``None`` when unknown.
    :param delay: the trigger's regular interval: used throughout when ``expected`` is unknown, and once the
        operation is late beyond the short-poll window.
    """
    if expected is None:
        return delay
    until_end = expected - elapsed
    if until_end > 0:
        return max(min(until_end, MAX_QUIET_SECONDS), 0.5)
    if -until_end < max(LATE_WINDOW_SECONDS, expected / 2):
        return min(CLOSE_SECONDS, delay)
    return delay


def first_look_pays(expected: float | None) -> bool:
    """Whether to look at once after starting the operation: only when it may well be over already."""
    return expected is None or expected < CLOSE_SECONDS
