"""torch.<op>_ : the in-place functions torch exposes at top level (torch.sin_(x) is x.sin_())."""
from __future__ import annotations

from typing import Any, Callable

from ._tensor import Tensor

# every public in-place function of torch 2.13 (dir(torch) names ending in "_")
TORCH_NAMES = """
abs_ acos_ acosh_ addmv_ alpha_dropout_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_
as_strided_ asin_ asinh_ atan_ atanh_ ceil_ celu_ clamp_ clamp_max_ clamp_min_ clip_
conj_physical_ cos_ cosh_ deg2rad_ detach_ dropout_ embedding_renorm_ erf_ erfc_ exp2_ exp_
expm1_ feature_alpha_dropout_ feature_dropout_ fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ lcm_
ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_
resize_as_ resize_as_sparse_ round_ rrelu_ rsqrt_ selu_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_
tan_ tanh_ threshold_ trunc_ xlogy_ zero_
""".split()

# the dropout family has no in-place Tensor method: torch.dropout_(x, p, train) is
# F.dropout(x, p, train, inplace=True)
_DROPOUTS = ("dropout_", "alpha_dropout_", "feature_alpha_dropout_")


def _method(name: str) -> Callable:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}(input, ...): input.{name}(...), in place."
    return fn


def _dropout(name: str) -> Callable:
    def fn(input: Tensor, p: float, train: bool) -> Tensor:
        from .nn import functional  # nn loads on first use

        return getattr(functional, name[:-1])(input, p, train, inplace=True)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}(input, p, train): F.{name[:-1]}(..., inplace=True)."
    return fn


def function(name: str) -> Callable:
    """ndgrad.<name> for one of torch's in-place functions (AttributeError if ndgrad has no such
    in-place method yet)."""
    if name in _DROPOUTS:
        return _dropout(name)
    if hasattr(Tensor, name):
        return _method(name)
    raise AttributeError(f"module 'ndgrad' has no attribute '{name}'")


def available() -> set:
    """The in-place functions ndgrad offers now (for dir(ndgrad))."""
    return {n for n in TORCH_NAMES if n in _DROPOUTS or hasattr(Tensor, n)}
