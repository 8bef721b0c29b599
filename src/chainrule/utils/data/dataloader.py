"""``DataLoader``: batches from a dataset, in the main process or in worker processes."""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ...creation import Generator, default_generator, manual_seed
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: Dataset


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a ``DataLoader`` worker process, its ``WorkerInfo``; in the main process, None."""
    return _worker_info


# --- worker processes (map-style datasets) -----------------------------------------------
def _worker_loop(fetch, dataset, wid, num_workers, seed, init_fn, index_queue, result_queue):
    """A worker: seeds chainrule's default generator, then fetches the batches sent to it
    (``(task, index)``) until it gets None. Failures go back as text: an exception object may
    not pickle, and a queue drops what it cannot pickle."""
    global _worker_info
    result_queue.cancel_join_thread()  # exit at once when told to, even with batches unread
    manual_seed(seed)  # each worker draws its own numbers, reproducibly (PyTorch's scheme)
    _worker_info = WorkerInfo(wid, num_workers, seed, dataset)
    try:
        if init_fn is not None:
            init_fn(wid)
    except Exception:
        result_queue.put((-1, None, f"worker_init_fn({wid}) raised:\n{traceback.format_exc()}"))
        return
    while (item := index_queue.get()) is not None:
        task, index = item
        try:
            result_queue.put((task, fetch(index), None))
        except Exception:
            result_queue.put((task, None, traceback.format_exc()))


class _Fetch:
    """Index (a batch's list, or one index) to the collated batch; picklable for workers."""

    def __init__(self, dataset, collate_fn, batched: bool):
        self.dataset, self.collate_fn, self.batched = dataset, collate_fn, batched

    def __call__(self, index):
        if self.batched:
            return self.collate_fn([self.dataset[i] for i in index])
        return self.collate_fn(self.dataset[index])


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    ``batch_size`` (None: single samples, converted by ``default_convert``), ``shuffle`` (a
    ``RandomSampler`` drawing from ``generator``), ``sampler``, ``batch_sampler``,
    ``drop_last``, ``collate_fn`` (``default_collate``). ``num_workers > 0`` fetches batches of a
    map-style dataset in that many worker processes (``multiprocessing``; batch i goes to worker
    i % num_workers; each worker seeds chainrule's default generator with
    ``base_seed + worker_id``, calls ``worker_init_fn`` and answers ``get_worker_info()``),
    returned in order (``in_order``); ``prefetch_factor`` batches per worker are in flight. An
    ``IterableDataset`` is read in the main process only. ``pin_memory`` and
    ``persistent_workers`` change nothing here.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got "
                             f"{num_workers!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout}")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle:
                raise ValueError("DataLoader: shuffle=True does not apply to an IterableDataset "
                                 "(it decides its own order); shuffle inside it instead")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: sampler and batch_sampler do not apply to an "
                                 "IterableDataset, which has no indices")
            if num_workers > 0:
                raise ValueError("DataLoader: num_workers > 0 is supported for map-style "
                                 "datasets only; read an IterableDataset with num_workers=0")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is None and not iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.pin_memory, self.prefetch_factor = pin_memory, prefetch_factor
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self._auto_collation = batch_sampler is not None or (iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def _indices(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        fetch = _Fetch(self.dataset, self.collate_fn, self.batch_sampler is not None)
        if self.num_workers == 0:
            return (fetch(index) for index in self._indices())
        return self._iter_workers(fetch)

    def _iter_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _iter_workers(self, fetch):
        """Batch ``task`` goes to worker ``task % num_workers`` (as in PyTorch, so that a seeded
        run gives each worker the same batches and the same random draws); at most
        ``prefetch_factor`` (default 2) batches per worker are in flight."""
        ctx = self.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        n = self.num_workers
        base_seed = int((self.generator or default_generator)._rng.integers(2**62))
        index_queues = [ctx.Queue() for _ in range(n)]
        results = ctx.Queue()
        workers = [ctx.Process(target=_worker_loop, daemon=True,
                               args=(fetch, self.dataset, w, n, base_seed + w,
                                     self.worker_init_fn, index_queues[w], results))
                   for w in range(n)]
        for w in workers:
            w.start()
        indices, sent, done, ready = iter(self._indices()), 0, 0, {}

        def send() -> None:
            nonlocal sent
            for index in indices:
                index_queues[sent % n].put((sent, index))
                sent += 1
                return

        try:
            for _ in range((self.prefetch_factor or 2) * n):
                send()
            while done < sent:
                want = done if self.in_order else None
                while (want not in ready) if want is not None else not ready:
                    task, batch, error = self._next_result(results, workers)
                    if error is not None:
                        where = f"batch {task}" if task >= 0 else "start-up"
                        raise RuntimeError(f"DataLoader: a worker process failed ({where}):\n"
                                           f"{error}")
                    ready[task] = batch
                key = want if want is not None else next(iter(ready))
                yield ready.pop(key)
                done += 1
                send()
        finally:
            for q in index_queues:
                q.put(None)
            for w in workers:
                w.join(timeout=5)
                if w.is_alive():
                    w.terminate()

    def _next_result(self, results, workers):
        """The next finished batch; an error if a worker died or ``timeout`` passed."""
        waited = 0.0
        while True:
            try:
                return results.get(timeout=1.0)
            except queue.Empty:
                waited += 1.0
            dead = [w.pid for w in workers if not w.is_alive()]
            if dead:
                raise RuntimeError(f"DataLoader: worker process(es) {dead} exited unexpectedly")
            if self.timeout and waited >= self.timeout:
                raise RuntimeError(f"DataLoader: no batch came from the workers within "
                                   f"timeout={self.timeout} s")

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._indices())
