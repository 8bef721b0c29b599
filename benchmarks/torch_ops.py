"""Shape, indexing and product operations in PyTorch's spelling: chainrule against PyTorch
(CPU, eager, float32), forward and backward, in one short run (about 20 s).

    python benchmarks/torch_ops.py              # all operations
    python benchmarks/torch_ops.py bmm topk     # some of them

Sizes are model-like (a batch of 32 sequences of 128 tokens, width 256, and a vocabulary of
10,000 rows). Each operation runs forward, then backward of the sum of its output times a
fixed cotangent, so that the gradient is not trivially ones. Timing: the median of alternating
rounds after a warm-up (``benchmarks/run.py``'s ``timeit_pair``); the ratio is chainrule's time
over PyTorch's (below 1: chainrule is faster). Measurements, not tests: nothing asserts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import chainrule as cr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import timeit_pair  # noqa: E402 - the shared timer, beside this file

try:
    import torch
except ImportError:  # chainrule is still timed alone
    torch = None

B, T, D, V = 32, 128, 256, 10_000
RNG = np.random.default_rng(0)


def _arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _pair(*arrays, grad=True):
    """The same arrays as chainrule and torch leaves."""
    c = [cr.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    t = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays] \
        if torch is not None else None
    return c, t


def _runner(lib, fn, leaves, ct):
    def go():
        for x in leaves:
            x.grad = None
        out = fn(lib, *leaves)
        (out * ct).sum().backward()
    return go


def case_bmm():
    a, b = _arr(B, T, 64), _arr(B, 64, T)
    return (lambda m, x, y: m.bmm(x, y)), (a, b), (B, T, T)


def case_masked_fill():
    x = _arr(B, 8, T, T)
    mask = np.triu(np.ones((T, T), bool), 1)
    return (lambda m, s: s.masked_fill(_mask[m], -1e9)), (x,), x.shape, mask


def case_scatter_add():
    src = _arr(B * T, D)
    idx = np.broadcast_to(RNG.integers(0, 512, (B * T, 1)), (B * T, D)).copy()
    base = _arr(512, D)
    return (lambda m, b, s: b.scatter_add(0, _idx[m], s)), (base, src), (512, D), idx


def case_index_select():
    table = _arr(V, D)
    idx = RNG.integers(0, V, B * T)
    return (lambda m, w: m.index_select(w, 0, _idx[m])), (table,), (B * T, D), idx


def case_topk():
    x = _arr(B * T, 1000)
    return (lambda m, s: m.topk(s, 10, dim=-1).values), (x,), (B * T, 10)


CASES = {"bmm": case_bmm, "masked_fill": case_masked_fill, "scatter_add": case_scatter_add,
         "index_select": case_index_select, "topk": case_topk}
_mask: dict = {}
_idx: dict = {}


def make(lib_name: str, name: str):
    """A forward+backward runner of case ``name`` for ``lib_name`` ("cr" or "torch"); also
    used by benchmarks/run.py. Each call builds the case afresh, with the same seed."""
    global RNG
    RNG = np.random.default_rng(0)
    m = cr if lib_name == "cr" else torch
    fn, arrays, out_shape, *extra = CASES[name]()
    if extra:  # a constant (mask or index) for each library
        store = _mask if name == "masked_fill" else _idx
        store[m] = m.tensor(extra[0])
    ct = _arr(*out_shape)
    c, t = _pair(*arrays)
    return _runner(m, fn, c if m is cr else t, m.tensor(ct))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", choices=[*CASES, []], help="operations to time")
    args = p.parse_args(argv)
    print(f"{'operation':14s} {'chainrule ms':>13s} {'torch ms':>9s} {'ratio':>6s}")
    for name in args.names or CASES:
        run_c = make("cr", name)
        run_t = make("torch", name) if torch is not None else None
        tc, tt = timeit_pair(run_c, run_t, repeat=5)
        ratio = f"{tc / tt:6.2f}" if tt else "     -"
        torch_ms = f"{tt * 1e3:9.2f}" if tt else "        -"
        print(f"{name:14s} {tc * 1e3:13.2f} {torch_ms} {ratio}")


if __name__ == "__main__":
    main()
