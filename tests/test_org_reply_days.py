"""Issue 14 item 5: respondent_reply_days is an organisation profile key, a whole number of days 1–30."""

from __future__ import annotations

import pytest

from desktop import org
from desktop.errors import InputError

BASE = {"name": "示范镇劳动人事争议调解中心"}


@pytest.mark.parametrize("given,stored", [(None, None), ("", None), (1, 1), (30, 30), ("15", 15), (" 3 ", 3)])
def test_reply_days_accepted(given, stored):
    assert org.validate_profile({**BASE, "respondent_reply_days": given})["respondent_reply_days"] == stored


@pytest.mark.parametrize("bad", [0, 31, -3, "0", "31", "abc", "３", 2.5, True, [3]])
def test_reply_days_refused_with_a_chinese_message(bad):
    with pytest.raises(InputError) as exc:
        org.validate_profile({**BASE, "respondent_reply_days": bad})
    assert exc.value.messages == ["组织信息 respondent_reply_days: 被申请人答复期限应为1至30之间的整数（天），或留空不写期限"]


def test_update_profile_keeps_it_and_refuses_changing_nothing_on_error(station):
    db, admin, _path = station
    org.update_profile(db, {"respondent_reply_days": 5}, admin)
    assert org.get_profile(db)["respondent_reply_days"] == 5
    with pytest.raises(InputError):
        org.update_profile(db, {"respondent_reply_days": 40, "phone": "0573-87000000"}, admin)
    assert org.get_profile(db)["respondent_reply_days"] == 5 and org.get_profile(db)["phone"] == ""
