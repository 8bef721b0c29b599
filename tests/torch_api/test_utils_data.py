"""chainrule.utils.data against torch.utils.data: datasets, samplers, collation, the DataLoader
(also with worker processes), random_split."""

from collections import Counter, namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
import chainrule.utils.data as cud

Point = namedtuple("Point", "x y")


def _same(ours, theirs):
    """Equal structure, container types, values and dtypes."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
    elif isinstance(theirs, dict):
        assert type(ours) is dict and ours.keys() == theirs.keys()
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def _samples(lib):
    arr = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
    return [
        [(1, 2.0, True, "a"), (3, 4.0, False, "b")],
        [{"x": arr[0], "y": [1, 2]}, {"x": arr[1], "y": [3, 4]}],
        [Point(1.5, t[0]), Point(2.5, t[1])],
        [np.float32(1.0), np.float32(2.0)],
        [t[0], t[1]],
        [np.int16(3), np.int16(4)],
    ]


@pytest.mark.parametrize("case", range(6))
def test_default_collate_matches_torch(case):
    _same(cud.default_collate(_samples(cr)[case]), tud.default_collate(_samples(torch)[case]))


def test_default_convert_matches_torch():
    data = (np.zeros(2), {"a": np.int64(3), "b": [np.ones(1), "s"]}, 1.5)
    _same(cud.default_convert(data), tud.default_convert(data))


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="one shape"):
        cud.default_collate([cr.ones(2), cr.ones(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        cud.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="found object"):
        cud.default_collate([object(), object()])


def test_collated_tensors_keep_their_graph():
    w = cr.ones(3, requires_grad=True)
    batch = cud.default_collate([w * 2, w * 3])
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [5, 5, 5])


def test_tensor_dataset_subset_concat():
    x, y = cr.arange(10.0).reshape(5, 2), cr.arange(5)
    ds = cud.TensorDataset(x, y)
    assert len(ds) == 5 and ds[2][1].item() == 2 and ds[-1][0].tolist() == [8.0, 9.0]
    with pytest.raises(ValueError, match="same size"):
        cud.TensorDataset(x, cr.arange(4))
    sub = cud.Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 4
    cat = ds + sub
    assert isinstance(cat, cud.ConcatDataset) and len(cat) == 7
    assert [int(cat[i][1]) for i in range(-7, 7)] == [0, 1, 2, 3, 4, 4, 0] * 2
    with pytest.raises(IndexError, match="out of range"):
        cat[7]


@pytest.mark.parametrize("lengths", [[0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34],
                                     [3, 7], [0.1] * 10])
def test_random_split_lengths_match_torch(lengths):
    ours = cud.random_split(range(10), lengths, generator=cr.Generator().manual_seed(0))
    theirs = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(10))


def test_random_split_is_reproducible_and_checked():
    a = cud.random_split(range(20), [10, 10], generator=cr.Generator().manual_seed(5))
    b = cud.random_split(range(20), [10, 10], generator=cr.Generator().manual_seed(5))
    assert a[0].indices == b[0].indices and a[0].indices != list(range(10))
    with pytest.raises(ValueError, match="summing"):
        cud.random_split(range(10), [3, 3])


def test_samplers():
    data = range(7)
    assert list(cud.SequentialSampler(data)) == list(range(7))
    g = cr.Generator().manual_seed(1)
    perm = list(cud.RandomSampler(data, generator=g))
    assert sorted(perm) == list(range(7)) and perm != list(range(7))
    assert len(list(cud.RandomSampler(data, num_samples=16))) == 16
    assert sorted(Counter(cud.RandomSampler(data, num_samples=14)).values()) == [2] * 7
    drawn = list(cud.RandomSampler(data, replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) <= set(data)
    assert sorted(cud.SubsetRandomSampler([5, 2, 9], generator=g)) == [2, 5, 9]
    for drop in [False, True]:
        ours = list(cud.BatchSampler(cud.SequentialSampler(data), 3, drop))
        theirs = list(tud.BatchSampler(tud.SequentialSampler(data), 3, drop))
        assert ours == theirs and len(cud.BatchSampler(range(7), 3, drop)) == len(theirs)


def test_weighted_random_sampler():
    w = cr.tensor([0.0, 1.0, 3.0])
    counts = Counter(cud.WeightedRandomSampler(w, 4000, generator=cr.Generator().manual_seed(0)))
    assert counts[0] == 0 and 0.7 < counts[2] / 4000 < 0.8
    assert sorted(cud.WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]
    with pytest.raises(ValueError, match="without replacement"):
        cud.WeightedRandomSampler(w, 3, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        cud.WeightedRandomSampler([1, -1], 2)


def test_shuffle_follows_the_generators():
    ds = cud.TensorDataset(cr.arange(20))

    def epoch(loader):
        return [int(i) for (b,) in loader for i in b]

    a = cud.DataLoader(ds, batch_size=6, shuffle=True, generator=cr.Generator().manual_seed(3))
    b = cud.DataLoader(ds, batch_size=6, shuffle=True, generator=cr.Generator().manual_seed(3))
    e1, e2 = epoch(a), epoch(a)
    assert e1 == epoch(b) and e1 != e2 and sorted(e1) == list(range(20))
    cr.manual_seed(7)
    c = epoch(cud.DataLoader(ds, batch_size=6, shuffle=True))
    cr.manual_seed(7)
    assert c == epoch(cud.DataLoader(ds, batch_size=6, shuffle=True))


def test_dataloader_batches_match_torch():
    x = np.arange(22.0).reshape(11, 2)
    for kw in [{"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None},
               {"batch_size": 3, "collate_fn": lambda b: len(b)}]:
        ours = cud.DataLoader(cud.TensorDataset(cr.tensor(x)), **kw)
        theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(x)), **kw)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b)


def test_dataloader_sampler_and_batch_sampler():
    ds = cud.TensorDataset(cr.arange(10))
    got = [b[0].tolist() for b in cud.DataLoader(ds, batch_size=2, sampler=[9, 8, 7])]
    assert got == [[9, 8], [7]]
    got = [b[0].tolist() for b in cud.DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])]
    assert got == [[1, 2, 3], [0]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        cud.DataLoader(ds, batch_sampler=[[0]], batch_size=3)
    with pytest.raises(ValueError, match="mutually exclusive"):
        cud.DataLoader(ds, sampler=[0], shuffle=True)


class Stream(cud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter({"v": float(i)} for i in range(self.n))

    def __len__(self):
        return self.n


def test_iterable_dataset():
    loader = cud.DataLoader(Stream(7), batch_size=3)
    batches = [b["v"].tolist() for b in loader]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert len(cud.DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert [b["v"] for b in cud.DataLoader(Stream(2), batch_size=None)] == [0.0, 1.0]  # as is
    assert [int(b["v"]) for b in cud.DataLoader(Stream(2) + Stream(1), batch_size=None)] == \
        [0, 1, 0]
    for kw, match in [({"shuffle": True}, "shuffle"), ({"sampler": [0]}, "sampler"),
                      ({"num_workers": 2}, "map-style")]:
        with pytest.raises(ValueError, match=match):
            cud.DataLoader(Stream(3), **kw)


class Probe(cud.Dataset):
    """Reports the worker that fetched each sample and a draw from the default generator."""

    def __len__(self):
        return 9

    def __getitem__(self, i):
        info = cud.get_worker_info()
        return {"i": i, "worker": info.id, "n": info.num_workers,
                "draw": float(cr.rand(()).item())}


def _mark_init(worker_id):
    cr.manual_seed(1000 + worker_id)


def test_worker_processes():
    assert cud.get_worker_info() is None
    loader = cud.DataLoader(Probe(), batch_size=2, num_workers=2, worker_init_fn=_mark_init)
    batches = list(loader)
    assert [i for b in batches for i in b["i"].tolist()] == list(range(9))  # in order
    assert {w for b in batches for w in b["worker"].tolist()} <= {0, 1}
    assert all(b["n"].tolist() == [2] * len(b["n"]) for b in batches)
    draws = sorted(d for b in batches for d in b["draw"].tolist())
    assert len(set(draws)) == 9  # the workers' streams differ


def test_worker_seeds_follow_the_generator():
    """Batch i goes to worker i % num_workers, as in PyTorch, so a seeded run repeats."""
    def run():
        loader = cud.DataLoader(Probe(), batch_size=2, num_workers=2,
                                generator=cr.Generator().manual_seed(4))
        return [(b["worker"].tolist(), b["draw"].tolist()) for b in loader]

    first = run()
    assert [w[0] for w, _ in first] == [0, 1, 0, 1, 0]
    assert first == run()


class Faulty(cud.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise KeyError("sample 4 is missing")
        return i


def test_worker_errors_and_unordered():
    with pytest.raises(RuntimeError, match="(?s)worker process failed.*sample 4 is missing"):
        list(cud.DataLoader(Faulty(), batch_size=2, num_workers=2))
    got = [b.tolist() for b in cud.DataLoader(Probe(), batch_size=None, num_workers=2,
                                              collate_fn=lambda s: cr.tensor(s["i"]),
                                              in_order=False)]
    assert sorted(got) == list(range(9))


def test_bad_loader_arguments():
    ds = cud.TensorDataset(cr.arange(3))
    with pytest.raises(ValueError, match="num_workers"):
        cud.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size"):
        cud.DataLoader(ds, batch_size=0)
