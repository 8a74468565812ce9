"""ndgrad.special: the torch.special namespace (the ops and their rules live in ndgrad._ops)."""
from __future__ import annotations

from typing import Any

from ._ops._registry import PUBLIC as _PUBLIC
from ._ops.special import polygamma
from ._ops.special_binary import xlog1py, zeta
from ._ops.special_fns import (
    special_entr, special_erfcx, special_i0e, special_i1, special_i1e, special_log_ndtr,
    special_ndtr, special_ndtri,
)
from ._ops.special_poly import BESSEL as _BESSEL
from ._ops.special_poly import POLYNOMIALS as _POLYNOMIALS
from ._tensor import Tensor

# torch.special's aliases of torch-level functions
digamma = psi = _PUBLIC["digamma"]
erf, erfc, erfinv = _PUBLIC["erf"], _PUBLIC["erfc"], _PUBLIC["erfinv"]
exp2, expm1, log1p = _PUBLIC["exp2"], _PUBLIC["expm1"], _PUBLIC["log1p"]
expit = _PUBLIC["sigmoid"]
gammaln = _PUBLIC["lgamma"]
gammainc, gammaincc = _PUBLIC["igamma"], _PUBLIC["igammac"]
i0 = _PUBLIC["i0"]
sinc = _PUBLIC["sinc"]
xlogy = _PUBLIC["xlogy"]
logit = _PUBLIC["logit"]

entr, erfcx, i0e, i1, i1e = (special_entr.public, special_erfcx.public, special_i0e.public,
                             special_i1.public, special_i1e.public)
log_ndtr, ndtri, ndtr = special_log_ndtr.public, special_ndtri.public, special_ndtr.public

airy_ai = _BESSEL["airy_ai"].public
bessel_j0, bessel_j1 = _BESSEL["bessel_j0"].public, _BESSEL["bessel_j1"].public
bessel_y0, bessel_y1 = _BESSEL["bessel_y0"].public, _BESSEL["bessel_y1"].public
modified_bessel_i0 = _BESSEL["modified_bessel_i0"].public
modified_bessel_i1 = _BESSEL["modified_bessel_i1"].public
modified_bessel_k0 = _BESSEL["modified_bessel_k0"].public
modified_bessel_k1 = _BESSEL["modified_bessel_k1"].public
scaled_modified_bessel_k0 = _BESSEL["scaled_modified_bessel_k0"].public
scaled_modified_bessel_k1 = _BESSEL["scaled_modified_bessel_k1"].public
spherical_bessel_j0 = _BESSEL["spherical_bessel_j0"].public

chebyshev_polynomial_t = _POLYNOMIALS["chebyshev_polynomial_t"].public
chebyshev_polynomial_u = _POLYNOMIALS["chebyshev_polynomial_u"].public
chebyshev_polynomial_v = _POLYNOMIALS["chebyshev_polynomial_v"].public
chebyshev_polynomial_w = _POLYNOMIALS["chebyshev_polynomial_w"].public
shifted_chebyshev_polynomial_t = _POLYNOMIALS["shifted_chebyshev_polynomial_t"].public
shifted_chebyshev_polynomial_u = _POLYNOMIALS["shifted_chebyshev_polynomial_u"].public
shifted_chebyshev_polynomial_v = _POLYNOMIALS["shifted_chebyshev_polynomial_v"].public
shifted_chebyshev_polynomial_w = _POLYNOMIALS["shifted_chebyshev_polynomial_w"].public
hermite_polynomial_h = _POLYNOMIALS["hermite_polynomial_h"].public
hermite_polynomial_he = _POLYNOMIALS["hermite_polynomial_he"].public
laguerre_polynomial_l = _POLYNOMIALS["laguerre_polynomial_l"].public
legendre_polynomial_p = _POLYNOMIALS["legendre_polynomial_p"].public

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
    "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e",
    "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit",
    "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy",
    "zeta",
]


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension p (torch.mvlgamma).

    Example::
        >>> ndgrad.special.multigammaln(ndgrad.tensor([2.5]), 2)
        tensor([0.8570])
    """
    return _PUBLIC["mvlgamma"](input, p)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001  (torch's name)
    """Round half to even, to `decimals` decimal places.

    Example::
        >>> ndgrad.special.round(ndgrad.tensor([0.5, 1.26]), decimals=1)
        tensor([0.5000, 1.3000])
    """
    return _PUBLIC["round"](input, decimals=decimals)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """exp(input) normalized to sum to 1 along dim (computed in dtype if given).

    Example::
        >>> ndgrad.special.softmax(ndgrad.zeros(2), 0)
        tensor([0.5000, 0.5000])
    """
    return _PUBLIC["softmax"](input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """log(softmax(input)) along dim, computed stably.

    Example::
        >>> ndgrad.special.log_softmax(ndgrad.zeros(2), 0)
        tensor([-0.6931, -0.6931])
    """
    return _PUBLIC["log_softmax"](input, dim, dtype=dtype)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) along dim, computed stably.

    Example::
        >>> ndgrad.special.logsumexp(ndgrad.zeros(2), 0)
        tensor(0.6931)
    """
    return _PUBLIC["logsumexp"](input, dim, keepdim)
