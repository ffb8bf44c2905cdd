// SPDX-License-Identifier: MIT
#include "gui/simulatorpage.h"

#include <QTest>

class TestSimulatorPage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opens()
    {
        voxtrack::gui::SimulatorPage widget;
        widget.show();
        QVERIFY(QTest::qWaitForWindowExposed(&widget));
    }
};

QTEST_MAIN(TestSimulatorPage)
#include "tst_simulatorpage.moc"
