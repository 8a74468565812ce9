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
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "modules", "parallel", "utils", "Parameter", "Buffer",
           *modules.__all__]
