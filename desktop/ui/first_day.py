"""The first-day panel on the 工作台: 添加调解员 → 登记申请 → 加入汇总端, until each is done."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

STEPS = [
    ("roster", "添加调解员", "受理案件时要指派首席调解员，先在名册中至少添加一名调解员。", "添加调解员…"),
    ("register", "登记申请", "登记第一件调解申请（快捷键 Ctrl+N）。", "登记申请…"),
    ("join", "加入汇总端", "安装上级汇总端的登记卡，以后就能用U盘上报数据。", "去数据交换页…"),
]


def progress(db) -> dict[str, bool]:
    """Which first-day steps are done (read from the data, so a restart remembers)."""
    from desktop.sync import export as sx

    has_mediator = db.conn.execute("select 1 from mediators where deleted = 0 limit 1").fetchone() is not None
    has_case = db.conn.execute("select 1 from cases limit 1").fetchone() is not None
    try:
        joined = bool(sx.hub_of(db))
    except Exception:  # noqa: BLE001 - a hub database has no hub above it to join
        joined = True
    return {"roster": has_mediator, "register": has_case, "join": joined}


def state(db) -> dict[str, bool]:
    """`progress`, with every step done on a hub (a hub registers no applications: nothing applies)."""
    from desktop.sync import keys as sk

    done = progress(db)
    if sk.is_hub(db):
        done = {k: True for k in done}
    return done


class FirstDayPanel(QFrame):
    step_clicked = Signal(str)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("first_day")
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet("#first_day { background: #eef5ff; border: 1px solid #9cc0ef; border-radius: 4px; }")
        v = QVBoxLayout(self)
        title = QLabel("第一天：按顺序完成下面三步，就可以开始办案")
        title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        v.addWidget(title)
        row = QHBoxLayout()
        self.labels: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        for i, (key, name, hint, button) in enumerate(STEPS, 1):
            box = QVBoxLayout()
            lab = QLabel()
            lab.setWordWrap(True)
            b = QPushButton(button)
            b.clicked.connect(lambda _=False, k=key: self.step_clicked.emit(k))
            box.addWidget(lab)
            box.addWidget(b)
            box.addStretch()
            row.addLayout(box, 1)
            if i < len(STEPS):
                arrow = QLabel("→")
                arrow.setStyleSheet("font-size: 16pt; color: #5a7bb5;")
                row.addWidget(arrow)
            self.labels[key] = lab
            self.buttons[key] = b
            lab.setProperty("text_parts", (i, name, hint))
        v.addLayout(row)
        self.hide()  # shown by apply() once the dashboard's reader has read the steps

    def refresh(self) -> dict[str, bool]:
        return self.apply(state(self.session.db))

    def apply(self, done: dict[str, bool]) -> dict[str, bool]:
        can_write = self.session.user.can("write")
        for key, lab in self.labels.items():
            i, name, hint = lab.property("text_parts")
            mark = "<span style='color:#1b5e20'>✓ 已完成</span>" if done[key] else ""
            lab.setText(f"<b>第{i}步　{name}</b>　{mark}<br>{hint}")
            self.buttons[key].setEnabled(can_write and not done[key])
        self.setVisible(not all(done.values()))
        return done
