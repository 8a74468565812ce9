"""The `out=` keyword: which functions take it (as torch's Python bindings do) and how a result is
written into a caller's tensor (torch's casting rule, resize warning and autograd refusal)."""
from __future__ import annotations

import sys
import textwrap
import warnings
from typing import Any

import numpy as np

from ._tensor import _TORCH_TYPE_NAMES, Tensor

# the grad-mode state, bound by the op registry when it loads (grad_mode lives in the autograd
# package, above this layer); `import ndgrad` always loads the registry first
GRAD_MODE: Any = None

# torch functions whose Python binding has an out= overload (torch._C._VariableFunctions.pyi,
# torch.functional, and torch.linalg / special / fft by their ATen names);
# tests/test_surface_out.py re-derives this list from the installed torch
OUT_OPS = frozenset(" ".join(textwrap.dedent("""
    abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr alias_copy all amax amin
    aminmax angle any arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
    argsort as_strided_copy asin asinh atan atan2 atanh baddbmm batch_norm_elemt bernoulli
    bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor bmm
    bucketize cat ccol_indices_copy ceil chain_matmul cholesky cholesky_inverse cholesky_solve
    clamp clamp_max clamp_min clip col_indices_copy column_stack complex concat concatenate
    conj_physical copysign cos cosh cross crow_indices_copy cudnn_batch_norm cudnn_convolution
    cummax cummin cumprod cumsum deg2rad detach_copy diag diagonal_copy diff digamma div divide
    dot dstack empty eq erf erfc erfinv exp exp2 expand_copy expm1 eye fix float_power floor
    floor_divide fmax fmin fmod frac frexp frobenius_norm full gather gcd ge geqrf ger greater
    greater_equal gt hardshrink hash_tensor heaviside histc histogram hspmm hstack hypot i0 igamma
    igammac index_add index_copy index_reduce index_select indices_copy inner inverse isin
    isneginf isposinf kron kthvalue lcm ldexp le lerp less less_equal lgamma linspace log log10
    log1p log2 log_softmax logaddexp logaddexp2 logcumsumexp logical_and logical_not logical_or
    logical_xor logit logspace logsumexp lt lu_solve lu_unpack masked_select matmul matrix_power
    max maximum mean median min minimum mkldnn_adaptive_avg_pool2d mm mode msort mul multinomial
    multiply mv mvlgamma nan_to_num nanmean nanmedian nanquantile nansum narrow_copy
    native_batch_norm ne neg negative nextafter nonzero nonzero_static norm normal not_equal
    nuclear_norm ones orgqr ormqr outer permute_copy polar polygamma pow prod qr quantile rad2deg
    rand randint randn randperm range reciprocal remainder renorm round row_indices_copy row_stack
    rsqrt saddmm scatter scatter_add scatter_reduce searchsorted select_copy sgn sigmoid sign
    signbit sin sinc sinh slice_copy slice_scatter slogdet softmax sort split_copy
    split_with_sizes_copy sqrt square squeeze_copy sspaddmm stack std sub subtract sum svd t_copy
    take take_along_dim tan tanh tensordot threshold topk transpose_copy triangular_solve tril
    triu true_divide trunc unbind_copy unfold_copy unsqueeze_copy values_copy var vdot
    view_as_complex_copy view_as_real_copy view_copy vstack where xlogy zeros
    linalg_cholesky linalg_cholesky_ex linalg_cond linalg_cross linalg_det linalg_eig linalg_eigh
    linalg_eigvals linalg_eigvalsh linalg_householder_product linalg_inv linalg_inv_ex
    linalg_ldl_factor linalg_ldl_factor_ex linalg_ldl_solve linalg_lu linalg_lu_factor
    linalg_lu_factor_ex linalg_lu_solve linalg_matmul linalg_matrix_norm linalg_matrix_power
    linalg_matrix_rank linalg_multi_dot linalg_norm linalg_pinv linalg_qr linalg_slogdet
    linalg_solve linalg_solve_ex linalg_solve_triangular linalg_svd linalg_svdvals
    linalg_tensorinv linalg_tensorsolve linalg_vecdot linalg_vector_norm
    special_airy_ai special_bessel_j0 special_bessel_j1 special_bessel_y0 special_bessel_y1
    special_chebyshev_polynomial_t special_chebyshev_polynomial_u special_chebyshev_polynomial_v
    special_chebyshev_polynomial_w special_digamma special_entr special_erf special_erfc
    special_erfcx special_erfinv special_exp2 special_expit special_expm1 special_gammainc
    special_gammaincc special_gammaln special_hermite_polynomial_h special_hermite_polynomial_he
    special_i0 special_i0e special_i1 special_i1e special_laguerre_polynomial_l
    special_legendre_polynomial_p special_log1p special_log_ndtr special_logit special_logsumexp
    special_modified_bessel_i0 special_modified_bessel_i1 special_modified_bessel_k0
    special_modified_bessel_k1 special_multigammaln special_ndtr special_ndtri special_polygamma
    special_psi special_round special_scaled_modified_bessel_k0
    special_scaled_modified_bessel_k1 special_shifted_chebyshev_polynomial_t
    special_shifted_chebyshev_polynomial_u special_shifted_chebyshev_polynomial_v
    special_shifted_chebyshev_polynomial_w special_sinc special_spherical_bessel_j0
    special_xlog1py special_xlogy special_zeta
    fft_fft fft_fft2 fft_fftfreq fft_fftn fft_hfft fft_hfft2 fft_hfftn fft_ifft fft_ifft2
    fft_ifftn fft_ihfft fft_ihfft2 fft_ihfftn fft_irfft fft_irfft2 fft_irfftn fft_rfft fft_rfft2
    fft_rfftfreq fft_rfftn
""").split("\n")).split())

_RESIZED = (
    "An output with one or more elements was resized since it had shape {}, which does not match "
    "the required output shape {}. This behavior is deprecated, and in a future PyTorch release "
    "outputs will not be resized unless they have zero elements. You can explicitly reuse an out "
    "tensor t by resizing it, inplace, to zero elements with t.resize_(0).")


def type_name(arr: np.ndarray) -> str:
    return type_name_of(arr.dtype)


def type_name_of(dtype: np.dtype) -> str:
    """torch's name of a dtype in messages (Float, Double, Long, ...)."""
    return _TORCH_TYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """torch's canCast: never complex -> real, floating -> integral, or non-bool -> bool."""
    if src.kind == "c" and dst.kind != "c":
        return False
    if src.kind in "fc" and dst.kind in "iub":
        return False
    return not (src.kind != "b" and dst.kind == "b")


def check_grad(name: str, args: Any, out: Any) -> None:
    """torch refuses out= in grad mode when any tensor argument (or out) requires grad."""
    if not GRAD_MODE.enabled:
        return
    for x in _tensors(args, out):
        if x._requires_grad:
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")


def _tensors(args: Any, out: Any) -> Any:
    for a in (*args, out):
        if isinstance(a, Tensor):
            yield a
        elif isinstance(a, (tuple, list)):
            yield from (x for x in a if isinstance(x, Tensor))


def write(name: str, result: Any, out: Any, *, warn_resize: bool = True) -> Any:
    """Copy result (a Tensor or a tuple of them) into out and return out, as torch's *_out ops."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors, "
                            f"not {type(out).__name__}")
        outs = tuple(_write_one(name, r, o, warn_resize) for r, o in zip(result, out))
        if hasattr(result, "_fields"):
            return type(result)(*outs)
        return outs if type(result) is tuple else type(result)(outs)  # torch.return_types
    return _write_one(name, result, out, warn_resize)


def _write_one(name: str, result: Tensor, out: Any, warn_resize: bool) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    src, dst = result._data, out._data
    if src.dtype != dst.dtype and not can_cast(src.dtype, dst.dtype):
        raise RuntimeError(f"result type {type_name(src)} can't be cast to the desired output type "
                           f"{type_name(dst)}")
    if src.shape != dst.shape:
        if dst.size != 0 and warn_resize:
            warnings.warn(_RESIZED.format(list(dst.shape), list(src.shape)), UserWarning,
                          stacklevel=_user_stacklevel())
        out._data = np.array(src, dtype=dst.dtype)  # a fresh array of the new shape
    else:
        try:
            np.copyto(dst, src, casting="unsafe")  # out's own memory: its views see the values
        except ValueError:
            raise RuntimeError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.") from None
    out._vc[0] += 1
    return out


_PKG = __file__.rsplit("/", 1)[0] + "/"


def _user_stacklevel() -> int:
    """The stacklevel that points a warning at the first frame outside ndgrad."""
    f, level = sys._getframe(1), 1
    while f is not None and (f.f_code.co_filename.startswith(_PKG)
                             or f.f_code.co_filename.startswith("<ndgrad")):
        f, level = f.f_back, level + 1
    return level
