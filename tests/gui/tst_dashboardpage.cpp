// SPDX-License-Identifier: MIT
#include "gui/dashboardpage.h"

#include <QTest>

class TestDashboardPage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opens()
    {
        voxtrack::gui::DashboardPage widget;
        widget.show();
        QVERIFY(QTest::qWaitForWindowExposed(&widget));
    }
};

QTEST_MAIN(TestDashboardPage)
#include "tst_dashboardpage.moc"
