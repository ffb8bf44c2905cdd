// SPDX-License-Identifier: MIT
#include "models/livebinding.h"
#include "models/messagesmodel.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

Q_DECLARE_METATYPE(voxtrack::store::SessionFilter)

using namespace voxtrack;
using voxtrack::models::MessagesModel;
using voxtrack::models::SessionsModel;
using voxtrack::test::TestDatabase;

namespace {

/// Sessions s-000001 … s-<count>, one second apart from 2026-01-01 (so the newest is the last
/// number), users user-0 … user-49 round robin, every third still active, metadata channel
/// web (even) or phone (odd), each with one user message "hello <n>".
QStringList seedSql(store::Backend backend, int first, int count)
{
    const int last = first + count - 1;
    if (backend == store::Backend::PostgreSql) {
        return {QStringLiteral(
                    "INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, session_end, "
                    "ended_at, duration_seconds, is_active, metadata) "
                    "SELECT 's-' || lpad(g::text, 6, '0'), 'user-' || (g %% 50), "
                    "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', "
                    "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second', "
                    "CASE WHEN g %% 3 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00:30+00' + g * interval '1 "
                    "second' END, "
                    "CASE WHEN g %% 3 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00:30+00' + g * interval '1 "
                    "second' END, "
                    "CASE WHEN g %% 3 = 0 THEN NULL ELSE 30 END, g %% 3 = 0, "
                    "jsonb_build_object('channel', CASE WHEN g %% 2 = 0 THEN 'web' ELSE 'phone' END) "
                    "FROM generate_series(%1, %2) g")
                    .replace(QStringLiteral("%%"), QStringLiteral("%"))
                    .arg(first)
                    .arg(last),
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                           "SELECT 's-' || lpad(g::text, 6, '0'), 'user-' || (g %% 50), 'user', 'hello ' || g "
                           "FROM generate_series(%1, %2) g")
                .replace(QStringLiteral("%%"), QStringLiteral("%"))
                .arg(first)
                .arg(last)};
    }
    const QString series
        = QStringLiteral("WITH RECURSIVE seq(g) AS (SELECT %1 UNION ALL SELECT g + 1 FROM seq WHERE g < %2) ")
              .arg(first)
              .arg(last);
    const QString start
        = QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01 00:00:00', '+' || g || ' seconds')");
    const QString end = QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01 00:00:30', '+' || g || ' seconds')");
    return {QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "session_end, ended_at, duration_seconds, is_active, metadata) ")
            + series
            + QStringLiteral("SELECT 's-' || substr('000000' || g, -6), 'user-' || (g % 50), %1, %1, "
                             "CASE WHEN g % 3 = 0 THEN NULL ELSE %2 END, CASE WHEN g % 3 = 0 THEN NULL ELSE %2 END, "
                             "CASE WHEN g % 3 = 0 THEN NULL ELSE 30 END, CASE WHEN g % 3 = 0 THEN 1 ELSE 0 END, "
                             "json_object('channel', CASE WHEN g % 2 = 0 THEN 'web' ELSE 'phone' END) FROM seq")
                  .arg(start, end),
        QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) ") + series
            + QStringLiteral("SELECT 's-' || substr('000000' || g, -6), 'user-' || (g % 50), 'user', 'hello ' || g "
                             "FROM seq")};
}

QString sessionName(int n)
{
    return QStringLiteral("s-%1").arg(n, 6, 10, QChar(u'0'));
}

} // namespace

class TestSessionsModel : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<store::Connection> m_writer;

    void seed(int first, int count)
    {
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*m_writer, seedSql(m_database->backend(), first, count)));
    }

    qint64 scalar(const QString& sql)
    {
        auto value = m_writer->scalar(sql);
        return value ? value->toLongLong() : -1;
    }

    /// Waits until every row of [first, last] is loaded, asking for them as a view would.
    static bool loadRows(SessionsModel& model, int first, int last)
    {
        for (int row = first; row <= last; ++row) {
            const QModelIndex index = model.index(row, 0);
            if (!index.isValid())
                return false;
            if (!model.data(index, SessionsModel::LoadedRole).toBool()) {
                if (!QTest::qWaitFor(
                        [&] { return model.data(model.index(row, 0), SessionsModel::LoadedRole).toBool(); }, 10000))
                    return false;
            }
        }
        return true;
    }

    static QString idAt(SessionsModel& model, int row)
    {
        return model.data(model.index(row, SessionsModel::SessionIdColumn), SessionsModel::SessionIdRole).toString();
    }

    static void waitComplete(SessionsModel& model)
    {
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCountState(), SessionsModel::RowCountState::Complete, 20000);
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
    }

    void cleanup()
    {
        m_writer.reset();
        m_database.reset();
    }

    void showsTheRowsUnderTheModelTester()
    {
        seed(1, 450);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCountState(), SessionsModel::RowCountState::Unknown);
        model.setDatabase(m_database->url());
        waitComplete(model);
        QCOMPARE(model.rowCount(), 450);
        QCOMPARE(model.columnCount(), int(SessionsModel::ColumnCount));
        QVERIFY(loadRows(model, 0, 449));
        // Newest first.
        QCOMPARE(idAt(model, 0), sessionName(450));
        QCOMPARE(idAt(model, 449), sessionName(1));
        const QModelIndex ended = model.index(1, SessionsModel::DurationColumn); // s-000449: ended
        QCOMPARE(model.data(ended, SessionsModel::DurationSecondsRole).toDouble(), 30.0);
        QCOMPARE(model.data(ended).toString(), QStringLiteral("30.0 s"));
        QCOMPARE(model.data(model.index(0, SessionsModel::ActiveColumn), SessionsModel::ActiveRole).toBool(), true);
        QCOMPARE(model.data(model.index(0, SessionsModel::MetadataColumn)).toString(), QStringLiteral("channel=web"));
        QCOMPARE(
            model.data(model.index(0, SessionsModel::MessageCountColumn), SessionsModel::SortValueRole).toLongLong(),
            1);
        QCOMPARE(model.headerData(SessionsModel::UserIdColumn, Qt::Horizontal, Qt::DisplayRole).toString(),
            QStringLiteral("User"));
    }

    void everyRowOf100000IsReachableInOrder()
    {
        constexpr int total = 100'000;
        seed(1, total);
        SessionsModel model;
        model.setDatabase(m_database->url());
        waitComplete(model);
        QCOMPARE(model.rowCount(), total);

        // Straight to the last row (read from the end), then the middle (by offset), then their
        // neighbours (by keyset from them).
        QVERIFY(loadRows(model, total - 1, total - 1));
        QCOMPARE(idAt(model, total - 1), sessionName(1));
        QVERIFY(loadRows(model, total / 2, total / 2));
        QCOMPARE(idAt(model, total / 2), sessionName(total - total / 2));
        QVERIFY(loadRows(model, total / 2 - SessionsModel::windowSize, total / 2 + SessionsModel::windowSize));
        for (int row = total / 2 - SessionsModel::windowSize; row <= total / 2 + SessionsModel::windowSize; ++row)
            QCOMPARE(idAt(model, row), sessionName(total - row));

        // Then every row, top to bottom: in order, none twice, none missing; memory stays bounded.
        QSet<QString> seen;
        for (int row = 0; row < total; ++row) {
            if (!model.data(model.index(row, 0), SessionsModel::LoadedRole).toBool())
                QVERIFY2(loadRows(model, row, std::min(total - 1, row + SessionsModel::windowSize - 1)),
                    qPrintable(QString::number(row)));
            const QString id = idAt(model, row);
            QCOMPARE(id, sessionName(total - row));
            QVERIFY(!seen.contains(id));
            seen.insert(id);
            QVERIFY(model.loadedRowCount() <= SessionsModel::maxLoadedRows + SessionsModel::windowSize);
        }
        QCOMPARE(seen.size(), total);
    }

    void sortsOnIndexedColumns()
    {
        seed(1, 300);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        waitComplete(model);
        model.sort(SessionsModel::SessionIdColumn, Qt::AscendingOrder);
        waitComplete(model);
        QVERIFY(loadRows(model, 0, 299));
        for (int row = 0; row < 300; ++row)
            QCOMPARE(idAt(model, row), sessionName(row + 1));

        model.sort(SessionsModel::UserIdColumn, Qt::AscendingOrder);
        waitComplete(model);
        QVERIFY(loadRows(model, 0, 299));
        QString previousUser;
        QString previousStart;
        for (int row = 0; row < 300; ++row) {
            const QString user = model.data(model.index(row, SessionsModel::UserIdColumn)).toString();
            const QString start
                = model.data(model.index(row, SessionsModel::StartedAtColumn), SessionsModel::SortValueRole)
                      .toDateTime()
                      .toString(Qt::ISODateWithMs);
            QVERIFY2(previousUser.isEmpty() || previousUser < user || (previousUser == user && previousStart < start),
                qPrintable(previousUser + u' ' + user));
            previousUser = user;
            previousStart = start;
        }
        // Not indexed: ignored, the order stays.
        model.sort(SessionsModel::MetadataColumn, Qt::AscendingOrder);
        QCOMPARE(model.order().column, store::SessionSort::UserId);
    }

    void filters_data()
    {
        QTest::addColumn<store::SessionFilter>("filter");
        QTest::addColumn<QString>("where");
        store::SessionFilter user;
        user.userId = QStringLiteral("user-7");
        QTest::newRow("user") << user << QStringLiteral("user_id = 'user-7'");
        store::SessionFilter active;
        active.state = store::SessionFilter::State::Active;
        QTest::newRow("active") << active << QStringLiteral("ended_at IS NULL");
        store::SessionFilter ended;
        ended.state = store::SessionFilter::State::Ended;
        QTest::newRow("ended") << ended << QStringLiteral("ended_at IS NOT NULL");
        store::SessionFilter range;
        range.since = QDateTime(QDate(2026, 1, 1), QTime(0, 1, 0), Qt::UTC);
        range.until = QDateTime(QDate(2026, 1, 1), QTime(0, 2, 0), Qt::UTC);
        QTest::newRow("time range") << range << QStringLiteral("session_id BETWEEN 's-000060' AND 's-000119'");
        store::SessionFilter text;
        text.contentText = QStringLiteral("HELLO 12");
        QTest::newRow("text in a message") << text
                                           << QStringLiteral("session_id IN ('s-000012', 's-000120', 's-000121', "
                                                             "'s-000122', 's-000123', 's-000124', 's-000125', "
                                                             "'s-000126', 's-000127', 's-000128', 's-000129')");
        store::SessionFilter metadata;
        metadata.metadataKey = QStringLiteral("channel");
        metadata.metadataValue = QStringLiteral("web");
        QTest::newRow("metadata key = value") << metadata << QStringLiteral("id % 2 = 0");
        store::SessionFilter together = metadata;
        together.state = store::SessionFilter::State::Active;
        together.userId = QStringLiteral("user-6");
        QTest::newRow("together") << together
                                  << QStringLiteral("id % 2 = 0 AND ended_at IS NULL AND user_id = 'user-6'");
    }

    void filters()
    {
        QFETCH(store::SessionFilter, filter);
        QFETCH(QString, where);
        seed(1, 300);
        const qint64 expected = scalar(QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE ") + where);
        QVERIFY(expected > 0);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        model.setFilter(filter);
        waitComplete(model);
        QCOMPARE(model.rowCount(), int(expected));
        QVERIFY(loadRows(model, 0, model.rowCount() - 1));
        QSet<QString> ids;
        for (int row = 0; row < model.rowCount(); ++row)
            ids.insert(idAt(model, row));
        QCOMPARE(ids.size(), int(expected));
    }

    void followsInsertsAndEndsWhileTheSelectionStays()
    {
        seed(1, 500);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QItemSelectionModel selection(&model);
        model.setDatabase(m_database->url());
        waitComplete(model);
        QVERIFY(loadRows(model, 0, 20));
        selection.select(model.index(5, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QCOMPARE(idAt(model, 5), sessionName(495));

        // Another connection adds three newer sessions and one older one, then ends one.
        const qint64 before = scalar(QStringLiteral("SELECT max(id) FROM conversation_sessions"));
        seed(501, 3);
        VOXTRACK_VERIFY_OK(m_writer->exec(m_database->isPostgreSql()
                ? QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, is_active) "
                                 "VALUES ('s-old', 'user-0', timestamptz '2025-06-01 00:00:00+00', true)")
                : QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, is_active) "
                                 "VALUES ('s-old', 'user-0', '2025-06-01T00:00:00.000Z', 1)")));
        const qint64 after = scalar(QStringLiteral("SELECT max(id) FROM conversation_sessions"));
        QSignalSpy applied(&model, &SessionsModel::liveChangeApplied);
        model.sessionsInserted(before + 1, after);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 504, 10000);
        QVERIFY(loadRows(model, 0, 10));
        QCOMPARE(idAt(model, 0), sessionName(503));
        QCOMPARE(idAt(model, 2), sessionName(501));
        QVERIFY(model.data(model.index(0, 0), SessionsModel::NewRole).toBool());
        QVERIFY(!model.data(model.index(3, 0), SessionsModel::NewRole).toBool());
        // The oldest row belongs last.
        QVERIFY(loadRows(model, 503, 503));
        QCOMPARE(idAt(model, 503), QStringLiteral("s-old"));
        // The selection moved with its row.
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(idAt(model, selection.selectedRows().constFirst().row()), sessionName(495));

        // s-000501 (active: 501 is a multiple of 3) ends.
        const int row = model.rowOfSession(sessionName(501));
        QVERIFY(row >= 0);
        QVERIFY(model.data(model.index(row, 0), SessionsModel::ActiveRole).toBool());
        VOXTRACK_VERIFY_OK(m_writer->exec(m_database->isPostgreSql()
                ? QStringLiteral("UPDATE conversation_sessions SET is_active = false, ended_at = now(), "
                                 "duration_seconds = 12 WHERE session_id = 's-000501'")
                : QStringLiteral("UPDATE conversation_sessions SET is_active = 0, ended_at = "
                                 "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), duration_seconds = 12 "
                                 "WHERE session_id = 's-000501'")));
        const qint64 id = scalar(QStringLiteral("SELECT id FROM conversation_sessions WHERE session_id = 's-000501'"));
        model.sessionsUpdated(id, id);
        QTRY_VERIFY_WITH_TIMEOUT(!model.data(model.index(row, 0), SessionsModel::ActiveRole).toBool(), 10000);
        QCOMPARE(
            model.data(model.index(row, SessionsModel::DurationColumn), SessionsModel::DurationSecondsRole).toDouble(),
            12.0);
        QCOMPARE(idAt(model, selection.selectedRows().constFirst().row()), sessionName(495));

        model.markAllSeen();
        QVERIFY(!model.data(model.index(0, 0), SessionsModel::NewRole).toBool());
    }

    void anEndedSessionLeavesTheActiveFilter()
    {
        seed(1, 30);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        store::SessionFilter active;
        active.state = store::SessionFilter::State::Active;
        model.setDatabase(m_database->url());
        model.setFilter(active);
        waitComplete(model);
        QCOMPARE(model.rowCount(), 10);
        QVERIFY(loadRows(model, 0, 9));
        VOXTRACK_VERIFY_OK(m_writer->exec(m_database->isPostgreSql()
                ? QStringLiteral("UPDATE conversation_sessions SET is_active = false, ended_at = now() "
                                 "WHERE session_id IN ('s-000030', 's-000003')")
                : QStringLiteral(
                    "UPDATE conversation_sessions SET is_active = 0, ended_at = "
                    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE session_id IN ('s-000030', 's-000003')")));
        model.sessionsUpdated(0, 0); // which rows changed is not known: the active ones are read again
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 8, 10000);
        QCOMPARE(model.rowOfSession(sessionName(30)), -1);
        QCOMPARE(model.rowOfSession(sessionName(3)), -1);
    }

    void followsTheDatabaseThroughTheChangeFeed()
    {
        seed(1, 50);
        store::ChangeFeed feed(m_database->url());
        SessionsModel sessions;
        MessagesModel messages;
        QAbstractItemModelTester sessionsTester(&sessions, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester messagesTester(&messages, QAbstractItemModelTester::FailureReportingMode::QtTest);
        models::followChanges(feed, &sessions, &messages);
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(feed.state(), store::ChangeFeed::State::Live, 10000);
        sessions.setDatabase(m_database->url());
        messages.setDatabase(m_database->url());
        messages.setSessionId(sessionName(52));
        waitComplete(sessions);
        QVERIFY(loadRows(sessions, 0, 10));
        QItemSelectionModel selection(&sessions);
        selection.select(sessions.index(3, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

        // Another connection writes: two sessions with a message each (s-000051 and s-000052)…
        seed(51, 2);
        QTRY_COMPARE_WITH_TIMEOUT(sessions.rowCount(), 52, 10000);
        QVERIFY(loadRows(sessions, 0, 1));
        QCOMPARE(idAt(sessions, 0), sessionName(52));
        QVERIFY(sessions.data(sessions.index(0, 0), SessionsModel::NewRole).toBool());
        QCOMPARE(idAt(sessions, selection.selectedRows().constFirst().row()), sessionName(47));
        QTRY_COMPARE_WITH_TIMEOUT(messages.rowCount(), 1, 10000);
        QCOMPARE(messages.data(messages.index(0, MessagesModel::ContentColumn)).toString(), QStringLiteral("hello 52"));

        // …then ends s-000051 (active: 51 is a multiple of 3).
        const int row = sessions.rowOfSession(sessionName(51));
        QVERIFY(sessions.data(sessions.index(row, 0), SessionsModel::ActiveRole).toBool());
        VOXTRACK_VERIFY_OK(m_writer->exec(m_database->isPostgreSql()
                ? QStringLiteral("UPDATE conversation_sessions SET is_active = false, ended_at = now() "
                                 "WHERE session_id = 's-000051'")
                : QStringLiteral("UPDATE conversation_sessions SET is_active = 0, ended_at = "
                                 "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE session_id = 's-000051'")));
        QTRY_VERIFY_WITH_TIMEOUT(!sessions.data(sessions.index(row, 0), SessionsModel::ActiveRole).toBool(), 10000);
        QCOMPARE(idAt(sessions, selection.selectedRows().constFirst().row()), sessionName(47));
    }

    void liveChangesGoOnAfterANewFilter()
    {
        seed(1, 40);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        waitComplete(model);
        seed(41, 1);
        model.sessionsInserted(41, 41);
        model.sessionsUpdated(0, 0);
        model.setFilter({}); // a new generation while both are in flight
        waitComplete(model);
        QCOMPARE(model.rowCount(), 41);
        seed(42, 1);
        model.sessionsInserted(42, 42);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 42, 10000);
    }

    void catchesUpAfterMissedChanges()
    {
        seed(1, 100);
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        waitComplete(model);
        seed(101, 5); // nobody says so
        model.catchUp();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 105, 10000);
        QVERIFY(loadRows(model, 0, 4));
        QCOMPARE(idAt(model, 0), sessionName(105));
    }

    void aBadDatabaseReportsAnError()
    {
        SessionsModel model;
        QSignalSpy failed(&model, &SessionsModel::loadFailed);
        auto url = DatabaseUrl::parse(QStringLiteral("sqlite:///nonexistent-dir/none.db"));
        QVERIFY(url.hasValue());
        model.setDatabase(*url);
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.constFirst().constFirst().value<Error>().code.startsWith(QStringLiteral("db.")));
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestSessionsModel)
#include "tst_sessionsmodel.moc"
