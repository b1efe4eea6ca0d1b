"""Issue 16: the reporting period a hub sets is the period a station's report is for when none is
chosen — the station's own value wins where the hub marked its value advisory."""

from __future__ import annotations

import datetime as _dt
import json

import pytest

from desktop import cli, clock
from desktop.errors import InputError, PermissionDenied
from desktop.sync import downward

from tests.downward_support import home, made, three  # noqa: F401 - the chain fixtures


def test_report_command_and_default_period_follow_the_hub(tmp_path, three, capsys):
    (_city, _cu), (district, du), (town, tu) = three
    clock.set_today(_dt.date(2026, 11, 20))
    path = str(tmp_path / "township.sqlite")

    def report(*extra) -> tuple[int, str]:
        out = tmp_path / "report.json"
        out.unlink(missing_ok=True)
        code = cli.main(["report", "--db", path, "--format", "json", "--out", str(out), *extra])
        err = capsys.readouterr().err
        return code, (json.loads(out.read_text(encoding="utf-8"))["period"] if code == 0 else err)

    def send(value: str, advisory: bool) -> None:
        downward.set_hub_settings(district, {"reporting_period": {"value": value, "advisory": advisory}}, du)
        downward.apply_package(town, downward.build_package(district, du, tmp_path / "usb", settings_=True)["path"],
                               tu)

    # Nothing set: --period is still needed, with a clear message; given, it is used as before.
    assert downward.reporting_period(town) is None and downward.default_period(town) is None
    code, err = report()
    assert code == 2 and "--period" in err and "报送周期" in err and "Traceback" not in err
    assert not (tmp_path / "report.json").exists()
    assert report("--period", "2026-09") == (0, "2026-09")

    # The district sets quarterly for its stations (not advisory).
    send("quarterly", False)
    assert downward.reporting_period(town) == "quarterly"
    assert downward.default_period(town).label == "2026-Q4"
    assert report() == (0, "2026-Q4")
    assert report("--period", "2026") == (0, "2026")  # an explicit period still wins
    # The station's own monthly value does not override a value the hub did not mark advisory.
    assert downward.set_own_reporting_period(town, "monthly", tu) == "quarterly"
    assert report() == (0, "2026-Q4")

    # An advisory yearly value: the station's own monthly one wins.
    send("yearly", True)
    assert downward.reporting_period(town) == "monthly"
    assert report() == (0, "2026-11")
    # ...and without one of its own, the hub's advice is taken.
    assert downward.set_own_reporting_period(town, None, tu) == "yearly"
    assert report() == (0, "2026")
    clock.set_today(_dt.date(2027, 2, 3))
    assert downward.default_period(town).label == "2027"


def test_own_value_checked_and_admin_only(tmp_path, three):
    (_city, _cu), (_district, _du), (town, tu) = three
    from desktop import org
    from desktop.security import accounts

    with pytest.raises(InputError, match="报送周期"):
        downward.set_own_reporting_period(town, "weekly", tu)
    assert org.get_setting(town, "downward.reporting_period") is None
    clerk = accounts.User(name="clerk", role="mediator", display_name="调解员")
    with pytest.raises(PermissionDenied):
        downward.set_own_reporting_period(town, "monthly", clerk)
    assert downward.set_own_reporting_period(town, "monthly", tu) == "monthly"
    assert downward.default_period(town, _dt.date(2026, 3, 31)).label == "2026-03"
