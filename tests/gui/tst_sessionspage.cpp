// SPDX-License-Identifier: MIT
#include "gui/sessionspage.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace voxtrack;
using voxtrack::gui::SessionsPage;
using voxtrack::models::SessionsModel;
using voxtrack::test::TestDatabase;

class TestSessionsPage : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<store::Connection> m_writer;

    void addSession(const QString& id, const QString& user, bool active)
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active, metadata) "
                           "VALUES ('%1', '%2', %3, '{\"channel\": \"phone\"}')")
                .arg(id, user,
                    m_database->isPostgreSql() ? (active ? QStringLiteral("true") : QStringLiteral("false"))
                                               : (active ? QStringLiteral("1") : QStringLiteral("0")))));
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_writer = m_database->connectMigrated();
        QVERIFY(m_writer);
        for (int i = 1; i <= 30; ++i)
            addSession(QStringLiteral("s-%1").arg(i, 2, 10, QChar(u'0')), QStringLiteral("user-%1").arg(i % 3), i % 2);
    }

    void cleanup()
    {
        m_writer.reset();
        m_database.reset();
    }

    void showsTheSessionsAndFollowsTheDatabase()
    {
        SessionsPage page;
        page.resize(1000, 600);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        auto* count = page.findChild<QLabel*>(QStringLiteral("countLabel"));
        auto* table = page.findChild<QTableView*>(QStringLiteral("table"));
        QVERIFY(count && table);
        QCOMPARE(count->text(), QStringLiteral("No database"));
        store::ChangeFeed feed(m_database->url());
        feed.start();
        page.setDatabase(m_database->url(), &feed);
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("30 session(s)"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(table->model()->index(0, 0).data(SessionsModel::LoadedRole).toBool(), 10000);

        // Selecting a row names its session.
        QSignalSpy selected(&page, &SessionsPage::sessionSelected);
        table->selectRow(2);
        QCOMPARE(selected.size(), 1);
        const QString chosen = selected.constFirst().constFirst().toString();
        QVERIFY(chosen.startsWith(QStringLiteral("s-")));
        QCOMPARE(page.selectedSessionId(), chosen);

        // Live: another connection adds a session; it appears, marked new; the selection stays.
        addSession(QStringLiteral("s-new"), QStringLiteral("user-9"), true);
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("31 session(s)"), 10000);
        QCOMPARE(page.selectedSessionId(), chosen);
        const int row = page.model()->rowOfSession(QStringLiteral("s-new"));
        QVERIFY(row >= 0);
        QVERIFY(page.model()->index(row, 0).data(SessionsModel::NewRole).toBool());
        page.hide(); // a look taken
        QVERIFY(!page.model()->index(row, 0).data(SessionsModel::NewRole).toBool());

        // Live off: what is written meanwhile comes when it is turned on again.
        page.setLive(false);
        addSession(QStringLiteral("s-later"), QStringLiteral("user-9"), false);
        page.setLive(true);
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("32 session(s)"), 10000);
        QVERIFY(page.model()->rowOfSession(QStringLiteral("s-later")) >= 0);

        page.clearDatabase();
        QCOMPARE(count->text(), QStringLiteral("No database"));
        QCOMPARE(page.model()->rowCount(), 0);
    }

    void filtersFromTheFields()
    {
        SessionsPage page;
        page.setDatabase(m_database->url(), nullptr);
        auto* count = page.findChild<QLabel*>(QStringLiteral("countLabel"));
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("30 session(s)"), 10000);
        page.findChild<QComboBox*>(QStringLiteral("stateCombo"))->setCurrentIndex(1); // active
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("15 session(s)"), 10000);
        page.findChild<QLineEdit*>(QStringLiteral("userEdit"))->setText(QStringLiteral("user-1"));
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("5 session(s)"), 10000);
        QSignalSpy status(&page, &SessionsPage::statusMessage);
        page.findChild<QLineEdit*>(QStringLiteral("metadataEdit"))->setText(QStringLiteral("channel"));
        QVERIFY(status.wait(5000));
        QVERIFY(status.constFirst().constFirst().toString().contains(QStringLiteral("key=value")));
        page.findChild<QLineEdit*>(QStringLiteral("metadataEdit"))->setText(QStringLiteral("channel=web"));
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("0 session(s)"), 10000);
        page.findChild<QLineEdit*>(QStringLiteral("metadataEdit"))->setText(QStringLiteral("channel=phone"));
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("5 session(s)"), 10000);
        QCOMPARE(page.filterFromFields().metadataKey, QStringLiteral("channel"));
    }
};

QTEST_MAIN(TestSessionsPage)
#include "tst_sessionspage.moc"
