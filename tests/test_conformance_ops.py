"""PyTorch's OpInfo database against ndgrad: one test per entry, judged against the committed
report docs/conformance.json (regenerate it with `python -m tests.conformance.report`).

A passing entry must keep passing; a failing entry is an expected failure at the recorded stage
(it fails here once it passes or fails elsewhere, so the report never goes stale); entries not
implemented or out of scope are skipped with the missing names or the reason."""
import pytest

from conformance.judge import judge
from conformance.report import load_report

REPORT = load_report()


@pytest.mark.parametrize("name", list(REPORT["ops"]))
def test_opinfo(name, torch):
    from conformance.db import opinfos
    from conformance.ops import check_opinfo

    info = opinfos().get(name)
    if info is None:
        pytest.fail(f"{name} is no longer in torch's op_db: regenerate the report", pytrace=False)
    judge(check_opinfo(info), REPORT["ops"][name])


def test_report_lists_every_opinfo(torch):
    from conformance.db import opinfos

    assert list(opinfos()) == list(REPORT["ops"]), \
        "torch's op_db changed: regenerate the report with `python -m tests.conformance.report`"
    # the database is torch's: the report holds for the version it was made with (any build)
    assert REPORT["torch"].split("+")[0] == torch.__version__.split("+")[0]


def test_readme_quotes_the_report_totals():
    from conformance.report import readme_block, readme_totals

    assert readme_totals() == readme_block(REPORT), \
        "README's conformance totals differ from docs/conformance.json: regenerate the report"
