"""Vector spaces of values (autograd's ``VSpace``): what ``zeros``, ``ones``, ``randn``, inner
products and standard bases mean for an array, a scalar, or a container of them.

``check_grads``, ``jacobian``'s basis and user code (``vspace(x).zeros()``) use them. The
operations are written with ``chainrule.numpy``, so they work on traced values (tensors) too.
"""

from __future__ import annotations

import numpy as onp

from chainrule import numpy as cnp
from chainrule.autograd.dispatch import is_tensor

__all__ = ["VSpace", "vspace", "ArrayVSpace", "ComplexArrayVSpace", "SequenceVSpace",
           "ListVSpace", "TupleVSpace", "DictVSpace", "NamedTupleVSpace", "SparseObject"]


class VSpace:
    """The vector space a value lives in. Subclasses say what its operations mean."""

    mappings: dict = {}
    iscomplex = False

    def __init__(self, value):
        pass

    # what each space defines
    def zeros(self):
        raise NotImplementedError(f"{type(self).__name__}.zeros")

    def ones(self):
        raise NotImplementedError(f"{type(self).__name__}.ones")

    def standard_basis(self):
        raise NotImplementedError(f"{type(self).__name__}.standard_basis")

    def randn(self):
        raise NotImplementedError(f"{type(self).__name__}.randn")

    def _add(self, x, y):
        return x + y

    def _mut_add(self, x, y):
        return self._add(x, y)

    def _scalar_mul(self, x, a):
        return x * a

    def _inner_prod(self, x, y):
        raise NotImplementedError(f"{type(self).__name__}.inner_prod")

    def _covector(self, x):
        return x

    # the public operations (autograd's names)
    def add(self, x_prev, x_new):
        return self._add(x_prev, x_new)

    def mut_add(self, x_prev, x_new):
        return self._mut_add(self.zeros() if x_prev is None else x_prev, x_new)

    def scalar_mul(self, x, a):
        return self._scalar_mul(x, a)

    def inner_prod(self, x, y):
        return self._inner_prod(x, y)

    def covector(self, x):
        return self._covector(x)

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}_{self.__dict__}"

    @classmethod
    def register(cls, value_type, vspace_maker=None):
        VSpace.mappings[value_type] = vspace_maker if vspace_maker else cls


def vspace(value) -> VSpace:
    """The vector space of ``value`` (an array, a scalar, a tensor, or a container of them)."""
    if is_tensor(value):
        value = value._data
    maker = VSpace.mappings.get(type(value))
    if maker is not None:
        return maker(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return NamedTupleVSpace(value)
    for t, m in list(VSpace.mappings.items()):
        if isinstance(t, type) and isinstance(value, t) and t not in (object,):
            return m(value)
    raise TypeError(
        f"Can't find vector space for value {value!r} of type {type(value)}. Valid types are "
        f"arrays and floating-point or complex scalars, and tuples, lists and dicts of them")


# --- arrays and scalars ----------------------------------------------------------------------
class ArrayVSpace(VSpace):

    def __init__(self, value):
        value = onp.asarray(value)
        self.shape = value.shape
        self.dtype = value.dtype

    @property
    def size(self):
        return int(onp.prod(self.shape))

    @property
    def ndim(self):
        return len(self.shape)

    def zeros(self):
        return onp.zeros(self.shape, dtype=self.dtype)

    def ones(self):
        return onp.ones(self.shape, dtype=self.dtype)

    def standard_basis(self):
        for idx in onp.ndindex(*self.shape):
            v = onp.zeros(self.shape, dtype=self.dtype)
            v[idx] = 1
            yield v

    def randn(self):
        return onp.array(onp.random.randn(*self.shape)).astype(self.dtype)

    def _inner_prod(self, x, y):
        return cnp.dot(cnp.ravel(x), cnp.ravel(y))


class ComplexArrayVSpace(ArrayVSpace):
    iscomplex = True

    @property
    def size(self):
        return 2 * int(onp.prod(self.shape))

    def ones(self):
        return onp.full(self.shape, 1 + 1j, dtype=self.dtype)

    def standard_basis(self):
        for idx in onp.ndindex(*self.shape):
            for unit in (1.0, 1.0j):
                v = onp.zeros(self.shape, dtype=self.dtype)
                v[idx] = unit
                yield v

    def randn(self):
        re = onp.array(onp.random.randn(*self.shape)).astype(self.dtype)
        im = onp.array(onp.random.randn(*self.shape)).astype(self.dtype)
        return re + 1j * im

    def _inner_prod(self, x, y):
        return cnp.real(cnp.dot(cnp.conj(cnp.ravel(x)), cnp.ravel(y)))

    def _covector(self, x):
        return cnp.conj(x)


def _array_vspace(value):
    return ComplexArrayVSpace(value) if onp.iscomplexobj(value) else ArrayVSpace(value)


VSpace.register(onp.ndarray, _array_vspace)
for _t in (float, onp.float64, onp.float32, onp.float16, onp.longdouble):
    ArrayVSpace.register(_t)
for _t in (complex, onp.complex128, onp.complex64, onp.clongdouble):
    ComplexArrayVSpace.register(_t)


# --- containers -------------------------------------------------------------------------------
class SequenceVSpace(VSpace):
    seq_type = tuple

    def __init__(self, value):
        self.shape = [vspace(x) for x in value]

    def _make(self, items):
        return self.seq_type(items)

    @property
    def size(self):
        return sum(s.size for s in self.shape)

    @property
    def iscomplex(self):
        return any(s.iscomplex for s in self.shape)

    def zeros(self):
        return self._make(s.zeros() for s in self.shape)

    def ones(self):
        return self._make(s.ones() for s in self.shape)

    def randn(self):
        return self._make(s.randn() for s in self.shape)

    def standard_basis(self):
        zeros = [s.zeros() for s in self.shape]
        for i, s in enumerate(self.shape):
            for v in s.standard_basis():
                yield self._make(v if j == i else z for j, z in enumerate(zeros))

    def _add(self, x, y):
        return self._make(s.add(a, b) for s, a, b in zip(self.shape, x, y))

    def _mut_add(self, x, y):
        return self._make(s.mut_add(a, b) for s, a, b in zip(self.shape, x, y))

    def _scalar_mul(self, x, a):
        return self._make(s.scalar_mul(v, a) for s, v in zip(self.shape, x))

    def _inner_prod(self, x, y):
        return sum((s.inner_prod(a, b) for s, a, b in zip(self.shape, x, y)), 0.0)

    def _covector(self, x):
        return self._make(s.covector(v) for s, v in zip(self.shape, x))


class ListVSpace(SequenceVSpace):
    seq_type = list


class TupleVSpace(SequenceVSpace):
    seq_type = tuple


class NamedTupleVSpace(SequenceVSpace):

    def __init__(self, value):
        self.seq_type = type(value)
        super().__init__(value)

    def _make(self, items):
        return self.seq_type(*items)


ListVSpace.register(list)
TupleVSpace.register(tuple)


class DictVSpace(VSpace):

    def __init__(self, value):
        self.shape = {k: vspace(v) for k, v in value.items()}

    @property
    def size(self):
        return sum(s.size for s in self.shape.values())

    @property
    def iscomplex(self):
        return any(s.iscomplex for s in self.shape.values())

    def zeros(self):
        return {k: s.zeros() for k, s in self.shape.items()}

    def ones(self):
        return {k: s.ones() for k, s in self.shape.items()}

    def randn(self):
        return {k: s.randn() for k, s in self.shape.items()}

    def standard_basis(self):
        zeros = {k: s.zeros() for k, s in self.shape.items()}
        for k, s in self.shape.items():
            for v in s.standard_basis():
                d = dict(zeros)
                d[k] = v
                yield d

    def _add(self, x, y):
        return {k: s.add(x[k], y[k]) for k, s in self.shape.items()}

    def _mut_add(self, x, y):
        return {k: s.mut_add(x[k], y[k]) for k, s in self.shape.items()}

    def _scalar_mul(self, x, a):
        return {k: s.scalar_mul(x[k], a) for k, s in self.shape.items()}

    def _inner_prod(self, x, y):
        return sum((s.inner_prod(x[k], y[k]) for k, s in self.shape.items()), 0.0)

    def _covector(self, x):
        return {k: s.covector(x[k]) for k, s in self.shape.items()}


DictVSpace.register(dict)


# --- sparse gradients ------------------------------------------------------------------------
class SparseObject:
    """A gradient stored sparsely: ``mut_add(dense)`` adds it into a dense value of vector
    space ``vs``. A reverse rule may return one; it is made dense where it arrives."""

    __slots__ = ("vs", "mut_add")

    def __init__(self, vs, mut_add):
        self.vs = vs
        self.mut_add = mut_add

    def dense(self):
        return self.mut_add(self.vs.zeros())


VSpace.register(SparseObject, lambda x: x.vs)
