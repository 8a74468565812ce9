"""Mutation: in-place ops, writes through views (CopySlices), and torch's refusals."""
from __future__ import annotations

import re
import sys
from typing import Any, Callable

import numpy as np

from .._dtype import SCALAR_TYPE_NAMES, from_numpy_dtype
from .._memory_format import non_overlapping_and_dense
from .._tensor import Tensor, ViewInfo
from ..autograd import forward_ad
from ..autograd.grad_mode import STATE
from ._promote import _broadcast_error
from ._registry import REGISTRY, _record, composite, primitive, site, site_location

_CAN_CAST = {"b": "b", "u": "bui", "i": "bui", "f": "buif", "c": "buifc"}
# conj() results kept equal to the conjugate of the storage they mirror (torch's conj views):
# id(root tensor) -> [(weakref(result), weakref(root), view chain from root)]; see complex.py
CONJ_VIEWS: dict[int, list] = {}


def user_location() -> str:
    """file:line of the innermost frame outside ndgrad (only called on rare paths)."""
    where = site_location(site(sys._getframe(1)))
    return f"{where[0]}:{where[1]}" if where is not None else "<unknown>"


def bump_version(t: Tensor) -> None:
    """Count a modification of t's storage and remember where it happened (the code and
    offset of the user's frame; its line is worked out only if an error message needs it)."""
    vc = t._vc
    vc[0] += 1
    vc[1:] = [site(sys._getframe(1))]
    if CONJ_VIEWS:
        refresh_conj_views(t)


def refresh_conj_views(t: Tensor) -> None:
    """Recompute the conj() results that mirror t's storage, after an in-place write."""
    info = t._view
    root = info.base if info is not None else t
    entries = CONJ_VIEWS.get(id(root))
    if not entries:
        return
    live = []
    for entry in entries:
        out, alive = entry[0](), entry[1]() is root
        if out is not None and alive:
            out._data[...] = np.conj(replay(root._data, entry[2]))
            live.append(entry)
    if live:
        CONJ_VIEWS[id(root)] = live
    else:
        del CONJ_VIEWS[id(root)]


# *** replaying views ***

def replay(arr: Any, chain: tuple) -> Any:
    """Apply a view chain [(op, attrs, output_index), ...] to an array or a Tensor."""
    tensor = isinstance(arr, Tensor)
    for op, attrs, idx in chain:
        arr = op.public(arr, **attrs) if tensor else op.forward(arr, **attrs)
        if idx is not None:
            arr = arr[idx]
    return arr


@primitive("copy_slices", complex=True, grad_fn="CopySlices", export=False, inputs=("base", "src"),
           samples=[(((3, 4), (4,)), {"chain": "select0"})], torch_fn=None, skips=("torch",))
def _copy_slices(base, src, *, chain):
    out = base.copy()
    replay(out, _chain(chain))[...] = src
    return out


@_copy_slices.vjp
def _(grad, src_shape, *, chain):
    # d base: grad outside the written region; d src: grad inside it
    zeros = Tensor._make(np.zeros(src_shape, dtype=grad._data.dtype))
    return _copy_slices.public(grad, zeros, chain=chain), replay(grad, _chain(chain))


@primitive("as_strided_view", complex=True, grad_fn="AsStridedBackward0", export=False,
           inputs=("base",),
           samples=[((3, 4), {"chain": "select0"})], skips=("torch",))
def _view_of(base, *, chain):
    return replay(base, _chain(chain))


@_view_of.vjp
def _(grad, base_shape, *, chain):
    zeros = Tensor._make(np.zeros(base_shape, dtype=grad._data.dtype))
    return _copy_slices.public(zeros, grad, chain=chain)


def _chain(chain: Any) -> tuple:
    if chain == "select0":  # the op-table sample: row 0 of a matrix
        return ((REGISTRY["getitem"], {"index": ((0, Ellipsis), None, "SelectBackward0")}, None),)
    return chain


def sync_view(t: Tensor) -> None:
    """Refresh the grad_fn of a view whose storage was written since it was set (through its
    base or another view): an AsStridedBackward0 node from the base's current grad_fn, as torch.
    Outputs of split/unbind and views made in no_grad mode cannot be refreshed: torch's error."""
    info = t._view
    base = info.base
    if t._grad_fn is None and not base._requires_grad:
        return
    if info.creation != "default":
        raise RuntimeError(view_rebase_error(t, indirect=True))
    if base._requires_grad:
        r = _record(_view_of, (base,), {"chain": info.chain}, t._data)
        t._grad_fn, t._output_nr, t._requires_grad = r._grad_fn, 0, True
    info.version = t._vc[0]


# *** checks ***

_MULTI_OUTPUT_HINT = (
    " This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation by "
    "an out-of-place one.")
_NO_GRAD_HINT = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block (if "
    "you don't want the inplace to be tracked) or both outside (if you want the inplace to be "
    "tracked).")


def view_rebase_error(t: Tensor, indirect: bool) -> str:
    """torch's message for writing a view that cannot be rebased (handle_view_on_rebase)."""
    info = t._view
    fn = t._grad_fn
    name = ""
    if fn is not None:
        name = re.sub(r"Backward\d*$", "", type(fn).__name__)
    modified = "its base or another view of its base has been" if indirect else "is being"
    if info.creation == "no_grad" or fn is None:
        prefix = (f"Output {t._output_nr} of {name} is a view of a view which was created in"
                  if fn is not None else "A view was created in")
        msg = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        msg = f"Output {t._output_nr} of {name} is a view and {modified} modified inplace."
    return msg + (_MULTI_OUTPUT_HINT if info.creation == "multi" else _NO_GRAD_HINT)


def check_inplace(self: Tensor, overlap_ok: bool = False, others_require_grad: bool = False
                  ) -> None:
    """torch's refusals for an in-place op on self (others_require_grad: whether another tensor
    argument of the op requires grad). As torch, the autograd checks apply only when the op
    would be recorded."""
    if self._is_conj or (self._view is not None and self._view.base._is_conj):
        raise RuntimeError(
            "This tensor has the conjugate bit set (it is the result of conj(), or a view of one). "
            "ndgrad computes conj() at once, so an in-place write would not reach the tensor it "
            "conjugates as torch's conjugate view would. Write to tensor.resolve_conj() or "
            "conj_physical() instead.")
    if STATE.enabled and (self._requires_grad or others_require_grad):
        info = self._view
        if info is not None:
            if info.creation != "default":
                raise RuntimeError(view_rebase_error(self, indirect=False))
            if self._requires_grad and info.base._grad_fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                                   "an in-place operation.")
        elif self._requires_grad and self._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
    arr = self._data
    if not overlap_ok and arr.size > 1 and any(
            s == 0 and n > 1 for s, n in zip(arr.strides, arr.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")


def check_partial_overlap(self: Tensor, args: tuple) -> None:
    """torch refuses an in-place op whose input shares part of the written memory (the result
    would depend on the loop order); it checks dense tensors only, as torch's overlap status."""
    dst = self._data
    for a in args:
        src = a._data if isinstance(a, Tensor) else None
        if type(src) is not np.ndarray or src is dst or not np.may_share_memory(dst, src):
            continue
        if not (non_overlapping_and_dense(dst) and non_overlapping_and_dense(src)):
            continue  # torch's "too hard": not checked
        same = (src.__array_interface__["data"][0] == dst.__array_interface__["data"][0] and
                src.nbytes == dst.nbytes and src.strides == dst.strides)
        if not same:
            raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                               "written-to tensor refer to a single memory location. Please "
                               "clone() the tensor before performing the operation.")


def _write(self: Tensor, src: np.ndarray) -> None:
    dst = self._data
    if src.dtype != dst.dtype and src.dtype.kind not in _CAN_CAST[dst.dtype.kind]:
        raise RuntimeError(
            f"result type {SCALAR_TYPE_NAMES.get(from_numpy_dtype(src.dtype).name)} can't be cast to "
            f"the desired output type {SCALAR_TYPE_NAMES.get(from_numpy_dtype(dst.dtype).name)}")
    if not dst.flags.writeable:  # an expanded view (fill_/zero_ may write through it)
        dst = dst.view()
        dst.flags.writeable = True
    np.copyto(dst, src, casting="unsafe")
    bump_version(self)


def _carry_tangent(out: Tensor, self: Tensor) -> None:
    if forward_ad.LEVELS.stack:
        t = forward_ad.get_tangent(out)
        if t is not None:
            forward_ad.set_tangent(self, t)
        elif forward_ad.get_tangent(self) is not None:  # the new value no longer moves with it
            forward_ad.set_tangent(self, Tensor._make(np.zeros_like(self._data)))


def _needs_old_input(fn: Callable) -> bool:
    op = getattr(fn, "__wrapped_op__", None)
    return op is None or ("input", 0) in op.save_specs


def _retarget_result(node: Any, self: Tensor) -> None:
    """An in-place op's node saved its out-of-place result; make that saved value self."""
    op = node._op
    if node._saved is None:
        return
    saved = list(node._saved)
    for i, (kind, _) in enumerate(op.save_specs):
        if kind == "result":
            saved[i] = (self._data, self._vc, self._vc[0], 0, None)
    node._saved = tuple(saved)


def _check_complex_result(self: Tensor, out: Tensor, fn: Callable) -> None:
    # torch refuses in-place ops whose result on a complex tensor is real (abs_); a bool result
    # (logical_not_, eq_) is written back as 0 and 1
    if self._data.dtype.kind == "c" and out._data.dtype.kind == "f":
        name = getattr(fn, "__name__", getattr(fn, "name", ""))
        raise RuntimeError(f"In-place {name} is not supported for complex tensors.")
# torch computes these in place as `op_out(self, self, ...)`, whose out= resizes self to the
# result's shape instead of refusing (Tensor([1.]).addbmm_(b1, b2) has b1 @ b2's shape)
_RESIZES_SELF = frozenset({"addbmm"})


def _bad_inplace_call(self: Tensor, out: Tensor, args: tuple) -> str:
    return (f"Bad in-place call: input tensor size {list(self._data.shape)} and output tensor "
            f"size {list(out._data.shape)} should match")


def _addr_mismatch(self: Tensor, out: Tensor, args: tuple) -> str:
    if self._data.ndim != 2:
        return f"2D tensor expected, got {self._data.ndim}D tensor for input"
    v1, v2 = (list(np.shape(getattr(a, "_data", a))) for a in args[:2])
    return f"size mismatch, input: {list(self._data.shape)}, v1: {v1}, v2: {v2}"


# torch's own message where an in-place product's result does not fit self
_SHAPE_ERRORS = {"addmm": _bad_inplace_call, "baddbmm": _bad_inplace_call,
                 "addmv": _bad_inplace_call, "addr": _addr_mismatch}


def _fit_shape(self: Tensor, out: Tensor, fn: Callable, args: tuple) -> None:
    """Refuse a result self cannot hold, or give self fresh storage of its shape (addbmm_)."""
    if out._data.shape == self._data.shape:
        return
    name = getattr(fn, "__name__", None)  # fn may be an OpDef (elu_, celu_)
    if name in _RESIZES_SELF:
        self._data = np.empty(out._data.shape, self._data.dtype)
        return
    if name in _SHAPE_ERRORS:
        raise RuntimeError(_SHAPE_ERRORS[name](self, out, args))
    _check_shape(self._data.shape, out._data.shape)


def _check_shape(shape: tuple, result_shape: tuple) -> None:
    """An in-place op cannot grow self to the broadcast shape of its inputs (torch's message)."""
    if result_shape != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(result_shape)}")


# p -= lr * p.grad and friends outside autograd (training loops, hand-written optimizers): the
# ufunc writes into self's memory instead of making a result array and copying it in
_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply}
_F32_MAX = float(np.finfo(np.float32).max)


def _ufunc_in_place(ufunc: Any, self: Tensor, other: Any) -> bool:
    """Whether self (float32/64) was updated by ufunc(self, other) in place: other a tensor of
    self's dtype broadcasting to self's shape, or a Python number self's dtype holds."""
    dst = self._data
    if type(dst) is not np.ndarray or dst.dtype.kind != "f" or dst.itemsize < 4 or \
            not dst.flags.writeable:
        return False
    if isinstance(other, Tensor):
        src = other._data
        if type(src) is not np.ndarray or src.dtype != dst.dtype:
            return False
        if src.shape != dst.shape:
            try:
                if np.broadcast_shapes(src.shape, dst.shape) != dst.shape:
                    return False
            except ValueError:  # the regular path raises torch's error
                return False
    elif type(other) in (float, int) and abs(other) <= _F32_MAX:
        src = other
    else:
        return False
    ufunc(dst, src, out=dst)
    bump_version(self)
    return True


def _checks_cannot_refuse(self: Tensor, other: Any) -> bool:
    """Whether a ufunc update of self by other may skip the general path's checks: nothing
    records, self is a dense array without conjugate bits, other a number or a tensor whose
    memory does not overlap self's (the cases where those checks cannot refuse)."""
    if STATE.enabled and (self._requires_grad or (isinstance(other, Tensor)
                                                  and other._requires_grad)):
        return False
    if self._is_conj or forward_ad.LEVELS.stack:
        return False
    info = self._view
    dst = self._data
    if (info is not None and info.base._is_conj) or type(dst) is not np.ndarray or \
            not dst.flags.c_contiguous:
        return False
    if isinstance(other, Tensor):
        src = other._data
        if type(src) is not np.ndarray or np.may_share_memory(dst, src):
            return False
    return True


def inplace(fn: Callable, self: Tensor, *args: Any, overlap_ok: bool = False,
            **kwargs: Any) -> Tensor:
    """Apply fn (an out-of-place op) to self in place, recording it as torch does."""
    # add_/sub_/mul_ by one operand: the ufunc writes into self (fn may be an OpDef: elu_)
    ufunc = _UFUNCS.get(getattr(fn, "__name__", None)) if len(args) == 1 and not kwargs else None
    if ufunc is not None and _checks_cannot_refuse(self, args[0]) and \
            _ufunc_in_place(ufunc, self, args[0]):
        return self
    others = any(isinstance(a, Tensor) and a._requires_grad for a in args) or any(
        isinstance(a, Tensor) and a._requires_grad for a in kwargs.values())
    check_inplace(self, overlap_ok, others)
    check_partial_overlap(self, args + tuple(kwargs.values()) if kwargs else args)
    recording = STATE.enabled and (self._requires_grad or others)
    if not recording:
        if ufunc is not None and not forward_ad.LEVELS.stack and \
                _ufunc_in_place(ufunc, self, args[0]):
            return self
        out = fn(self, *args, **kwargs)
        _check_complex_result(self, out, fn)
        _fit_shape(self, out, fn, args)
        _write(self, out._data)
        _carry_tangent(out, self)
        return self
    info = self._view
    if info is None:
        # the node's input is self's old value: give it its own copy if the rule reads it
        old = Tensor._make(self._data.copy() if _needs_old_input(fn) else self._data,
                           self._requires_grad, self._grad_fn, self._output_nr)
        out = fn(old, *args, **kwargs)
        _check_complex_result(self, out, fn)
        _fit_shape(self, out, fn, args)
        _write(self, out._data)
        _carry_tangent(out, self)
        if out._grad_fn is not None:
            self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, 0, True
            if hasattr(out._grad_fn, "_op"):
                _retarget_result(out._grad_fn, self)
        return self
    # a write through a view: the base records CopySlices around the op's node
    if info.version != self._vc[0]:
        sync_view(self)
    view_old = Tensor._make(self._data.copy(), self._requires_grad, self._grad_fn,
                            self._output_nr)
    out = fn(view_old, *args, **kwargs)
    _check_complex_result(self, out, fn)
    _check_shape(self._data.shape, out._data.shape)
    if out._data.dtype != self._data.dtype:
        out = out.to(self.dtype)
    _write(self, out._data)
    rebase_view(self, out)
    return self


def rebase_view(view: Tensor, out: Tensor) -> None:
    """After out's values were written into view: the base records CopySlices (the write as a
    function of its old value and out) and the view gets a fresh grad_fn from it."""
    base = view._view.base
    base_old = Tensor._make(base._data, base._requires_grad, base._grad_fn, base._output_nr)
    new = _record(_copy_slices, (base_old, out), {"chain": view._view.chain}, base._data)
    base._grad_fn, base._output_nr, base._requires_grad = new._grad_fn, 0, True
    sync_view(view)


# *** in-place fills and copies (their nodes have torch's names) ***

@primitive("zero", complex=True, grad_fn="ZeroBackward0", export=False, shapes=[(3,)],
           skips=("torch",))
def _zero(input):
    return np.zeros_like(input)


@_zero.vjp
def _(grad):
    return grad * 0


@primitive("fill", complex=True, grad_fn=lambda value, tensor_value: "FillBackward3" if tensor_value
           else "FillBackward2", export=False, shapes=[(3,)], attrs={"value": 1.5},
           skips=("torch",))
def _fill(input, *, value, tensor_value=False):
    return np.full_like(input, value)


@_fill.vjp
def _(grad, *, value, tensor_value):
    return grad * 0


@primitive("copy", complex=True, grad_fn="CopyBackwards", export=False, inputs=("input", "src"),
           samples=[(((2, 3), (3,)), {})], skips=("torch",))
def _copy(input, src):
    return np.broadcast_to(src, input.shape).astype(input.dtype)


@_copy.vjp
def _(grad, needs_input_grad):
    return (grad * 0 if needs_input_grad[0] else None), grad


@composite("zero_", export=False)
def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place (allowed on expanded tensors, as in torch)."""
    return inplace(_zero.public, self, overlap_ok=True)


@composite("fill_", export=False)
def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with `value` in place (allowed on expanded tensors, as in torch)."""
    if isinstance(value, Tensor):  # fill_.Tensor: torch's FillBackward3
        return inplace(_fill.public, self, value=value.item(), tensor_value=True, overlap_ok=True)
    return inplace(_fill.public, self, value=value, overlap_ok=True)


@composite("copy_", export=False)
def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy src's values into self (src broadcasts; its dtype is converted)."""
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src, dtype=self._data.dtype))
    if src._data.shape != self._data.shape:
        shapes = [self._data.shape, src._data.shape]
        error = _broadcast_error(shapes)
        if error is not None:
            raise RuntimeError(error)
        _check_shape(self._data.shape, np.broadcast_shapes(*shapes))
    return inplace(_copy.public, self, src)


def make_inplace_method(fn: Callable) -> Callable:
    def method(self, *args, **kwargs):
        return inplace(fn, self, *args, **kwargs)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of {fn.__name__}."
    return method


__all__ = ["inplace", "check_inplace", "make_inplace_method", "sync_view", "rebase_view", "replay",
           "ViewInfo", "bump_version", "user_location"]
