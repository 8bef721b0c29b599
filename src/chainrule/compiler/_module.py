"""``compile(module)``: a module whose calls run compiled, with its parameters as inputs."""

from __future__ import annotations

from ._compiled import Compiled


class CompiledModule:
    """Wraps a ``Module``: calling it runs the compiled forward (and, through ``backward()``,
    the compiled backward); every other attribute is the module's own (``parameters()``,
    ``train()``, ``state_dict()``, ...). Its parameters and buffers are read at each call, so
    optimizers and ``load_state_dict`` work as usual. Training and evaluation mode select
    different traces. ``_orig_mod`` is the module, as in ``torch.compile``."""

    def __init__(self, module, **options):
        object.__setattr__(self, "_orig_mod", module)
        compiled = Compiled(module, key=lambda: tuple(m.training for m in module.modules()),
                            name=type(module).__name__, **options)
        compiled.tensor_face = True
        object.__setattr__(self, "_compiled", compiled)

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    @property
    def source(self) -> str:
        return self._compiled.source

    def __repr__(self):
        return f"CompiledModule({self._orig_mod!r})"
