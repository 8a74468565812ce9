"""Runs a tutorial's code twice, once with `import torch` meaning ndgrad and once meaning torch,
from the same seeds, and compares what the two runs print (numbers to a tolerance)."""
import builtins
import contextlib
import io
import random
import re
import textwrap

import numpy as np

import ndgrad

_NUMBER = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?|-?\binf\b|\bnan\b")
_NEGATIVE_ZERO = re.compile(r"-(0(?:\.0*)?(?:e[-+]?\d+)?)(?![\d.e])")
_ADDRESS = re.compile(r" (?:object )?at 0x[0-9a-fA-F]+")


def _ndgrad_import(name, globals=None, locals=None, fromlist=(), level=0):
    """`import torch...` inside a tutorial imports the same path under ndgrad."""
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        name = "ndgrad" + name[len("torch"):]
    return builtins.__import__(name, globals, locals, fromlist, level)


def run(lib, script: str, seed: int = 0, **names) -> str:
    """Executes `script` with `torch` bound to `lib` (ndgrad or torch); returns what it printed."""
    random.seed(seed)
    np.random.seed(seed)
    lib.manual_seed(seed)
    env_builtins = dict(vars(builtins))
    if lib is ndgrad:
        env_builtins["__import__"] = _ndgrad_import
    env = {"__name__": "__main__", "__builtins__": env_builtins, "torch": lib, "np": np, **names}
    out = io.StringIO()
    threads, dtype = lib.get_num_threads(), lib.get_default_dtype()
    lib.set_num_threads(1)  # torch's thread pool spins on a shared, busy machine; sizes are small
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(textwrap.dedent(script), "<tutorial>", "exec"), env)
    finally:
        lib.set_num_threads(threads)
        lib.set_default_dtype(dtype)
    return _ADDRESS.sub("", out.getvalue())


def _tolerance(printed: str, rtol: float) -> float:
    """What the printed digits can resolve, plus `rtol` of the value."""
    mantissa, _, exponent = printed.partition("e")
    last = (int(exponent or 0) - len(mantissa.split(".")[1])) if "." in mantissa else 0
    return rtol * abs(float(printed)) + 1.01 * 10.0 ** last


def _unsigned_zeros(text: str) -> str:
    """The text with -0 printed as 0 and without whitespace: float math may round a zero from
    either side (a sign torch's printer then aligns a column for)."""
    return re.sub(r"\s+", "", _NUMBER.sub("#", _NEGATIVE_ZERO.sub(r"\1", text)))


def assert_same_output(ours: str, theirs: str, rtol: float = 2e-5, atol: float = 0.0) -> None:
    """The same text, with every number equal to within `rtol`/`atol` and the printed precision."""
    ours = ours.replace("ndgrad", "torch")
    if _NUMBER.sub("#", ours) != _NUMBER.sub("#", theirs) and \
            _unsigned_zeros(ours) != _unsigned_zeros(theirs):
        import difflib

        diff = "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(),
                                              "torch", "ndgrad", lineterm="", n=1))
        raise AssertionError(f"the printed text differs:\n{diff}")
    for line_ours, line_theirs in zip(ours.splitlines(), theirs.splitlines()):
        for x, y in zip(_NUMBER.findall(line_ours), _NUMBER.findall(line_theirs)):
            if x == y:
                continue
            fx, fy = float(x), float(y)
            ok = abs(fx - fy) <= _tolerance(y, rtol) + atol
            assert ok, f"{x} != {y} (torch) in\n  ndgrad: {line_ours}\n  torch:  {line_theirs}"


def check(script: str, torch_module, rtol: float = 2e-5, atol: float = 0.0, **names) -> str:
    """Runs `script` under ndgrad and torch and asserts they print the same; returns the output."""
    ours = run(ndgrad, script, **names)
    theirs = run(torch_module, script, **names)
    assert_same_output(ours, theirs, rtol=rtol, atol=atol)
    return theirs
