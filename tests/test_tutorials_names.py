"""Names and small behaviours tutorials and examples lean on, each printed under ndgrad and torch
(torch.finfo/iinfo, the math constants, torch.vmap, range indices, inference tensors, the
Generator's repr)."""
from tutorial_harness import check

NAMES = """
import torch
for d in (torch.float32, torch.float16, torch.float64, torch.complex64, torch.bfloat16, None):
    f = torch.finfo(d) if d is not None else torch.finfo()
    print(repr(f), f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution,
          repr(f.dtype))
for d in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
    i = torch.iinfo(d)
    print(repr(i), i.bits, i.max, i.min, repr(i.dtype))
for info, d in [(torch.finfo, torch.int32), (torch.iinfo, torch.float32),
                (torch.iinfo, torch.bool), (torch.finfo, torch.bool), (torch.finfo, "float32")]:
    try:
        info(d)
    except TypeError as e:
        print(e)
print(torch.finfo(torch.float32) == torch.finfo(torch.float32),
      torch.finfo(torch.float32) == torch.finfo(torch.float64))
try:
    hash(torch.finfo(torch.float32))
except TypeError:
    print("unhashable")
print(torch.nan, torch.inf, torch.pi, torch.e, torch.newaxis)
x = torch.arange(12.).reshape(3, 4).requires_grad_()
print(x.clamp(max=torch.finfo(torch.float32).eps)[0], x[torch.newaxis].shape)

# a range indexes as the list it holds (the nll of "What is torch.nn really?")
picked = x[range(2), [1, 3]]
picked.sum().backward()
print(picked, x[range(0)].shape, x[1, range(1, 3)], x.grad)

print(torch.vmap(torch.sum)(x))
with torch.inference_mode():
    made = x * 2
    fresh = torch.zeros(2)
    view = x.view(12)
print(made.is_inference(), fresh.is_inference(), view.is_inference(), x.is_inference(),
      made.view(12).is_inference(), (x * 2).is_inference(), made.requires_grad)
print(torch.manual_seed(0), torch.Generator().manual_seed(3).initial_seed())
"""


def test_names_tutorials_use(torch):
    check(NAMES, torch)
