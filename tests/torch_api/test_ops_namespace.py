"""chainrule.ops assembles PyTorch's spellings from family modules by star import; a name that
two families define would silently take the later one, so each name has exactly one home."""

import collections

import chainrule
import chainrule.ops as ops


def test_each_ops_name_has_one_family():
    counts = collections.Counter(ops.__all__)
    assert [name for name, n in counts.items() if n > 1] == []


def test_ops_exports_names_not_family_modules():
    for family in ("blas", "indexing", "pointwise", "reductions", "shape", "sorting", "_linalg"):
        assert family not in ops.__all__
    assert chainrule.linalg.__name__ == "chainrule.linalg"  # the torch.linalg namespace
    for name in ops.__all__:
        assert getattr(chainrule, name) is getattr(ops, name), name
