// SPDX-License-Identifier: MIT
#include "gui/connectionbar.h"

#include <QTest>

class TestConnectionBar : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opens()
    {
        voxtrack::gui::ConnectionBar widget;
        widget.show();
        QVERIFY(QTest::qWaitForWindowExposed(&widget));
    }
};

QTEST_MAIN(TestConnectionBar)
#include "tst_connectionbar.moc"
