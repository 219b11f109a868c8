"""Monotonic timings (perf_counter_ns) for latency; pendulum wall-clock stamps (UTC, ISO 8601)."""

import time

import pendulum


def now_ns() -> int:
    return time.perf_counter_ns()


def elapsed_ms(start_ns: int, end_ns: int | None = None) -> float:
    return ((end_ns if end_ns is not None else time.perf_counter_ns()) - start_ns) / 1e6


def utc_now_iso() -> str:
    return pendulum.now("UTC").to_iso8601_string()
