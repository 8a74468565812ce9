"""PyTorch's own OpInfo and ModuleInfo databases run against ndgrad, with torch as the oracle.

`python -m tests.conformance --op add` checks entries; `python -m tests.conformance.report`
regenerates docs/conformance.md and docs/conformance.json. Needs torch and expecttest.
"""
