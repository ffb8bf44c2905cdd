// SPDX-License-Identifier: MIT
#include "gui/loadpanel.h"

#include <QTest>

class TestLoadPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opens()
    {
        voxtrack::gui::LoadPanel widget;
        widget.show();
        QVERIFY(QTest::qWaitForWindowExposed(&widget));
    }
};

QTEST_MAIN(TestLoadPanel)
#include "tst_loadpanel.moc"
