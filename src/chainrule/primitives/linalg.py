"""Products: matmul (1-D, 2-D, batched, broadcasting) and einsum."""

from __future__ import annotations

import string

import numpy as np

from ._core import INPUTS, STACKED, Primitive, apply, data_of, per_input, register, tensor_types
from .complex import conj
from .complex import real_for as _for
from .reduction import sum_to
from .shape import batch_align, broadcast_to, reshape


def _mT(x):
    return apply(SWAPLAST, (x,))


def _matmul_impl(a, b):
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(_matmul_message(np.shape(a), np.shape(b))) from None


def _matmul_message(sa, sb):
    if len(sa) == 0 or len(sb) == 0:
        return (f"matmul: both operands need at least one dimension, got shapes {sa} and {sb}; "
                f"use * to multiply by a scalar")
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        return (f"matmul: shapes {sa} and {sb} are not aligned: the last dimension of the "
                f"first ({k_a}) must equal the {'second-to-last' if len(sb) > 1 else 'only'} "
                f"dimension of the second ({k_b}); did you mean to transpose one of them?")
    return (f"matmul: the batch dimensions of shapes {sa} and {sb} do not broadcast; "
            f"they must match or be 1")


def _out_ndim(a, b):
    if a.ndim == 1 and b.ndim == 1:
        return 0
    if a.ndim == 1:
        return b.ndim - 1
    if b.ndim == 1:
        return a.ndim - 1
    return max(a.ndim, b.ndim)


# In the rules, `lead` is the cotangent's or tangent's batch axes (several at once, for
# Jacobians); without a batch it is ().
def _matmul_da(g, a, b):
    lead = g.shape[: g.ndim - _out_ndim(a, b)]
    if a.ndim == 1 and b.ndim == 1:
        return reshape(g, lead + (1,)) * b
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        ga = reshape(matmul(reshape(g, g.shape[:-1] + (1, g.shape[-1])), _mT(b)),
                     g.shape[:-1] + (b.shape[-2],))
        return sum_to(ga, a.shape, len(lead))
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return sum_to(reshape(g, g.shape + (1,)) * b, a.shape, len(lead))
    return sum_to(matmul(g, _mT(b)), a.shape, len(lead))


def _matmul_db(g, a, b):
    lead = g.shape[: g.ndim - _out_ndim(a, b)]
    if a.ndim == 1 and b.ndim == 1:
        return reshape(g, lead + (1,)) * a
    if b.ndim == 1:  # (..., n, k) @ (k,): db = sum over batch and n of g[..., n] a[..., n, k]
        gb = reshape(matmul(reshape(g, g.shape[:-1] + (1, g.shape[-1])), a),
                     g.shape[:-1] + (a.shape[-1],))
        return sum_to(gb, b.shape, len(lead))
    if a.ndim == 1:  # (k,) @ (..., k, m): db[..., k, m] = a[k] g[..., m]
        return sum_to(reshape(a, (a.shape[0], 1)) * reshape(g, g.shape[:-1] + (1, g.shape[-1])),
                      b.shape, len(lead))
    return sum_to(matmul(_mT(a), g), b.shape, len(lead))


def _as_matrix(t, x, other, is_left):
    """Tangent ``t`` of operand ``x`` as a stack of matrices ready for matmul with ``other``:
    vectors become rows (left) or columns (right), and the batch axes of ``t`` move in front of
    all of matmul's own batch axes."""
    lead = t.shape[: t.ndim - x.ndim]
    core = x.shape if x.ndim >= 2 else ((1,) + x.shape if is_left else x.shape + (1,))
    nb = max(len(core), other.ndim if other.ndim >= 2 else 2) - 2
    return reshape(t, lead + (1,) * (nb - (len(core) - 2)) + core), lead


def _matmul_jvp(t, a, b, wrt_a):
    x, other = (a, b) if wrt_a else (b, a)
    if t.ndim == x.ndim:  # no batch axes: matmul itself
        return matmul(t, b) if wrt_a else matmul(a, t)
    tm, lead = _as_matrix(t, x, other, wrt_a)
    om = other if other.ndim >= 2 else reshape(
        other, (other.shape[0], 1) if wrt_a else (1, other.shape[0]))
    r = matmul(tm, om) if wrt_a else matmul(om, tm)
    out_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) if a.ndim > 1 and b.ndim > 1 \
        else (a.shape[:-2] if a.ndim > 1 else b.shape[:-2])
    tail = (a.shape[-2],) if a.ndim > 1 else ()
    tail += (b.shape[-1],) if b.ndim > 1 else ()
    return reshape(r, lead + tuple(out_shape) + tail)


# Complex data: the reverse rules use the conjugate transpose of the other operand, and a real
# operand of a complex product gets the real part of its gradient.
def _matmul_vjp_a(g, a, b):
    if g.dtype.kind != "c":
        return _matmul_da(g, a, b)
    return _for(_matmul_da(g, a, conj(b)), a)


def _matmul_vjp_b(g, a, b):
    if g.dtype.kind != "c":
        return _matmul_db(g, a, b)
    return _for(_matmul_db(g, conj(a), b), b)


def _matmul_batch(vals, bat, params, B, pbat):
    """vmap's rule: per-example vectors become a row (left) or a column (right), removed
    again after; a batched operand gets the per-example stack rank of the other."""
    a, b = vals
    ra, rb = (np.ndim(data_of(v)) - (1 if s else 0) for v, s in zip(vals, bat))
    a_vec, b_vec = ra == 1, rb == 1
    if a_vec:
        sa = np.shape(data_of(a))
        a = reshape(a, sa[:-1] + (1,) + sa[-1:])
    if b_vec:
        b = reshape(b, np.shape(data_of(b)) + (1,))
    rank = max(ra, rb, 2)
    a = batch_align(a, rank) if bat[0] else a
    b = batch_align(b, rank) if bat[1] else b
    out = apply(MATMUL, (a, b))
    shape = np.shape(data_of(out))
    new = shape[:-2] + (() if a_vec else shape[-2:-1]) + (() if b_vec else shape[-1:])
    return reshape(out, new) if new != shape else out


MATMUL = Primitive(
    "matmul", _matmul_impl, nin=2, save=(0, 1),
    vjp=(_matmul_vjp_a, _matmul_vjp_b),
    jvp=(lambda t, a, b: _matmul_jvp(t, a, b, True), lambda t, a, b: _matmul_jvp(t, a, b, False)),
    batch=_matmul_batch,
)

# Swapping the last two axes: the transpose in matmul's rules (PyTorch's mT).
SWAPLAST = Primitive(
    "swapaxes", lambda x: np.swapaxes(x, -1, -2),
    vjp=lambda g: apply(SWAPLAST, (g,)), jvp=lambda t: apply(SWAPLAST, (t,)), view=True,
    batch=STACKED,
)


# --- einsum -------------------------------------------------------------------------------------
def _parse_einsum(subscripts: str, shapes):
    """Explicit form 'ab,bc->ac' with ellipses replaced by letters."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(ins)} operand(s) but "
                         f"{len(shapes)} were given")
    used = set(lhs.replace(".", ""))
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max((len(s) - len(t.replace("...", "")) for t, s in zip(ins, shapes) if "..." in t),
                default=0)
    ell = "".join(free[:n_ell])
    new_ins = []
    for t, s in zip(ins, shapes):
        if "..." in t:
            k = len(s) - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:])
        if len(t) != len(s):
            raise ValueError(f"einsum: operand with subscripts {t!r} has shape {tuple(s)}: "
                             f"{len(s)} dimensions for {len(t)} subscripts")
        new_ins.append(t)
    if out is None:
        counts = {}
        for t in new_ins:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return new_ins, out


def _einsum_impl(*args):
    *ops, spec = args
    ins, out = spec
    return np.einsum(",".join(ins) + "->" + out, *ops, optimize=len(ops) > 2)


def _einsum_rule(i, g, *saved):
    *ops, spec = saved
    ins, out = spec
    target = ins[i]
    shape = ops[i].shape
    lead = g.shape[: g.ndim - len(out)]  # batch axes of the cotangent, if any
    E = "..." if lead else ""
    # Letters of operand i that survive in the output or in another operand can be produced
    # directly; the others were summed over and come back by broadcasting.
    others = [ops[j] for j in range(len(ops)) if j != i]
    other_subs = [ins[j] for j in range(len(ops)) if j != i]
    avail = set(out).union(*other_subs) if other_subs else set(out)
    uniq = "".join(dict.fromkeys(target))
    keep = "".join(c for c in uniq if c in avail)
    r = einsum(",".join([E + out] + other_subs) + "->" + E + keep, g, *others)
    size = {c: shape[k] for k, c in enumerate(target)}
    # An ellipsis axis of length 1 in operand i that broadcast against a longer one: sum back.
    r = sum_to(r, tuple(size[c] for c in keep), len(lead))
    # Broadcast missing letters, then spread repeated letters onto the diagonal.
    r = reshape(r, lead + tuple(size[c] if c in keep else 1 for c in uniq))
    r = broadcast_to(r, lead + tuple(size[c] for c in uniq))
    if len(uniq) == len(target):
        return r if uniq == target else einsum(E + uniq + "->" + E + target, r)
    # A repeated letter (a diagonal): multiply by identity matrices over fresh letters.
    used = set(target) | set(uniq)
    free = iter(c for c in string.ascii_letters if c not in used)
    subs, eyes, seen = [], [], set()
    for c in target:
        if c in seen:
            d = next(free)
            subs.append(d)
            eyes.append((c + d, np.eye(size[c], dtype=np.asarray(data_of(g)).dtype)))
        else:
            subs.append(c)
            seen.add(c)
    expr = ",".join([E + uniq] + [e[0] for e in eyes]) + "->" + E + "".join(subs)
    full = einsum(expr, r, *[e[1] for e in eyes])
    return full  # fresh letters stand for the repeats, so the layout is already operand i's


def _einsum_vjp(i, g, *saved):
    if g.dtype.kind != "c":
        return _einsum_rule(i, g, *saved)
    # Complex: contract with the conjugates of the other operands; real part for a real one.
    *ops, spec = saved
    ops = [o if j == i else conj(o) for j, o in enumerate(ops)]
    return _for(_einsum_rule(i, g, *ops, spec), saved[i])


def _einsum_jvp(i, t, *saved):
    # einsum is linear in each operand: the same contraction with operand i's tangent.
    *ops, spec = saved
    ins, out = list(spec[0]), spec[1]
    if t.ndim > len(ins[i]):  # batch axes lead the tangent: carry them through
        ins[i], out = "..." + ins[i], "..." + out
    ops = list(ops)
    ops[i] = t
    return einsum(",".join(ins) + "->" + out, *ops)


def _einsum_batch(vals, bat, params, B, pbat):
    """vmap's rule: a letter no subscript uses names the batch axis of the batched operands
    and leads the output."""
    ins, out = params[0]
    used = set("".join(ins) + out)
    b = next(c for c in string.ascii_letters if c not in used)
    spec = (tuple(b + s if f else s for s, f in zip(ins, bat)), b + out)
    return apply(EINSUM, tuple(vals), (spec,))


EINSUM = Primitive("einsum", _einsum_impl, nin=None, save=(INPUTS,), vjp=per_input(_einsum_vjp),
                   jvp=per_input(_einsum_jvp), batch=_einsum_batch)

register(MATMUL, SWAPLAST, EINSUM)


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading axes broadcast."""
    return apply(MATMUL, (a, b))


def einsum(subscripts: str, *operands):
    """``numpy.einsum``'s string form, differentiable in every operand (ellipses, diagonals and
    implicit output included). As ``torch.einsum``, the operands may also come as one list or
    tuple: ``einsum('ij,jk->ik', [a, b])``. (``chainrule.numpy.einsum`` keeps NumPy's meaning,
    where a list is one array-like operand.)"""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the first argument must be the subscripts string, such as "
                        f"'ij,jk->ik', got {type(subscripts).__name__}; for NumPy's sublist "
                        f"form use chainrule.numpy.einsum")
    listed = len(operands) == 1 and type(operands[0]) in (list, tuple)
    if listed:  # PyTorch's einsum(equation, [a, b, ...]): the list holds the operands
        operands = tuple(operands[0])
    shapes = [(o._data if type(o) in tensor_types else np.asarray(o)).shape for o in operands]
    try:
        ins, out = _parse_einsum(subscripts, shapes)
    except ValueError as exc:
        if not listed:
            raise
        raise ValueError(f"{exc}. A single list or tuple after the subscripts holds the "
                         f"operands (as in torch.einsum); to pass nested lists as one array, "
                         f"convert it first (chainrule.tensor(...)) or use "
                         f"chainrule.numpy.einsum, which reads a list as one array") from None
    return apply(EINSUM, operands, ((tuple(ins), out),))
