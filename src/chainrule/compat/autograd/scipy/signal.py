"""``autograd.scipy.signal``: autograd's generalized ``convolve``, written with chainrule's
differentiable operations (so any order, both modes), and SciPy's ``correlate``.

``convolve(A, B, axes=None, dot_axes=[(), ()], mode='full')`` convolves ``A`` and ``B`` along
the pairs of axes ``axes = (axes_of_A, axes_of_B)`` (all of ``A``'s axes by default),
contracts the pairs ``dot_axes`` and keeps the other axes as an outer product. The result's
axes are: ``A``'s other axes, then ``B``'s, then the convolved ones. ``mode`` is 'full',
'valid' or 'same' (the size of ``A``), as in ``scipy.signal.convolve``.
"""

from __future__ import annotations

import numpy as onp

import chainrule.numpy as cnp
from chainrule.autograd.dispatch import is_tensor

from ._delegate import delegate

__all__ = ["convolve", "correlate"]


def _shape(x):
    return tuple(x._data.shape) if is_tensor(x) else onp.shape(x)


def _out_range(na, nb, mode):
    """(offset into the full convolution, output length) along one convolved axis."""
    if mode == "full":
        return 0, na + nb - 1
    if mode == "valid":
        return min(na, nb) - 1, abs(na - nb) + 1
    return (nb - 1) // 2, na  # "same": the size of A, centred


def convolve(A, B, axes=None, dot_axes=((), ()), mode="full"):
    if mode not in ("valid", "full", "same"):
        raise ValueError(f"convolve: mode {mode!r} undefined, it can be one of 'valid', "
                         f"'full', and 'same'")
    a_shape, b_shape = _shape(A), _shape(B)
    if axes is None:
        axes = (list(range(len(a_shape))), list(range(len(a_shape))))
    conv_a, conv_b = [a % len(a_shape) for a in axes[0]], [b % len(b_shape) for b in axes[1]]
    dot_a, dot_b = [a % len(a_shape) for a in dot_axes[0]], [b % len(b_shape) for b in
                                                            dot_axes[1]]
    if len(conv_a) != len(conv_b) or len(dot_a) != len(dot_b):
        raise ValueError(f"convolve: axes {axes} and dot_axes {dot_axes} must pair the axes of "
                         f"A and B")
    if mode == "valid":
        a_big = all(a_shape[i] >= b_shape[j] for i, j in zip(conv_a, conv_b))
        b_big = all(a_shape[i] <= b_shape[j] for i, j in zip(conv_a, conv_b))
        if not (a_big or b_big):
            raise ValueError("convolve: one array must be larger than the other along all "
                             "convolved dimensions")
    ig_a = [i for i in range(len(a_shape)) if i not in conv_a and i not in dot_a]
    ig_b = [j for j in range(len(b_shape)) if j not in conv_b and j not in dot_b]

    # A padded by (len_B - 1) on both sides of each convolved axis, then, per convolved axis,
    # its windows: W[..., n, k, ...] = A_pad[..., offset + n + k, ...] (axis replaced by two).
    pad = [(0, 0)] * len(a_shape)
    for i, j in zip(conv_a, conv_b):
        pad[i] = (b_shape[j] - 1, b_shape[j] - 1)
    W = cnp.pad(A, pad) if any(p != (0, 0) for p in pad) else A
    # letters: A's axes, with each convolved axis split into (output n, window k)
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    a_sub = [next(letters) for _ in a_shape]
    n_sub = {}
    b_sub = [None] * len(b_shape)
    for i, j in zip(conv_a, conv_b):
        n_sub[i] = next(letters)
        b_sub[j] = a_sub[i]  # the window axis pairs with B's (flipped) convolved axis
    for i, j in zip(dot_a, dot_b):
        b_sub[j] = a_sub[i]
    for j in ig_b:
        b_sub[j] = next(letters)
    w_sub = []
    shift = 0  # axes already split in two before the current one
    for i in range(len(a_shape)):
        if i in n_sub:
            j = conv_b[conv_a.index(i)]
            nb = b_shape[j]
            off, length = _out_range(a_shape[i], nb, mode)
            idx = off + onp.arange(length)[:, None] + onp.arange(nb)[None, :]
            W = cnp.take(W, idx, axis=i + shift)
            shift += 1
            w_sub += [n_sub[i], a_sub[i]]
        else:
            w_sub.append(a_sub[i])
    flip = tuple(slice(None, None, -1) if j in conv_b else slice(None) for j in range(len(b_shape)))
    Bf = B[flip] if conv_b else B
    out_sub = [a_sub[i] for i in ig_a] + [b_sub[j] for j in ig_b] + [n_sub[i] for i in conv_a]
    spec = f"{''.join(w_sub)},{''.join(b_sub)}->{''.join(out_sub)}"
    return cnp.einsum(spec, W, Bf)


delegate(__name__, "chainrule.scipy.signal")
correlate = __getattr__("correlate")  # noqa: F821 - set by delegate (SciPy's correlate)
