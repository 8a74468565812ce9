"""ndgrad.utils.data vs torch.utils.data: same batches, samplers, splits, collation, workers."""
import collections
import random
import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.utils.data as nd


def tdata():
    import torch.utils.data

    return torch.utils.data


def as_np(x):
    """Batches from either framework as nested NumPy/Python values."""
    if hasattr(x, "detach"):
        return (str(x.dtype), x.detach().numpy().tolist())
    if isinstance(x, dict):
        return {k: as_np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(as_np(v) for v in x) if not hasattr(x, "_fields") else tuple(map(as_np, x))
    return x


X = np.arange(22 * 3, dtype=np.float32).reshape(22, 3)
Y = np.arange(22)


def epochs(mod, dmod, n=2, **kw):
    ds = dmod.TensorDataset(mod.tensor(X), mod.tensor(Y))
    loader = dmod.DataLoader(ds, **kw)
    return len(loader), [[as_np(b) for b in loader] for _ in range(n)]


@pytest.mark.parametrize("kw", [dict(batch_size=4, shuffle=True),
                                dict(batch_size=5, shuffle=True, drop_last=True),
                                dict(batch_size=3, shuffle=True, generator=7),
                                dict(batch_size=6), dict(batch_size=None)])
def test_dataloader_batches_match_torch(torch, kw):
    kt, kn = dict(kw), dict(kw)
    if "generator" in kw:
        kt["generator"] = torch.Generator().manual_seed(kw["generator"])
        kn["generator"] = ndgrad.Generator().manual_seed(kw["generator"])
    torch.manual_seed(123)
    ref = epochs(torch, tdata(), **kt)
    ndgrad.manual_seed(123)
    got = epochs(ndgrad, nd, **kn)
    assert got == ref
    # the loaders consumed the default generator exactly as torch did
    assert ndgrad.rand(3).tolist() == torch.rand(3).tolist()


def test_for_x_y_in_loader(torch):
    torch.manual_seed(0)
    ndgrad.manual_seed(0)
    ref = [(x.numpy(), y.numpy()) for x, y in tdata().DataLoader(
        tdata().TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=4, shuffle=True)]
    got = [(x.numpy(), y.numpy()) for x, y in nd.DataLoader(
        nd.TensorDataset(ndgrad.tensor(X), ndgrad.tensor(Y)), batch_size=4, shuffle=True)]
    assert len(got) == len(ref) == 6
    for (a, b), (c, d) in zip(got, ref):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def sampler_outputs(mod, dmod):
    mod.manual_seed(5)
    g = mod.Generator().manual_seed(11)
    return [
        list(dmod.RandomSampler(range(10))),
        list(dmod.RandomSampler(range(10), replacement=True, num_samples=70)),
        list(dmod.RandomSampler(range(7), num_samples=17)),
        list(dmod.RandomSampler(range(9), generator=g)),
        list(dmod.SubsetRandomSampler([3, 5, 7, 9])),
        list(dmod.SubsetRandomSampler([3, 5, 7, 9], generator=g)),
        list(dmod.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 12)),
        list(dmod.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 3, replacement=False)),
        list(dmod.WeightedRandomSampler([1.0, 2.0, 3.0], 5, generator=g)),
        list(dmod.BatchSampler(dmod.SequentialSampler(range(7)), 3, drop_last=False)),
        list(dmod.BatchSampler(range(7), 3, drop_last=True)),
        len(dmod.BatchSampler(range(7), 3, drop_last=False)),
        [list(s) for s in dmod.random_split(range(10), [0.5, 0.3, 0.2])],
        [list(s) for s in dmod.random_split(range(11), [0.34, 0.33, 0.33])],
        [list(s) for s in dmod.random_split(range(10), [3, 7], generator=g)],
        mod.rand(2).tolist(),
    ]


def test_samplers_and_random_split_match_torch(torch):
    assert sampler_outputs(ndgrad, nd) == sampler_outputs(torch, tdata())


def errors(fn):
    try:
        fn()
    except Exception as e:
        return type(e), str(e)
    return None


def test_argument_errors_match_torch(torch):
    cases = [
        lambda d: d.random_split(range(10), [3, 3]),
        lambda d: d.random_split(range(10), [1.2, -0.2]),
        lambda d: d.BatchSampler(range(3), 0, False),
        lambda d: d.BatchSampler(range(3), 2, 1),
        lambda d: d.RandomSampler(range(3), replacement=1),
        lambda d: d.RandomSampler(range(3), num_samples=0),
        lambda d: d.WeightedRandomSampler([1.0], 0),
        lambda d: d.WeightedRandomSampler([[1.0]], 1),
        lambda d: d.DataLoader(range(3), num_workers=-1),
        lambda d: d.DataLoader(range(3), prefetch_factor=2),
        lambda d: d.DataLoader(range(3), persistent_workers=True),
        lambda d: d.DataLoader(range(3), shuffle=True, sampler=d.SequentialSampler(range(3))),
        lambda d: d.DataLoader(range(3), batch_sampler=[[0]], batch_size=2),
        lambda d: d.DataLoader(range(3), batch_size=None, drop_last=True),
        lambda d: d.ConcatDataset([]),
        lambda d: d.ConcatDataset([range(3)])[-5],
        lambda d: setattr(d.DataLoader(range(3)), "batch_size", 2),
        lambda d: d.default_collate([object()]),
        lambda d: d.default_collate([np.array(["a"])]),
        lambda d: d.default_collate([[1, 2], [1]]),
    ]
    for case in cases:
        assert errors(lambda c=case: c(nd)) == errors(lambda c=case: c(tdata()))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nd.random_split(range(2), [0.9, 0.1])
    assert "Length of split at index 1 is 0" in str(w[0].message)


Point = collections.namedtuple("Point", "x y")


def test_default_collate_matches_torch(torch):
    def samples(mod):
        return [
            [mod.tensor([1.0, 2.0]), mod.tensor([3.0, 4.0])],
            [1, 2, 3],
            [1.5, 2.5],
            [True, False],
            ["a", "b"],
            [(mod.tensor(1), 2.0), (mod.tensor(3), 4.0)],
            [{"x": np.zeros(2, np.float32), "y": 1}, {"x": np.ones(2, np.float32), "y": 2}],
            [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
            [Point(1, 2.0), Point(3, 4.0)],
            [[np.int32(1), np.float64(2)], [np.int32(3), np.float64(4)]],
            [np.array([1, 2], np.int16), np.array([3, 4], np.int16)],
            [np.float32(1.5), np.float32(2.5)],
        ]

    for a, b in zip(samples(ndgrad), samples(torch)):
        got, ref = nd.default_collate(a), tdata().default_collate(b)
        assert type(got).__name__ == type(ref).__name__
        assert as_np(got) == as_np(ref)
    assert as_np(nd.default_convert({"a": np.arange(3)})) == as_np(
        tdata().default_convert({"a": np.arange(3)}))


def test_datasets():
    a = nd.TensorDataset(ndgrad.arange(4), ndgrad.arange(4) * 10)
    assert [int(x) for x in a[2]] == [2, 20] and len(a) == 4
    with pytest.raises(AssertionError, match="Size mismatch"):
        nd.TensorDataset(ndgrad.arange(4), ndgrad.arange(3))
    c = a + nd.Subset(a, [3, 1])
    assert isinstance(c, nd.ConcatDataset) and len(c) == 6
    assert int(c[4][0]) == 3 and int(c[-1][1]) == 10
    s = nd.StackDataset(a, nd.Subset(a, [0, 1, 2, 3]))
    assert len(s) == 4 and int(s[1][1][0]) == 1
    s = nd.StackDataset(first=a, second=a)
    assert int(s[3]["second"][1]) == 30

    class Count(nd.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chained = Count(3) + Count(2)
    assert list(chained) == [0, 1, 2, 0, 1] and len(chained) == 5
    loader = nd.DataLoader(Count(7), batch_size=3)
    assert len(loader) == 3
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in nd.DataLoader(Count(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        nd.DataLoader(Count(3), shuffle=True)


# *** worker processes ***

class Probe(nd.Dataset):
    """Samples that record which worker made them and what its seeded RNGs produce."""

    def __init__(self, mod, n=17, bad=None):
        self.mod, self.n, self.bad = mod, n, bad

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            raise ValueError(f"bad index {i}")
        info = nd.get_worker_info() if self.mod is ndgrad else tdata().get_worker_info()
        return (self.mod.tensor([float(i)]), info.id if info else -1, random.random(),
                float(self.mod.rand(1)), float(np.random.rand()))


def probe_batches(mod, dmod, **kw):
    mod.manual_seed(3)
    loader = dmod.DataLoader(Probe(mod), batch_size=3, **kw)
    return [as_np(b) for b in loader]


def test_workers_match_torch_order_and_seeds(torch):
    """Batches come back in sampler order; each worker's random/torch/numpy streams are
    seeded from the base seed exactly as torch seeds them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = probe_batches(torch, tdata(), shuffle=True, num_workers=2)
        got = probe_batches(ndgrad, nd, shuffle=True, num_workers=2)
    assert got == ref
    assert [b[1][1] for b in got][:4] == [[0] * 3, [1] * 3, [0] * 3, [1] * 3]
    single = [b[0] for b in probe_batches(ndgrad, nd, shuffle=True)]
    assert [b[0] for b in got] == single


def init_fn(worker_id):
    info = nd.get_worker_info()
    info.dataset.n = 9 + worker_id  # each worker owns a copy of the dataset


def test_worker_exception_init_fn_and_persistent_workers():
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0") as e:
        list(nd.DataLoader(Probe(ndgrad, bad=4), batch_size=2, num_workers=2))
    assert "bad index 4" in str(e.value) and "Original Traceback" in str(e.value)
    loader = nd.DataLoader(Probe(ndgrad), batch_size=4, num_workers=2, persistent_workers=True,
                           worker_init_fn=init_fn)
    first = [b[0].flatten().tolist() for b in loader]
    second = [b[0].flatten().tolist() for b in loader]
    assert first == second == [[0.0, 1, 2, 3], [4.0, 5, 6, 7], [8.0, 9, 10, 11], [12.0, 13, 14, 15],
                               [16.0]]
    assert loader._iterator is not None
    loader._iterator._shutdown_workers()


class Shards(nd.IterableDataset):
    def __iter__(self):
        info = nd.get_worker_info()
        wid, n = (info.id, info.num_workers) if info else (0, 1)
        return iter(range(wid, 10, n))


def test_iterable_dataset_with_workers():
    got = [b.tolist() for b in nd.DataLoader(Shards(), batch_size=2, num_workers=2)]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]  # torch's interleaving
