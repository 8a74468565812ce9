"""The examples in the docstrings of torch.nn's modules and torch.nn.functional's functions
(`m = nn.Conv2d(16, 33, 3)`, `input = torch.randn(...)`, `output = m(input)`), read from the
installed torch and run twice from the same seed, once with `torch` meaning ndgrad: they print
torch's text, and every tensor they leave behind has torch's shape, dtype and values."""
import builtins
import contextlib
import doctest
import io
import re
import warnings

import numpy as np
import pytest

import ndgrad
from tutorial_harness import _ADDRESS, _ndgrad_import, assert_same_output

RUNS = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AlphaDropout", "AvgPool1d", "AvgPool2d",
    "AvgPool3d", "BatchNorm1d", "BatchNorm2d", "BCELoss", "BCEWithLogitsLoss", "Bilinear", "CELU",
    "ChannelShuffle", "CircularPad1d", "CircularPad2d", "ConstantPad1d",
    "ConstantPad2d", "ConstantPad3d", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
    "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss", "CTCLoss",
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "ELU", "Embedding", "FeatureAlphaDropout",
    "Flatten", "Fold", "FractionalMaxPool2d", "FractionalMaxPool3d", "GaussianNLLLoss", "GELU",
    "GLU", "GroupNorm", "GRU", "GRUCell", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "HingeEmbeddingLoss", "HuberLoss", "Identity", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear",
    "LinearCrossEntropyLoss", "LocalResponseNorm", "LogSigmoid", "LogSoftmax", "LPPool1d",
    "LPPool2d", "LPPool3d", "LSTM", "LSTMCell", "MarginRankingLoss", "MaxPool1d", "MaxPool2d",
    "MaxPool3d", "MaxUnpool1d", "MaxUnpool3d", "Mish", "MSELoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss", "PairwiseDistance", "PixelShuffle",
    "PixelUnshuffle", "PoissonNLLLoss", "PReLU", "ReflectionPad1d", "ReflectionPad2d",
    "ReflectionPad3d", "ReLU", "ReLU6", "ReplicationPad1d", "ReplicationPad2d", 
    "RMSNorm", "RNN", "RNNCell", "RReLU", "SELU", "Sigmoid", "SiLU", "SmoothL1Loss",
    "SoftMarginLoss", "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign",
    "Tanh", "Tanhshrink", "Threshold", "TransformerDecoder",
    "TransformerDecoderLayer", "TransformerEncoderLayer", "TripletMarginLoss", "Unflatten",
    "Unfold", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d",
]
# examples that fail under torch itself (a syntax slip, an undefined name, a process group, a
# second backward through a freed graph): nothing to compare
BROKEN_IN_TORCH = ['EmbeddingBag', 'MaxUnpool2d', 'MultiheadAttention', 'SyncBatchNorm', 'TripletMarginWithDistanceLoss']
SLOW = {"AvgPool3d", "BatchNorm2d", "Bilinear", "Conv2d", "ConvTranspose2d", "InstanceNorm3d",
        "LPPool3d", "MaxPool3d", "TransformerDecoder", "TransformerEncoderLayer"}
# examples whose inputs take ndgrad tens of seconds (Conv3d and BatchNorm3d on 20x16x10x50x100,
# the 3-d pads on 16x3x8x320x480, ConvTranspose3d on 20x16x10x50x100, a 6-layer
# TransformerEncoder, a 12+6-layer Transformer): left out to keep the suite fast; the 1-d, 2-d
# and one-layer examples above cover the same code
# examples that print a rounding error (e.g. `(fold(unfold(x)) - x).abs().max()`): its size
# depends on the BLAS kernels, so printed numbers are compared to an absolute 1e-3
ROUNDOFF = {"Unfold"}
HEAVY = ["BatchNorm3d", "CircularPad3d", "Conv3d", "ConvTranspose3d", "ReplicationPad3d",
         "Transformer", "TransformerEncoder"]


# torch.nn.functional's examples
FUNCTIONAL_RUNS = [
    "avg_pool1d", "binary_cross_entropy", "binary_cross_entropy_with_logits", "channel_shuffle",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cosine_similarity", "cross_entropy", "ctc_loss", "embedding", "embedding_bag",
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "gumbel_softmax", "native_channel_shuffle", "nll_loss",
    "one_hot", "pad", "pixel_shuffle", "pixel_unshuffle",
]
# (scaled_dot_product_attention's example needs CUDA)
LONG_SUMS = {"conv3d", "conv_transpose3d"}  # sums of hundreds of float32 products; seconds each


def _example(cls) -> list:
    """The statements of the docstring's Examples:: section."""
    found = re.search(r"Examples?::?\s*\n(.*)", cls.__doc__ or "", re.S)
    return [part.source for part in
            (doctest.DocTestParser().get_examples(found.group(1)) if found else [])]


def _run(lib, statements: list) -> tuple:
    """(the names the example left, what it printed), run as doctest runs it: a bare expression
    prints its repr."""
    env_builtins = dict(vars(builtins))
    if lib is ndgrad:
        env_builtins["__import__"] = _ndgrad_import
    lib.manual_seed(0)
    env = {"__builtins__": env_builtins, "torch": lib, "nn": lib.nn, "F": lib.nn.functional}
    try:
        code = [compile(source, "<example>", "single") for source in statements]
    except SyntaxError:  # a statement continued on '>>>' lines: run the lines as one block
        code = [compile("".join(statements), "<example>", "exec")]
    out, dtype = io.StringIO(), lib.get_default_dtype()
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for statement in code:
                exec(statement, env)
    finally:
        lib.set_default_dtype(dtype)  # (set_default_dtype's own example changes it)
    return env, _ADDRESS.sub("", out.getvalue())


def _check(name: str, torch, namespace: str = "nn", atol: float = 1e-6) -> None:
    owner = torch
    for part in filter(None, namespace.split(".")):
        owner = getattr(owner, part)
    statements = _example(getattr(owner, name))
    assert statements, f"torch.{namespace}.{name} has no example"
    ours, printed = _run(ndgrad, statements)  # ndgrad first: a missing module fails fast
    theirs, torch_printed = _run(torch, statements)
    assert_same_output(printed, torch_printed, rtol=1e-4, atol=atol)
    compared = bool(torch_printed)
    uninitialized = any("empty" in source for source in statements)  # values: shapes only
    for key, want in theirs.items():
        if not isinstance(want, torch.Tensor):
            continue
        got = ours.get(key)
        assert isinstance(got, ndgrad.Tensor), f"{key}: {type(got).__name__}, not a tensor"
        assert tuple(got.shape) == tuple(want.shape), f"{key}: {tuple(got.shape)} vs torch's"
        assert str(got.dtype) == str(want.dtype), f"{key}: {got.dtype} vs {want.dtype}"
        if not uninitialized:
            np.testing.assert_allclose(got.detach().resolve_conj().numpy(),
                                       want.detach().resolve_conj().numpy(), rtol=1e-4,
                                       atol=max(atol, 1e-5), equal_nan=True, err_msg=key)
        compared = True
    assert compared, f"the torch.{namespace}.{name} example left nothing to compare"


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in RUNS])
def test_nn_docstring_example(name, torch):
    _check(name, torch, atol=1e-3 if name in ROUNDOFF else 1e-6)



@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in LONG_SUMS else name
    for name in FUNCTIONAL_RUNS])
def test_functional_docstring_example(name, torch):
    _check(name, torch, "nn.functional", atol=1e-4 if name in LONG_SUMS else 1e-6)

