// SPDX-License-Identifier: MIT
#include "store/changefeed.h"
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QTest>

#include <libpq-fe.h>

using namespace voxtrack;
using namespace voxtrack::store;
using voxtrack::test::testBackend;
using voxtrack::test::TestDatabase;

namespace {

using Table = Change::Table;
using Kind = Change::Kind;
using State = ChangeFeed::State;

constexpr int connectTimeoutMs = 10000;
constexpr int changeTimeoutMs = 5000;

bool isPostgres()
{
    return testBackend() == Backend::PostgreSql;
}

QString describe(const Change& change)
{
    return QStringLiteral("%1 %2 [%3..%4] rows %5%6")
        .arg(change.table == Table::Sessions ? QStringLiteral("sessions") : QStringLiteral("messages"),
            change.kind == Kind::Insert ? QStringLiteral("insert") : QStringLiteral("update"))
        .arg(change.firstId)
        .arg(change.lastId)
        .arg(change.rows)
        .arg(change.rangeKnown ? QString() : QStringLiteral(" (range unknown)"));
}

QList<Change> changesOf(const QSignalSpy& spy)
{
    QList<Change> changes;
    for (const QList<QVariant>& arguments : spy)
        changes << arguments.at(0).value<Change>();
    return changes;
}

QString describe(const QList<Change>& changes)
{
    QStringList lines;
    for (const Change& change : changes)
        lines << describe(change);
    return QStringLiteral("received: ")
        + (lines.isEmpty() ? QStringLiteral("nothing") : lines.join(QStringLiteral("; ")));
}

QList<Change> only(const QList<Change>& changes, Table table, Kind kind)
{
    QList<Change> matching;
    for (const Change& change : changes) {
        if (change.table == table && change.kind == kind)
            matching << change;
    }
    return matching;
}

QList<State> statesOf(const QSignalSpy& spy)
{
    QList<State> states;
    for (const QList<QVariant>& arguments : spy)
        states << arguments.at(0).value<State>();
    return states;
}

QString lastMessage(const QSignalSpy& spy, State state)
{
    for (qsizetype i = spy.size() - 1; i >= 0; --i) {
        if (spy.at(i).at(0).value<State>() == state)
            return spy.at(i).at(1).toString();
    }
    return {};
}

Change inserted(Table table, qint64 first, qint64 last, qint64 rows)
{
    return {table, Kind::Insert, first, last, rows, true};
}

/// The ids, lowest and highest, and count of the rows a WHERE clause selects.
struct IdRange {
    qint64 first = 0;
    qint64 last = 0;
    qint64 rows = 0;
};

Expected<IdRange> idRange(Connection& connection, const QString& table, const QString& where)
{
    QSqlQuery query(connection.database());
    query.setForwardOnly(true);
    const QString sql = QStringLiteral("SELECT min(id), max(id), count(*) FROM %1 WHERE %2").arg(table, where);
    if (Status status = execQuery(query, sql); !status.isNull())
        return status;
    if (!query.next())
        return Error {QStringLiteral("test.query"), QStringLiteral("no row from %1").arg(sql)};
    return IdRange {query.value(0).toLongLong(), query.value(1).toLongLong(), query.value(2).toLongLong()};
}

QString sessionValues(const QStringList& sessionIds)
{
    QStringList rows;
    for (const QString& id : sessionIds)
        rows << QStringLiteral("('%1', 'user-1')").arg(id);
    return QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES ") + rows.join(u',');
}

/// One INSERT of count messages of sessionId whose content starts with prefix.
QString messageValues(const QString& sessionId, const QString& prefix, int count)
{
    QStringList rows;
    for (int i = 1; i <= count; ++i)
        rows << QStringLiteral("('%1', 'user', '%2 %3', %3)").arg(sessionId, prefix).arg(i);
    return QStringLiteral("INSERT INTO conversation_messages (session_id, role, content, seq) VALUES ")
        + rows.join(u',');
}

/// COPY … FROM STDIN on the connection's own libpq handle, as the tracker's writer does.
Status copyMessages(Connection& connection, const QString& sessionId, const QString& prefix, int count)
{
    const QVariant handle = connection.database().driver()->handle();
    if (!handle.isValid()
        || (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0))
        return {QStringLiteral("test.copy"), QStringLiteral("QPSQL does not hand out its PGconn")};
    PGconn* pg = *static_cast<PGconn* const*>(handle.constData());
    PGresult* result = PQexec(pg, "COPY conversation_messages (session_id, role, content, seq) FROM STDIN");
    const bool started = PQresultStatus(result) == PGRES_COPY_IN;
    PQclear(result);
    if (!started)
        return {QStringLiteral("test.copy"), QString::fromUtf8(PQerrorMessage(pg))};
    QByteArray data;
    for (int i = 1; i <= count; ++i)
        data += QStringLiteral("%1\tuser\t%2 %3\t%3\n").arg(sessionId, prefix).arg(i).toUtf8();
    if (PQputCopyData(pg, data.constData(), int(data.size())) != 1 || PQputCopyEnd(pg, nullptr) != 1)
        return {QStringLiteral("test.copy"), QString::fromUtf8(PQerrorMessage(pg))};
    Status status;
    while (PGresult* end = PQgetResult(pg)) {
        if (PQresultStatus(end) != PGRES_COMMAND_OK && status.isNull())
            status = {QStringLiteral("test.copy"), QString::fromUtf8(PQresultErrorMessage(end))};
        PQclear(end);
    }
    return status;
}

} // namespace

/// Waits for the feed to report State::Live.
#define VOXTRACK_WAIT_LIVE(feed) QTRY_COMPARE_WITH_TIMEOUT((feed).state(), State::Live, connectTimeoutMs)

/// Waits until spy has received change.
#define VOXTRACK_WAIT_CHANGE(spy, change)                                                                              \
    QTRY_VERIFY2_WITH_TIMEOUT(changesOf(spy).contains(change),                                                         \
        qPrintable(QStringLiteral("expected %1, ").arg(describe(change)) + describe(changesOf(spy))), changeTimeoutMs)

class TestChangeFeed : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.store.migrations.info=false"));
        qInfo("backend: %s", qPrintable(voxtrack::test::testBackendName()));
    }

    void parsesPayloads_data()
    {
        QTest::addColumn<QString>("payload");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<Change>("expected");
        QTest::addColumn<QString>("mentions");

        auto good = [](const char* name, const char* payload, Change change) {
            QTest::addRow("%s", name) << QString::fromLatin1(payload) << true << change << QString();
        };
        good("sessions insert", R"({"t":"sessions","op":"insert","min":41,"max":52,"n":12})",
            inserted(Table::Sessions, 41, 52, 12));
        good("messages update", R"({"t":"messages","op":"update","min":7,"max":7,"n":1})",
            {Table::Messages, Kind::Update, 7, 7, 1, true});
        good("members in another order, with spaces",
            R"( { "n" : 3, "max" : 9, "min" : 1, "op" : "insert", "t" : "messages" } )",
            inserted(Table::Messages, 1, 9, 3));
        good("ids that are not integers", R"({"t":"sessions","op":"update","min":null,"max":null,"n":4})",
            {Table::Sessions, Kind::Update, 0, 0, 4, false});
        good("ids past 2^53", R"({"t":"messages","op":"insert","min":9007199254740993,"max":9007199254740995,"n":2})",
            inserted(Table::Messages, Q_INT64_C(9007199254740993), Q_INT64_C(9007199254740995), 2));

        auto bad = [](const char* name, const char* payload, const char* mentions) {
            QTest::addRow("%s", name) << QString::fromLatin1(payload) << false << Change {}
                                      << QString::fromLatin1(mentions);
        };
        bad("empty", "", "not a JSON object");
        bad("not JSON", "sessions insert 1 2 3", "not a JSON object");
        bad("truncated", R"({"t":"sessions","op":"insert","min":1,"max":2,)", "not a JSON object");
        bad("array", R"([{"t":"sessions","op":"insert","min":1,"max":2,"n":2}])", "not a JSON object");
        bad("trailing text", R"({"t":"sessions","op":"insert","min":1,"max":2,"n":2} x)", "not a JSON object");
        bad("t missing", R"({"op":"insert","min":1,"max":2,"n":2})", "\"t\" is missing");
        bad("n missing", R"({"t":"sessions","op":"insert","min":1,"max":2})", "\"n\" is missing");
        bad("unknown member", R"({"t":"sessions","op":"insert","min":1,"max":2,"n":2,"x":0})", "unknown member \"x\"");
        bad("unknown table", R"({"t":"users","op":"insert","min":1,"max":2,"n":2})", "t must be");
        bad("table name in full", R"({"t":"conversation_sessions","op":"insert","min":1,"max":2,"n":2})", "t must be");
        bad("table not a string", R"({"t":1,"op":"insert","min":1,"max":2,"n":2})", "t must be");
        bad("delete", R"({"t":"sessions","op":"delete","min":1,"max":2,"n":2})", "op must be");
        bad("op in capitals", R"({"t":"sessions","op":"INSERT","min":1,"max":2,"n":2})", "op must be");
        bad("no rows", R"({"t":"sessions","op":"insert","min":1,"max":2,"n":0})", "n must be");
        bad("negative rows", R"({"t":"sessions","op":"insert","min":1,"max":2,"n":-3})", "n must be");
        bad("fractional rows", R"({"t":"sessions","op":"insert","min":1,"max":2,"n":1.5})", "n must be");
        bad("rows as text", R"({"t":"sessions","op":"insert","min":1,"max":2,"n":"2"})", "n must be");
        bad("min after max", R"({"t":"sessions","op":"insert","min":5,"max":2,"n":2})", "min is greater than max");
        bad("min as text", R"({"t":"sessions","op":"insert","min":"1","max":2,"n":2})", "min and max must");
        bad("fractional max", R"({"t":"sessions","op":"insert","min":1,"max":2.5,"n":2})", "min and max must");
        bad("only min null", R"({"t":"sessions","op":"insert","min":null,"max":2,"n":2})", "min and max must");
        bad("max past 64 bits", R"({"t":"sessions","op":"insert","min":1,"max":1e30,"n":2})", "min and max must");
    }

    void parsesPayloads()
    {
        QFETCH(QString, payload);
        QFETCH(bool, valid);
        QFETCH(Change, expected);
        QFETCH(QString, mentions);
        QCOMPARE(ChangeFeed::channel(), QStringLiteral("voxtrack_changes"));
        const auto change = ChangeFeed::parsePayload(payload);
        QCOMPARE(change.hasValue(), valid);
        if (valid) {
            QVERIFY2(*change == expected, qPrintable(describe(*change)));
            return;
        }
        QCOMPARE(change.error().code, QStringLiteral("feed.payload"));
        QVERIFY2(change.error().message.contains(mentions), qPrintable(change.error().message));
    }

    void reportsInsertsAndUpdates()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto writer = db->connect();
        QVERIFY(writer);
        const auto migrated = Migrator(*writer).migrate();
        QVERIFY2(migrated, qPrintable(migrated.errorText()));

        ChangeFeed feed(db->url());
        QSignalSpy changed(&feed, &ChangeFeed::changed);
        QSignalSpy resynced(&feed, &ChangeFeed::resynced);
        feed.start();
        QVERIFY(feed.isRunning());
        VOXTRACK_WAIT_LIVE(feed);
        QVERIFY2(changed.isEmpty(), qPrintable(describe(changesOf(changed))));

        // One row.
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("s-1")})));
        auto ids = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id = 's-1'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        const qint64 first = ids->first;
        QList<Change> expected {inserted(Table::Sessions, first, first, 1)};
        VOXTRACK_WAIT_CHANGE(changed, expected.constLast());

        // Several rows in one statement, on both tables.
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("s-2"), QStringLiteral("s-3")})));
        ids = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id IN ('s-2', 's-3')"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        QCOMPARE(ids->rows, 2);
        expected << inserted(Table::Sessions, ids->first, ids->last, 2);
        VOXTRACK_WAIT_CHANGE(changed, expected.constLast());

        VOXTRACK_VERIFY_OK(writer->exec(messageValues(QStringLiteral("s-1"), QStringLiteral("hello"), 3)));
        ids = idRange(*writer, QStringLiteral("conversation_messages"), QStringLiteral("session_id = 's-1'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        QCOMPARE(ids->rows, 3);
        expected << inserted(Table::Messages, ids->first, ids->last, 3);
        VOXTRACK_WAIT_CHANGE(changed, expected.constLast());

        // The session ends.
        const qsizetype sessionUpdatesBefore = only(changesOf(changed), Table::Sessions, Kind::Update).size();
        VOXTRACK_VERIFY_OK(writer->exec(QStringLiteral(
            "UPDATE conversation_sessions SET is_active = %1, session_end = session_start, ended_at = started_at, "
            "duration_seconds = 0, message_count = 3, end_reason = 'client_closed' WHERE session_id = 's-1'")
                                            .arg(isPostgres() ? QStringLiteral("false") : QStringLiteral("0"))));
        if (isPostgres()) {
            // The statement's own rows, exactly; and nothing but what was written, in order.
            expected << Change {Table::Sessions, Kind::Update, first, first, 1, true};
            VOXTRACK_WAIT_CHANGE(changed, expected.constLast());
            QCOMPARE(changesOf(changed), expected);
        } else {
            // SQLite cannot tell which rows were updated: an update of unknown rows, for each table,
            // whenever another connection committed.
            QTRY_VERIFY2_WITH_TIMEOUT(
                only(changesOf(changed), Table::Sessions, Kind::Update).size() > sessionUpdatesBefore,
                qPrintable(describe(changesOf(changed))), changeTimeoutMs);
            for (const Change& change : changesOf(changed)) {
                if (change.kind == Kind::Update) {
                    QVERIFY2(!change.rangeKnown, qPrintable(describe(change)));
                    QCOMPARE(change.rows, 0);
                }
            }
            QList<Change> inserts = only(changesOf(changed), Table::Sessions, Kind::Insert)
                + only(changesOf(changed), Table::Messages, Kind::Insert);
            QCOMPARE(inserts, expected);
            QCOMPARE(only(changesOf(changed), Table::Messages, Kind::Update).size(),
                only(changesOf(changed), Table::Sessions, Kind::Update).size());
        }
        QCOMPARE(resynced.size(), 0);
        QCOMPARE(feed.malformedCount(), 0);
    }

    void reportsOneChangePerStatement()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto writer = db->connect();
        QVERIFY(writer);
        const auto migrated = Migrator(*writer).migrate();
        QVERIFY2(migrated, qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("bulk")})));

        ChangeFeed feed(db->url());
        QSignalSpy changed(&feed, &ChangeFeed::changed);
        feed.start();
        VOXTRACK_WAIT_LIVE(feed);

        // 500 rows in one statement: one notification.
        VOXTRACK_VERIFY_OK(writer->exec(messageValues(QStringLiteral("bulk"), QStringLiteral("bulk"), 500)));
        auto ids = idRange(*writer, QStringLiteral("conversation_messages"), QStringLiteral("content LIKE 'bulk %'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        QCOMPARE(ids->rows, 500);
        const Change bulk = inserted(Table::Messages, ids->first, ids->last, 500);
        VOXTRACK_WAIT_CHANGE(changed, bulk);

        // A statement whose rows all exist already writes nothing, and nothing is reported.
        VOXTRACK_VERIFY_OK(
            writer->exec(sessionValues({QStringLiteral("bulk")}) + QStringLiteral(" ON CONFLICT DO NOTHING")));

        QList<Change> expected {bulk};
        if (isPostgres()) {
            // COPY FROM STDIN, the writer's fast path, fires the statement's trigger once.
            VOXTRACK_VERIFY_OK(copyMessages(*writer, QStringLiteral("bulk"), QStringLiteral("copied"), 3));
            ids = idRange(*writer, QStringLiteral("conversation_messages"), QStringLiteral("content LIKE 'copied %'"));
            QVERIFY2(ids, qPrintable(ids.errorText()));
            QCOMPARE(ids->rows, 3);
            expected << inserted(Table::Messages, ids->first, ids->last, 3);
            VOXTRACK_WAIT_CHANGE(changed, expected.constLast());
        }

        // Changes arrive in commit order: once this one is in, every earlier one is.
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("marker")})));
        ids = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id = 'marker'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        expected << inserted(Table::Sessions, ids->first, ids->first, 1);
        VOXTRACK_WAIT_CHANGE(changed, expected.constLast());

        const QList<Change> received = changesOf(changed);
        if (isPostgres()) {
            QCOMPARE(received, expected);
        } else {
            QCOMPARE(only(received, Table::Messages, Kind::Insert), QList<Change> {bulk});
            QCOMPARE(only(received, Table::Sessions, Kind::Insert), QList<Change> {expected.constLast()});
        }
    }

    void staysQuietWhenNothingChanged()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto writer = db->connect();
        QVERIFY(writer);
        const auto migrated = Migrator(*writer).migrate();
        QVERIFY2(migrated, qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("quiet")})));

        ChangeFeed feed(db->url());
        QSignalSpy changed(&feed, &ChangeFeed::changed);
        QSignalSpy states(&feed, &ChangeFeed::stateChanged);
        feed.start();
        VOXTRACK_WAIT_LIVE(feed);

        // Reads, an update that matches nothing, a transaction rolled back.
        const auto count = writer->scalar(QStringLiteral("SELECT count(*) FROM conversation_sessions"));
        QVERIFY2(count, qPrintable(count.errorText()));
        QCOMPARE(count->toLongLong(), 1);
        VOXTRACK_VERIFY_OK(
            writer->exec(QStringLiteral("UPDATE conversation_sessions SET user_id = 'x' WHERE session_id = 'none'")));
        VOXTRACK_VERIFY_OK(writer->beginTransaction());
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("rolled-back")})));
        writer->rollback();

        if (isPostgres()) {
            // Notifications on the channel that are not the trigger's are counted and ignored, and
            // so are other channels.
            const QStringList malformed {QStringLiteral("hello"),
                QStringLiteral(R"({"t":"sessions","op":"delete","min":1,"max":1,"n":1})"),
                QStringLiteral(R"({"t":"sessions","op":"insert","min":1,"max":1,"n":0})")};
            for (const QString& payload : malformed) {
                QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("feed\\.payload")));
                VOXTRACK_VERIFY_OK(
                    writer->exec(QStringLiteral("SELECT pg_notify(?, ?)"), {ChangeFeed::channel(), payload}));
            }
            VOXTRACK_VERIFY_OK(writer->exec(QStringLiteral("NOTIFY voxtrack_elsewhere, 'hello'")));
            QTRY_COMPARE_WITH_TIMEOUT(feed.malformedCount(), qint64(malformed.size()), changeTimeoutMs);
        }

        // A few liveness checks or polls go by.
        QTest::qWait(600);
        QVERIFY2(changed.isEmpty(), qPrintable(describe(changesOf(changed))));
        QCOMPARE(statesOf(states), (QList<State> {State::Connecting, State::Live}));

        // And the feed still reports a real change.
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("loud")})));
        const auto ids
            = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id = 'loud'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        VOXTRACK_WAIT_CHANGE(changed, inserted(Table::Sessions, ids->first, ids->first, 1));
    }

    void recoversFromALostConnection()
    {
        VOXTRACK_TEST_DATABASE(db);
        ChangeFeed::Options options;
        options.applicationName = QStringLiteral("voxtrack-test-feed");
        ChangeFeed feed(db->url(), options);
        QSignalSpy changed(&feed, &ChangeFeed::changed);
        QSignalSpy states(&feed, &ChangeFeed::stateChanged);
        QSignalSpy resynced(&feed, &ChangeFeed::resynced);
        std::unique_ptr<Connection> writer;
        // What goes wrong: on PostgreSQL the feed's server process is ended; a SQLite file that
        // does not exist yet cannot be opened (the feed never writes, so it does not create it).
        QTest::ignoreMessage(QtWarningMsg,
            QRegularExpression(
                isPostgres() ? QStringLiteral("connection was lost") : QStringLiteral("could not connect")));

        if (isPostgres()) {
            writer = db->connect();
            QVERIFY(writer);
            const auto migrated = Migrator(*writer).migrate();
            QVERIFY2(migrated, qPrintable(migrated.errorText()));
            feed.start();
            VOXTRACK_WAIT_LIVE(feed);
            QCOMPARE(statesOf(states), (QList<State> {State::Connecting, State::Live}));
            VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("before")})));
            const auto ids
                = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id = 'before'"));
            QVERIFY2(ids, qPrintable(ids.errorText()));
            VOXTRACK_WAIT_CHANGE(changed, inserted(Table::Sessions, ids->first, ids->first, 1));

            const QString feedBackends = QStringLiteral("SELECT count(*) FROM pg_stat_activity "
                                                        "WHERE datname = current_database() AND application_name = ?");
            const auto terminated
                = writer->scalar(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                                "WHERE datname = current_database() AND application_name = ?"),
                    {options.applicationName});
            QVERIFY2(terminated, qPrintable(terminated.errorText()));
            QCOMPARE(terminated->toLongLong(), 1);
            // Noticed by the next liveness check (every 2 s).
            QTRY_VERIFY_WITH_TIMEOUT(statesOf(states).contains(State::Lost), 4000);
            QVERIFY2(lastMessage(states, State::Lost).contains(QStringLiteral("reconnecting in")),
                qPrintable(lastMessage(states, State::Lost)));
            VOXTRACK_WAIT_LIVE(feed);
            const auto backends = writer->scalar(feedBackends, {options.applicationName});
            QVERIFY2(backends, qPrintable(backends.errorText()));
            QCOMPARE(backends->toLongLong(), 1);
        } else {
            feed.start();
            QTRY_VERIFY_WITH_TIMEOUT(statesOf(states).contains(State::Lost), connectTimeoutMs);
            QVERIFY2(lastMessage(states, State::Lost).contains(QStringLiteral("retrying in")),
                qPrintable(lastMessage(states, State::Lost)));
            QCOMPARE(feed.state(), State::Lost);
            writer = db->connect();
            QVERIFY(writer);
            const auto migrated = Migrator(*writer).migrate();
            QVERIFY2(migrated, qPrintable(migrated.errorText()));
            VOXTRACK_WAIT_LIVE(feed);
        }

        // Live again, after a Lost: changes may have been missed, models reload.
        QTRY_COMPARE_WITH_TIMEOUT(resynced.size(), 1, changeTimeoutMs);
        const QList<State> seen = statesOf(states);
        QCOMPARE(seen.constFirst(), State::Connecting);
        QCOMPARE(seen.constLast(), State::Live);
        QVERIFY(seen.indexOf(State::Lost) < seen.lastIndexOf(State::Live));

        // Later changes arrive.
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("after")})));
        const auto ids
            = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id = 'after'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        VOXTRACK_WAIT_CHANGE(changed, inserted(Table::Sessions, ids->first, ids->first, 1));
        VOXTRACK_VERIFY_OK(writer->exec(messageValues(QStringLiteral("after"), QStringLiteral("again"), 2)));
        const auto messageIds
            = idRange(*writer, QStringLiteral("conversation_messages"), QStringLiteral("session_id = 'after'"));
        QVERIFY2(messageIds, qPrintable(messageIds.errorText()));
        VOXTRACK_WAIT_CHANGE(changed, inserted(Table::Messages, messageIds->first, messageIds->last, 2));
    }

    void stopsAndStartsAgain()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto writer = db->connect();
        QVERIFY(writer);
        const auto migrated = Migrator(*writer).migrate();
        QVERIFY2(migrated, qPrintable(migrated.errorText()));

        ChangeFeed feed(db->url());
        QSignalSpy changed(&feed, &ChangeFeed::changed);
        QSignalSpy states(&feed, &ChangeFeed::stateChanged);
        feed.start();
        feed.start(); // already running: nothing more
        VOXTRACK_WAIT_LIVE(feed);

        // A change still on its way when stop() returns is dropped; nothing is emitted afterwards.
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("while-stopping")})));
        feed.stop();
        QVERIFY(!feed.isRunning());
        const qsizetype changesAtStop = changed.size();
        const qsizetype statesAtStop = states.size();
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("while-stopped")})));
        QTest::qWait(600);
        QCOMPARE(changed.size(), changesAtStop);
        QCOMPARE(states.size(), statesAtStop);

        // Started again, it follows the database from then on.
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(statesOf(states).size(), statesAtStop + 2, connectTimeoutMs);
        QCOMPARE(statesOf(states).mid(statesAtStop), (QList<State> {State::Connecting, State::Live}));
        VOXTRACK_VERIFY_OK(writer->exec(sessionValues({QStringLiteral("restarted")})));
        const auto ids
            = idRange(*writer, QStringLiteral("conversation_sessions"), QStringLiteral("session_id = 'restarted'"));
        QVERIFY2(ids, qPrintable(ids.errorText()));
        VOXTRACK_WAIT_CHANGE(changed, inserted(Table::Sessions, ids->first, ids->first, 1));
        QCOMPARE(only(changesOf(changed), Table::Sessions, Kind::Insert).constLast(),
            inserted(Table::Sessions, ids->first, ids->first, 1));
    }
};

QTEST_GUILESS_MAIN(TestChangeFeed)
#include "tst_changefeed.moc"
