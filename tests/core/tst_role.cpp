// SPDX-License-Identifier: MIT
#include "core/records.h"
#include "core/role.h"

#include <QTest>

using namespace voxtrack;

class TestRole : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesAllowedRoles_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<Role>("role");
        QTest::addRow("user") << QStringLiteral("user") << Role::User;
        QTest::addRow("agent") << QStringLiteral("agent") << Role::Agent;
        QTest::addRow("system") << QStringLiteral("system") << Role::System;
    }

    void parsesAllowedRoles()
    {
        QFETCH(QString, text);
        QFETCH(Role, role);
        const auto parsed = parseRole(text);
        QVERIFY(parsed.hasValue());
        QCOMPARE(*parsed, role);
        QCOMPARE(roleName(role), text);
    }

    void rejectsOtherRoles_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("assistant") << QStringLiteral("assistant") << QStringLiteral("use \"agent\"");
        QTest::addRow("Assistant") << QStringLiteral("Assistant") << QStringLiteral("use \"agent\"");
        QTest::addRow("upper case User") << QStringLiteral("User") << QStringLiteral("\"User\"");
        QTest::addRow("padded") << QStringLiteral(" user") << QStringLiteral("\" user\"");
        QTest::addRow("empty") << QString() << QStringLiteral("empty");
        QTest::addRow("bot") << QStringLiteral("bot") << QStringLiteral("\"bot\"");
        QTest::addRow("tool") << QStringLiteral("tool") << QStringLiteral("\"tool\"");
    }

    void rejectsOtherRoles()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        const auto parsed = parseRole(text);
        QVERIFY(!parsed.hasValue());
        QCOMPARE(parsed.error().code, QStringLiteral("role.invalid"));
        QVERIFY2(
            parsed.error().message.contains(QStringLiteral("user, agent, system")), qPrintable(parsed.error().message));
        QVERIFY2(parsed.error().message.contains(mentions), qPrintable(parsed.error().message));
    }

    void roleNamesAreTheCheckConstraintSet()
    {
        QCOMPARE(
            roleNames(), (QStringList {QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("system")}));
    }

    void endReasonsRoundTrip_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addRow("client_closed") << QStringLiteral("client_closed");
        QTest::addRow("timeout") << QStringLiteral("timeout");
        QTest::addRow("server_shutdown") << QStringLiteral("server_shutdown");
        QTest::addRow("recovered") << QStringLiteral("recovered");
    }

    void endReasonsRoundTrip()
    {
        QFETCH(QString, text);
        const auto reason = parseEndReason(text);
        QVERIFY(reason.hasValue());
        QCOMPARE(endReasonName(*reason), text);
    }

    void unknownEndReasonIsAnError()
    {
        const auto reason = parseEndReason(u"crashed");
        QVERIFY(!reason.hasValue());
        QCOMPARE(reason.error().code, QStringLiteral("end_reason.invalid"));
        QVERIFY(reason.error().message.contains(QStringLiteral("recovered")));
    }
};

QTEST_GUILESS_MAIN(TestRole)
#include "tst_role.moc"
