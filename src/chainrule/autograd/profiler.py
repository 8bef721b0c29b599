"""A profiler for chainrule programs, with the face of ``torch.autograd.profiler.profile``.

    with cr.autograd.profiler.profile() as prof:
        loss = model(x)
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")   # chrome://tracing or https://ui.perfetto.dev

Each forward operation is recorded under its primitive's name (category ``forward``) and each
backward node run under the node's name, e.g. ``MulBackward0`` (category ``backward``). An
event's self time excludes the recorded events nested in it, e.g. the operations that a
backward rule records itself under ``create_graph=True``. While no profiler is active nothing is
paid (see ``dispatch.instrumented``).
"""

from __future__ import annotations

import json
import os
import threading
from time import perf_counter_ns

from . import dispatch

__all__ = ["profile", "FunctionEvent", "FunctionEventAvg", "EventList"]


class FunctionEvent:
    """One recorded operation: times in nanoseconds (perf_counter_ns)."""

    __slots__ = ("name", "category", "start_ns", "end_ns", "resumed_ns", "child_ns", "thread")

    def __init__(self, name, category, start_ns, thread):
        self.name = name
        self.category = category
        self.start_ns = start_ns
        self.resumed_ns = start_ns
        self.end_ns = start_ns
        self.child_ns = 0
        self.thread = thread

    @property
    def cpu_time_total(self) -> float:
        """Microseconds from start to end."""
        return (self.end_ns - self.start_ns) / 1000

    @property
    def self_cpu_time_total(self) -> float:
        """Microseconds, less the events nested in this one."""
        return (self.end_ns - self.start_ns - self.child_ns) / 1000

    def __repr__(self):
        return f"<FunctionEvent {self.name} ({self.category}) {self.cpu_time_total:.1f}us>"


class FunctionEventAvg:
    """The events of one name and category, summed (times in microseconds)."""

    __slots__ = ("key", "category", "count", "cpu_time_total", "self_cpu_time_total")

    def __init__(self, key, category):
        self.key = key
        self.category = category
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<FunctionEventAvg {self.key} ({self.category}) count={self.count} "
                f"self={self.self_cpu_time_total:.1f}us total={self.cpu_time_total:.1f}us>")


_SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "count", "cpu_time", "self_cpu_time")


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events (or averages) that prints as a table."""

    def table(self, sort_by: str | None = None, row_limit: int = 100) -> str:
        """A text table: name, forward/backward, calls, self and total time (with percent of
        the whole), average time. ``sort_by``: ``"self_cpu_time_total"``,
        ``"cpu_time_total"``, ``"count"``, ``"cpu_time"`` or ``"self_cpu_time"`` (descending);
        None keeps the recorded order. ``row_limit`` < 0: no limit."""
        rows = [r if isinstance(r, FunctionEventAvg) else _avg_of(r) for r in self]
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(f"sort_by must be one of {', '.join(_SORT_KEYS)}, got "
                                 f"{sort_by!r}")
            rows.sort(key=lambda r: getattr(r, sort_by), reverse=True)
        whole = sum(r.self_cpu_time_total for r in rows) or 1.0
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        head = ("Name", "Pass", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                "CPU time avg", "# of Calls")
        body = [(r.key, r.category, f"{100 * r.self_cpu_time_total / whole:.2f}%",
                 _fmt_us(r.self_cpu_time_total), f"{100 * r.cpu_time_total / whole:.2f}%",
                 _fmt_us(r.cpu_time_total), _fmt_us(r.cpu_time), str(r.count)) for r in rows]
        widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(head)]
        sep = "  ".join("-" * w for w in widths)

        def line(cells):
            return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths)))

        out = [sep, line(head), sep] + [line(b) for b in body] + [sep]
        out.append(f"Self CPU time total: {_fmt_us(whole if self else 0.0)}")
        return "\n".join(out) + "\n"

    def __str__(self):
        return self.table()


def _avg_of(ev):
    a = FunctionEventAvg(ev.name, ev.category)
    a.count = 1
    a.cpu_time_total = ev.cpu_time_total
    a.self_cpu_time_total = ev.self_cpu_time_total
    return a


class profile:
    """Context manager: records the forward operations and backward node runs inside it.

    ``enabled=False`` makes it do nothing. ``function_events`` holds the events in order of
    their start, ``key_averages()`` sums them by name and pass, ``export_chrome_trace(path)``
    writes them in the Chrome trace format. Profilers nest; the innermost one records.
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.function_events = EventList()
        self._stack: list = []
        self._entered = False

    # --- recording (called by dispatch and anomaly.instrument_rules) -------------------------
    def begin(self, name, category):
        ev = FunctionEvent(name, category, perf_counter_ns(), threading.get_ident())
        self.function_events.append(ev)
        self._stack.append(ev)
        return ev

    def resume(self, ev):
        """Reopen ``ev`` (a backward node whose next rule runs): its time extends to the end."""
        ev.resumed_ns = perf_counter_ns()
        self._stack.append(ev)

    def end(self, ev):
        now = perf_counter_ns()
        ev.end_ns = now
        stack = self._stack
        if stack and stack[-1] is ev:
            stack.pop()
        if stack:
            stack[-1].child_ns += now - ev.resumed_ns

    # --- the context manager -----------------------------------------------------------------
    def __enter__(self):
        if self.enabled:
            if self._entered:
                raise RuntimeError("this profiler is already running")
            self._entered = True
            dispatch.profilers.append(self)
            dispatch.update_instrumented()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            try:
                dispatch.profilers.remove(self)
            except ValueError:
                pass
            dispatch.update_instrumented()
            self._stack.clear()
        return False

    # --- results -----------------------------------------------------------------------------
    def events(self) -> EventList:
        return self.function_events

    def key_averages(self) -> EventList:
        """The events summed by (name, pass), in order of first appearance."""
        table: dict = {}
        for ev in self.function_events:
            k = (ev.name, ev.category)
            a = table.get(k)
            if a is None:
                a = table[k] = FunctionEventAvg(ev.name, ev.category)
            a.count += 1
            a.cpu_time_total += ev.cpu_time_total
            a.self_cpu_time_total += ev.self_cpu_time_total
        return EventList(table.values())

    def table(self, sort_by: str | None = None, row_limit: int = 100) -> str:
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path) -> None:
        """Write the events as Chrome trace JSON: ``{"traceEvents": [{"name", "ph": "X",
        "ts", "dur", "pid", "tid", "cat"}, ...]}``, times in microseconds from the first
        event. Open it in chrome://tracing or https://ui.perfetto.dev."""
        evs = self.function_events
        t0 = min((e.start_ns for e in evs), default=0)
        pid = os.getpid()
        trace = {
            "traceEvents": [
                {"name": e.name, "ph": "X", "ts": (e.start_ns - t0) / 1000,
                 "dur": (e.end_ns - e.start_ns) / 1000, "pid": pid, "tid": e.thread,
                 "cat": e.category}
                for e in evs
            ],
            "displayTimeUnit": "ms",
        }
        with open(path, "w") as f:
            json.dump(trace, f)
