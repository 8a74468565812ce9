"""torch.nn: functional, init, Parameter, Module and its layers, utils."""
from . import functional, init, modules, parallel, utils
from .modules import (  # noqa: F401  (listed in __all__ through modules.__all__)
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AlphaDropout,
    AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNorm3d, BCELoss, BCEWithLogitsLoss,
    Bilinear, CELU, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, CosineEmbeddingLoss,
    CosineSimilarity, CrossEntropyLoss, CTCLoss, Dropout, Dropout1d, Dropout2d, Dropout3d, ELU,
    Embedding, FeatureAlphaDropout, Flatten, GaussianNLLLoss, GELU, GLU, GroupNorm, GRU, GRUCell,
    Hardshrink, Hardsigmoid, Hardswish, Hardtanh, HingeEmbeddingLoss, HuberLoss, Identity,
    KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax, LSTM, LSTMCell,
    MarginRankingLoss, MaxPool1d, MaxPool2d, Mish, Module, ModuleDict, ModuleList, MSELoss,
    MultiheadAttention, MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss,
    NLLLoss2d, PairwiseDistance, ParameterDict, ParameterList, PoissonNLLLoss, PReLU, ReLU, ReLU6,
    RMSNorm, RNN, RNNBase, RNNCell, RNNCellBase, RReLU, SELU, Sequential, Sigmoid, SiLU,
    SmoothL1Loss, SoftMarginLoss, Softmax, Softmax2d, Softmin, Softplus, Softshrink, Softsign,
    Tanh, Tanhshrink, Threshold, TransformerEncoder, TransformerEncoderLayer, TripletMarginLoss,
    TripletMarginWithDistanceLoss, Unflatten,
)
from .modules import (  # noqa: F401  (padding, 3-d/LP/fractional pools, lazy layers, ...)
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d, ConvTranspose3d, LazyConv1d, LazyConv2d,
    LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyLinear,
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, InstanceNorm1d, InstanceNorm2d,
    InstanceNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, MaxPool3d,
    AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d, LPPool1d, LPPool2d, LPPool3d,
    FractionalMaxPool2d, FractionalMaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
    LocalResponseNorm, CrossMapLRN2d, Upsample, UpsamplingNearest2d, UpsamplingBilinear2d,
    PixelShuffle, PixelUnshuffle, ChannelShuffle, Fold, Unfold, EmbeddingBag,
    TransformerDecoderLayer, TransformerDecoder, Transformer, LinearCrossEntropyLoss,
    LinearCrossEntropyOptions, AdaptiveLogSoftmaxWithLoss, SyncBatchNorm, Container,
)
from .parallel import DataParallel
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["functional", "init", "modules", "parallel", "utils", "Parameter", "Buffer",
           "UninitializedParameter", "UninitializedBuffer", "DataParallel", *modules.__all__]
