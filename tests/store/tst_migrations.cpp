// SPDX-License-Identifier: MIT
#include <QTest>

class TestMigrations : public QObject {
    Q_OBJECT
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
