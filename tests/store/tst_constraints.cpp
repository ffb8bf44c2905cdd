// SPDX-License-Identifier: MIT
#include <QTest>

class TestConstraints : public QObject {
    Q_OBJECT
};

QTEST_GUILESS_MAIN(TestConstraints)
#include "tst_constraints.moc"
