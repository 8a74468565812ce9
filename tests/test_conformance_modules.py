"""PyTorch's ModuleInfo database against ndgrad: one test per entry, judged against the committed
report docs/conformance.json, as in test_conformance_ops.py."""
import pytest

from conformance.judge import judge
from conformance.report import load_report

REPORT = load_report()


@pytest.mark.parametrize("name", list(REPORT["modules"]))
def test_moduleinfo(name, torch):
    from conformance.db import moduleinfos
    from conformance.modules import check_moduleinfo

    info = moduleinfos().get(name)
    if info is None:
        pytest.fail(f"{name} is no longer in torch's module_db: regenerate the report",
                    pytrace=False)
    judge(check_moduleinfo(info), REPORT["modules"][name])


def test_report_lists_every_moduleinfo(torch):
    from conformance.db import moduleinfos

    assert list(moduleinfos()) == list(REPORT["modules"]), \
        "torch's module_db changed: regenerate the report with `python -m tests.conformance.report`"
