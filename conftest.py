"""Docstring examples (`pytest --doctest-modules ndgrad`) run with ndgrad, np, nn and F in scope."""
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    import ndgrad
    import ndgrad.nn.functional as F

    doctest_namespace.update(ndgrad=ndgrad, np=np, F=F, nn=ndgrad.nn)
