"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their cells ``RNNCell``, ``LSTMCell``,
``GRUCell``.

Parameter names, shapes, gate order and default initialisation are PyTorch's, so a PyTorch
``state_dict`` loads directly. Each step is composed from chainrule's differentiable operations
(matmul, sigmoid, tanh, getitem, ...): the layers differentiate to any order and in forward
mode. The time loop is a Python loop; the input projections of all time steps are computed
with one matmul per layer and direction before it.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ...composite import chunk, squeeze, stack, swapaxes, unsqueeze
from ...primitives.elementwise import relu, sigmoid, tanh
from ...primitives.linalg import matmul
from ...primitives.shape import concatenate, getitem
from .. import functional as F
from .. import init
from ..functional._util import data
from ..parameter import Parameter
from ._util import param_dtype
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _t(w):
    """``w.T`` of a 2-D weight (a tensor)."""
    return w.mT


def _proj(x, w_t, b):
    out = matmul(x, w_t)
    return out if b is None else out + b


# --- one time step of each cell ---------------------------------------------------------------
# ``gi`` is the input projection ``x @ W_ih.T + b_ih`` of this step; ``w_hh_t`` is ``W_hh.T``.
def _rnn_step(gi, h, w_hh_t, b_hh, act):
    return act(gi + _proj(h, w_hh_t, b_hh))


def _lstm_step(gi, state, w_hh_t, b_hh, w_hr_t=None):
    h, c = state
    gates = gi + _proj(h, w_hh_t, b_hh)
    i, f, g, o = chunk(gates, 4, -1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    if w_hr_t is not None:
        h = matmul(h, w_hr_t)
    return h, c


def _gru_step(gi, h, w_hh_t, b_hh):
    gh = _proj(h, w_hh_t, b_hh)
    i_r, i_z, i_n = chunk(gi, 3, -1)
    h_r, h_z, h_n = chunk(gh, 3, -1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return n + z * (h - n)


def _shape_str(shape) -> str:
    return str(tuple(int(n) for n in shape))


class RNNBase(Module):
    """The common part of ``RNN``, ``LSTM`` and ``GRU``: parameters, checks and the loop over
    layers, directions and time steps."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        dt = param_dtype(device, dtype, name)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for what, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise TypeError(f"{name}: {what} should be of type int, got "
                                f"{type(v).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to "
                             f"disable projections, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size ({proj_size}) has to be smaller than "
                             f"hidden_size ({hidden_size})")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is supported only by LSTM, not {name}")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode!r}")
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = int(proj_size)
        num_dirs = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * num_dirs
            for direction in range(num_dirs):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_in)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, Parameter(np.empty(shape, dt)))
                    names.append(base + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter uniform on ±1/sqrt(hidden_size), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op, for compatibility with PyTorch (which compacts weights for cuDNN)."""

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- checks ---------------------------------------------------------------------------
    def _check_input(self, input) -> tuple[bool, int, int]:
        """(batched, seq_len, batch) of a valid input; raises for a bad one."""
        s = data(input).shape
        if len(s) not in (2, 3):
            raise ValueError(f"{self!r}: expected a 2-D (unbatched) or 3-D (batched) input of "
                             f"shape (L, {self.input_size}) or "
                             f"{'(N, L' if self.batch_first else '(L, N'}, {self.input_size}), "
                             f"got {len(s)}-D input of shape {_shape_str(s)}")
        if s[-1] != self.input_size:
            raise ValueError(f"{self!r}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {s[-1]} (input shape {_shape_str(s)})")
        batched = len(s) == 3
        if not batched:
            seq_len, batch = s[0], 1
        elif self.batch_first:
            batch, seq_len = s[0], s[1]
        else:
            seq_len, batch = s[0], s[1]
        if seq_len == 0:
            raise ValueError(f"{self!r}: expected sequence length to be larger than 0, got "
                             f"input of shape {_shape_str(s)}")
        return batched, seq_len, batch

    def _check_hidden(self, hx, expected: tuple, batched: bool, what: str):
        s = data(hx).shape
        if not batched and len(s) != 2:
            raise ValueError(f"{self!r}: for unbatched 2-D input, {what} should also be 2-D but "
                             f"got {len(s)}-D tensor of shape {_shape_str(s)}")
        if batched and len(s) != 3:
            raise ValueError(f"{self!r}: for batched 3-D input, {what} should also be 3-D but "
                             f"got {len(s)}-D tensor of shape {_shape_str(s)}")
        want = expected if batched else (expected[0], expected[2])
        if s != want:
            raise ValueError(f"{self!r}: expected {what} size {_shape_str(want)}, got "
                             f"{_shape_str(s)}")
        return hx if batched else unsqueeze(hx, 1)

    # --- forward ----------------------------------------------------------------------------
    def _step(self, gi, state, w_hh_t, b_hh, w_hr_t):
        if self.mode == "LSTM":
            return _lstm_step(gi, state, w_hh_t, b_hh, w_hr_t)
        if self.mode == "GRU":
            return _gru_step(gi, state, w_hh_t, b_hh)
        return _rnn_step(gi, state, w_hh_t, b_hh, tanh if self.mode == "RNN_TANH" else relu)

    def forward(self, input, hx=None):
        batched, seq_len, batch = self._check_input(input)
        lstm = self.mode == "LSTM"
        num_dirs = 2 if self.bidirectional else 1
        n_states = self.num_layers * num_dirs
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (n_states, batch, real_hidden)
        c_shape = (n_states, batch, self.hidden_size)
        x = input
        if not batched:
            x = unsqueeze(x, 1)
        elif self.batch_first:
            x = swapaxes(x, 0, 1)
        w0 = getattr(self, self._flat_weights_names[0])
        dt = np.result_type(data(input).dtype, data(w0).dtype)

        # initial states, one per (layer, direction)
        if hx is None:
            h0 = [np.zeros(h_shape[1:], dt)] * n_states
            c0 = [np.zeros(c_shape[1:], dt)] * n_states
        elif lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self!r}: hx must be a tuple (h_0, c_0), got "
                                f"{type(hx).__name__}")
            h = self._check_hidden(hx[0], h_shape, batched, "hidden[0]")
            c = self._check_hidden(hx[1], c_shape, batched, "hidden[1]")
            h0 = [getitem(h, k) for k in range(n_states)]
            c0 = [getitem(c, k) for k in range(n_states)]
        else:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"{self!r}: hx must be a single tensor h_0 of shape "
                                f"{_shape_str(h_shape)}, got a {type(hx).__name__}")
            h = self._check_hidden(hx, h_shape, batched, "hidden")
            h0 = [getitem(h, k) for k in range(n_states)]

        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_dirs):
                k = layer * num_dirs + direction
                ws = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                w_hr_t = _t(ws[-1]) if self.proj_size > 0 else None
                gi = _proj(x, _t(w_ih), b_ih)  # all time steps at once: (T, N, gates)
                w_hh_t = _t(w_hh)
                state = (h0[k], c0[k]) if lstm else h0[k]
                ys = [None] * seq_len
                steps = range(seq_len) if direction == 0 else range(seq_len - 1, -1, -1)
                for t in steps:
                    state = self._step(getitem(gi, t), state, w_hh_t, b_hh, w_hr_t)
                    ys[t] = state[0] if lstm else state
                outs.append(stack(ys, 0))
                if lstm:
                    h_n.append(state[0])
                    c_n.append(state[1])
                else:
                    h_n.append(state)
            x = outs[0] if num_dirs == 1 else concatenate(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)

        output = x
        h_n = stack(h_n, 0)
        c_n = stack(c_n, 0) if lstm else None
        if not batched:
            output = squeeze(output, 1)
            h_n = squeeze(h_n, 1)
            c_n = squeeze(c_n, 1) if lstm else None
        elif self.batch_first:
            output = swapaxes(output, 0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu with
    ``nonlinearity='relu'``), stacked over ``num_layers``, optionally bidirectional.

    ``forward(input, h_0=None)`` returns ``(output, h_n)`` with PyTorch's shapes: input
    (L, N, H_in) (``(N, L, H_in)`` with ``batch_first``) or (L, H_in) unbatched; h_0 and h_n
    (D * num_layers, N, H_out).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select from 'tanh' "
                             f"or 'relu'")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order (i, f, g, o):
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` (times ``W_hr^T`` with
    ``proj_size > 0``).

    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gate order (r, z, n):
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    ``forward(input, h_0=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


# --- cells ------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters ``weight_ih`` (gates * hidden, input), ``weight_hh`` (gates * hidden, hidden),
    ``bias_ih``, ``bias_hh`` (gates * hidden), all uniform on ±1/sqrt(hidden_size)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        dt = param_dtype(device, dtype, type(self).__name__)
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.bias = bias
        self.weight_ih = Parameter(np.empty((num_chunks * hidden_size, input_size), dt))
        self.weight_hh = Parameter(np.empty((num_chunks * hidden_size, hidden_size), dt))
        if bias:
            self.bias_ih = Parameter(np.empty((num_chunks * hidden_size,), dt))
            self.bias_hh = Parameter(np.empty((num_chunks * hidden_size,), dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _prepare(self, input, hx, what: str = "hx"):
        """Checked ``(input, hx_list, batched, dtype)`` with a batch axis added when the input
        is 1-D; ``hx`` is None, a tensor, or (for LSTMCell) a pair."""
        s = data(input).shape
        if len(s) not in (1, 2):
            raise ValueError(f"{self!r}: expected input to be 1-D or 2-D, got {len(s)}-D input "
                             f"of shape {_shape_str(s)}")
        if s[-1] != self.input_size:
            raise ValueError(f"{self!r}: input has inconsistent input_size: expected "
                             f"{self.input_size}, got {s[-1]} (input shape {_shape_str(s)})")
        batched = len(s) == 2
        batch = s[0] if batched else 1
        dt = np.result_type(data(input).dtype, data(self.weight_ih).dtype)
        states = []
        items = hx if isinstance(hx, (tuple, list)) else [hx]
        names = [f"hx[{k}]" for k in range(len(items))] if len(items) > 1 else ["hx"]
        for name, h in zip(names, items):
            if h is None:
                states.append(np.zeros((batch, self.hidden_size), dt))
                continue
            hs = data(h).shape
            want = (batch, self.hidden_size) if batched else (self.hidden_size,)
            if hs != want:
                raise ValueError(f"{self!r}: expected {name} of shape {_shape_str(want)} for an "
                                 f"input of shape {_shape_str(s)}, got {_shape_str(hs)}")
            states.append(h if batched else unsqueeze(h, 0))
        x = input if batched else unsqueeze(input, 0)
        return x, states, batched

    def _gi(self, x):
        return _proj(x, _t(self.weight_ih), self.bias_ih)


def _single_state(cell, hx) -> None:
    if isinstance(hx, (tuple, list)):
        raise TypeError(f"{cell!r}: hx must be a single tensor of shape (N, hidden_size) or "
                        f"(hidden_size,), got a {type(hx).__name__}")


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).
    ``forward(input, hx=None)`` returns ``h'``; input (N, input_size) or (input_size,)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; select from "
                             f"'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        _single_state(self, hx)
        x, (h,), batched = self._prepare(input, hx)
        act = tanh if self.nonlinearity == "tanh" else relu
        out = _rnn_step(self._gi(x), h, _t(self.weight_hh), self.bias_hh, act)
        return out if batched else squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step, gates (i, f, g, o). ``forward(input, hx=None)`` with ``hx = (h, c)``
    returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self!r}: hx must be a tuple (h, c), got {type(hx).__name__}")
        x, (h, c), batched = self._prepare(input, (None, None) if hx is None else hx)
        h, c = _lstm_step(self._gi(x), (h, c), _t(self.weight_hh), self.bias_hh)
        return (h, c) if batched else (squeeze(h, 0), squeeze(c, 0))


class GRUCell(RNNCellBase):
    """One GRU step, gates (r, z, n): ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``. ``forward(input, hx=None)`` returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        _single_state(self, hx)
        x, (h,), batched = self._prepare(input, hx)
        out = _gru_step(self._gi(x), h, _t(self.weight_hh), self.bias_hh)
        return out if batched else squeeze(out, 0)
