// SPDX-License-Identifier: MIT
#include "store/connection.h"
#include "store/migrator.h"
#include "support/testdatabase.h"
#include "tracker/conversationtracker.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <cmath>
#include <vector>

using namespace voxtrack;
using namespace voxtrack::tracker;
using voxtrack::test::TestDatabase;

/// Re-emits the tracker's signals (emitted from its journal and writer threads) in the test's
/// thread: QSignalSpy records from the emitting thread without a lock, so the spies watch this.
class TrackerEvents : public QObject {
    Q_OBJECT

public:
    explicit TrackerEvents(ConversationTracker& tracker)
    {
        connect(&tracker, &ConversationTracker::durable, this, &TrackerEvents::durable, Qt::QueuedConnection);
        connect(&tracker, &ConversationTracker::persisted, this, &TrackerEvents::persisted, Qt::QueuedConnection);
        connect(&tracker, &ConversationTracker::databaseStateChanged, this, &TrackerEvents::databaseStateChanged,
            Qt::QueuedConnection);
        connect(&tracker, &ConversationTracker::sessionsRecovered, this, &TrackerEvents::sessionsRecovered,
            Qt::QueuedConnection);
    }

Q_SIGNALS:
    void durable(quint64 ticket);
    void persisted(quint64 ticket);
    void databaseStateChanged(bool up, const QString& error);
    void sessionsRecovered(const QStringList& sessionIds);
};

namespace {

/// A session row as the tests compare it: times in milliseconds since the epoch (null when NULL).
struct SessionRow {
    bool found = false;
    QString userId;
    QVariant sessionStart;
    QVariant startedAt;
    QVariant sessionEnd;
    QVariant endedAt;
    QVariant durationSeconds;
    bool active = false;
    QJsonObject metadata;
    int messageCount = -1;
    QVariant endReason;
};

struct MessageRow {
    QString sessionId;
    QVariant userId;
    QString role;
    QString content;
    QVariant audioUrl;
    QVariant metadata; ///< JSON text, or null
    qint64 createdAt = 0;
    QUuid messageId;
    qint64 seq = 0;
};

quint64 lastTicketOf(const QSignalSpy& spy)
{
    return spy.isEmpty() ? 0 : spy.constLast().constFirst().toULongLong();
}

/// The tickets a spy saw, for monotonicity checks.
QList<quint64> ticketsOf(const QSignalSpy& spy)
{
    QList<quint64> tickets;
    for (const QList<QVariant>& arguments : spy)
        tickets << arguments.constFirst().toULongLong();
    return tickets;
}

bool strictlyIncreasing(const QList<quint64>& values)
{
    for (qsizetype i = 1; i < values.size(); ++i) {
        if (values.at(i) <= values.at(i - 1))
            return false;
    }
    return true;
}

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

QJsonObject parseObject(const QVariant& text)
{
    return QJsonDocument::fromJson(text.toString().toUtf8()).object();
}

qint64 msOf(const QDateTime& time)
{
    return time.toMSecsSinceEpoch();
}

qint64 msOf(const char* iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODateWithMs).toMSecsSinceEpoch();
}

/// Copies the files of a journal directory (it has no subdirectories).
bool copyDirectory(const QString& from, const QString& to)
{
    if (!QDir().mkpath(to))
        return false;
    const QDir source(from);
    for (const QString& name : source.entryList(QDir::Files)) {
        if (!QFile::copy(source.filePath(name), QDir(to).filePath(name)))
            return false;
    }
    return true;
}

} // namespace

/// Fails the test unless expression (an Expected) is an Error with the given code.
#define VERIFY_ERROR(expression, expectedCode)                                                                         \
    do {                                                                                                               \
        const auto result_ = (expression);                                                                             \
        QVERIFY2(!result_.hasValue(), "accepted: " #expression);                                                       \
        QCOMPARE(result_.error().code, QStringLiteral(expectedCode));                                                  \
        QVERIFY(!result_.error().message.isEmpty());                                                                   \
    } while (false)

/// Fails the test unless expression (an Expected) has a value; yields nothing.
#define VERIFY_ACCEPTED(expression)                                                                                    \
    do {                                                                                                               \
        const auto result_ = (expression);                                                                             \
        QVERIFY2(result_.hasValue(), qPrintable(result_.errorText()));                                                 \
    } while (false)

class TestTracker : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<QTemporaryDir> m_scratch;
    std::unique_ptr<store::Connection> m_reader;
    QString m_pausedCluster; ///< a PostgreSQL cluster directory this test paused and must resume

    [[nodiscard]] bool isPostgres() const { return m_database->isPostgreSql(); }

    [[nodiscard]] QString journalPath(const QString& name = QStringLiteral("journal")) const
    {
        return m_scratch->filePath(name);
    }

    [[nodiscard]] TrackerOptions optionsFor(const QString& journalDirectory = {}) const
    {
        TrackerOptions options;
        options.database = m_database->url();
        options.journalDirectory = journalDirectory;
        options.retryInitialMs = 10;
        options.retryMaxMs = 200;
        return options;
    }

    /// A database URL no connection can be made to: a file in a directory that does not exist, or
    /// a port nothing listens on.
    [[nodiscard]] DatabaseUrl unreachableUrl() const
    {
        const QString text = isPostgres()
            ? QStringLiteral("postgresql://voxtrack:nothing@127.0.0.1:1/voxtrack?connect_timeout=2")
            : QStringLiteral("sqlite://") + m_scratch->filePath(QStringLiteral("missing/directory/voxtrack.db"));
        auto url = DatabaseUrl::parse(text);
        if (!url) {
            QTest::qFail(qPrintable(url.errorText()), __FILE__, __LINE__);
            return {};
        }
        return *url;
    }

    /// The test's own connection for reading back (opened on first use).
    store::Connection* reader()
    {
        if (!m_reader)
            m_reader = m_database->connect();
        return m_reader.get();
    }

    /// SQL for a timestamp column as milliseconds since the epoch.
    [[nodiscard]] QString ms(const QString& column) const
    {
        return voxtrack::test::sqlEpochMs(m_database->backend(), column);
    }

    [[nodiscard]] QString text(const QString& column) const
    {
        return voxtrack::test::sqlText(m_database->backend(), column);
    }

    /// The first column of the first row, as a number; -1 when the query fails (the tables may
    /// not exist yet while a tracker is still connecting).
    qint64 count(const QString& sql, const QVariantList& values = {})
    {
        store::Connection* connection = reader();
        if (!connection)
            return -1;
        const auto value = connection->scalar(sql, values);
        return value ? value->toLongLong() : -1;
    }

    qint64 sessionCount() { return count(QStringLiteral("SELECT count(*) FROM conversation_sessions")); }
    qint64 messageCount() { return count(QStringLiteral("SELECT count(*) FROM conversation_messages")); }
    qint64 distinctMessageIds()
    {
        return count(QStringLiteral("SELECT count(DISTINCT message_id) FROM conversation_messages"));
    }

    SessionRow session(const QString& sessionId)
    {
        SessionRow row;
        store::Connection* connection = reader();
        if (!connection)
            return row;
        QSqlQuery query(connection->database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT user_id, %1, %2, %3, %4, duration_seconds, is_active, %5, "
                                           "message_count, end_reason FROM conversation_sessions WHERE session_id = ?")
                                .arg(ms(QStringLiteral("session_start")), ms(QStringLiteral("started_at")),
                                    ms(QStringLiteral("session_end")), ms(QStringLiteral("ended_at")),
                                    text(QStringLiteral("metadata")));
        if (Status status = store::execQuery(query, sql, {sessionId}); !status.isNull()) {
            QTest::qFail(qPrintable(status.toString()), __FILE__, __LINE__);
            return row;
        }
        if (!query.next())
            return row;
        row.found = true;
        row.userId = query.value(0).toString();
        row.sessionStart = query.value(1);
        row.startedAt = query.value(2);
        row.sessionEnd = query.value(3);
        row.endedAt = query.value(4);
        row.durationSeconds = query.value(5);
        row.active = query.value(6).toBool();
        row.metadata = parseObject(query.value(7));
        row.messageCount = query.value(8).toInt();
        row.endReason = query.value(9);
        return row;
    }

    QList<MessageRow> messages(const QString& sessionId = {})
    {
        QList<MessageRow> rows;
        store::Connection* connection = reader();
        if (!connection)
            return rows;
        QSqlQuery query(connection->database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT session_id, user_id, role, content, audio_url, %1, %2, %3, seq "
                                           "FROM conversation_messages %4 ORDER BY session_id, seq")
                                .arg(text(QStringLiteral("metadata")), ms(QStringLiteral("created_at")),
                                    text(QStringLiteral("message_id")),
                                    sessionId.isEmpty() ? QString() : QStringLiteral("WHERE session_id = ?"));
        const QVariantList values = sessionId.isEmpty() ? QVariantList() : QVariantList {sessionId};
        if (Status status = store::execQuery(query, sql, values); !status.isNull()) {
            QTest::qFail(qPrintable(status.toString()), __FILE__, __LINE__);
            return rows;
        }
        while (query.next()) {
            MessageRow row;
            row.sessionId = query.value(0).toString();
            row.userId = query.value(1);
            row.role = query.value(2).toString();
            row.content = query.value(3).toString();
            row.audioUrl = query.value(4);
            row.metadata = query.value(5);
            row.createdAt = query.value(6).toLongLong();
            row.messageId = QUuid::fromString(query.value(7).toString());
            row.seq = query.value(8).toLongLong();
            rows << row;
        }
        return rows;
    }

    /// Runs statements with {TRUE} and {FALSE} filled in for the backend.
    Status plant(const QStringList& statements)
    {
        store::Connection* connection = reader();
        if (!connection)
            return {QStringLiteral("test.connect"), QStringLiteral("no connection")};
        QStringList filled;
        for (QString statement : statements) {
            statement.replace(QStringLiteral("{TRUE}"), isPostgres() ? QStringLiteral("true") : QStringLiteral("1"));
            statement.replace(QStringLiteral("{FALSE}"), isPostgres() ? QStringLiteral("false") : QStringLiteral("0"));
            filled << statement;
        }
        return TestDatabase::execAll(*connection, filled);
    }

    Status migrate()
    {
        store::Connection* connection = reader();
        if (!connection)
            return {QStringLiteral("test.connect"), QStringLiteral("no connection")};
        const auto migrated = store::Migrator(*connection).migrate();
        return migrated ? Status() : migrated.error();
    }

    /// Runs scripts/pg-cluster command dir; returns its error output on failure.
    static QString runClusterScript(const QString& command, const QString& directory)
    {
        QProcess process;
        process.start(
            QStringLiteral("bash"), {QStringLiteral(VOXTRACK_SOURCE_DIR "/scripts/pg-cluster"), command, directory});
        if (!process.waitForFinished(120'000)) {
            process.kill();
            process.waitForFinished();
            return QStringLiteral("pg-cluster %1 did not finish: %2").arg(command, process.errorString());
        }
        if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
            return QStringLiteral("pg-cluster %1 %2 failed (exit code %3): %4")
                .arg(command, directory)
                .arg(process.exitCode())
                .arg(QString::fromLocal8Bit(process.readAllStandardError()));
        }
        return {};
    }

    /// Resumes the cluster this test paused, if any.
    QString resumeCluster()
    {
        if (m_pausedCluster.isEmpty())
            return {};
        const QString error = runClusterScript(QStringLiteral("resume"), m_pausedCluster);
        if (error.isEmpty())
            m_pausedCluster.clear();
        return error;
    }

    /// Resumes a paused cluster when leaving a scope, also when a check failed in between: the
    /// tracker declared before it still has a server to drain into.
    struct ClusterResumer {
        TestTracker* test;
        ~ClusterResumer()
        {
            const QString error = test->resumeCluster();
            if (!error.isEmpty())
                qWarning().noquote() << error;
        }
    };

    /// Checks a conversation tracker A journaled while the database was unreachable, as it must
    /// look after replay (and after any number of further replays).
    void verifyReplayedConversation(const QHash<QString, QList<TrackedMessage>>& tracked, const EndedSession& ended)
    {
        QCOMPARE(messageCount(), 6);
        QCOMPARE(distinctMessageIds(), 6);
        QCOMPARE(sessionCount(), 4);

        for (auto it = tracked.cbegin(); it != tracked.cend(); ++it) {
            const QList<MessageRow> rows = messages(it.key());
            QCOMPARE(rows.size(), it->size());
            for (qsizetype i = 0; i < rows.size(); ++i) {
                QCOMPARE(rows.at(i).messageId, it->at(i).messageId);
                QCOMPARE(rows.at(i).seq, it->at(i).seq);
                QCOMPARE(rows.at(i).createdAt, msOf(it->at(i).createdAt));
                QCOMPARE(rows.at(i).content, QStringLiteral("%1 says %2").arg(it.key()).arg(i + 1));
            }
        }

        const SessionRow closed = session(QStringLiteral("closed-1"));
        QVERIFY(closed.found);
        QVERIFY(!closed.active);
        QCOMPARE(closed.endReason.toString(), QStringLiteral("client_closed"));
        QCOMPARE(closed.messageCount, 3);
        QCOMPARE(closed.metadata, (QJsonObject {{QStringLiteral("k"), QStringLiteral("v")}}));
        QCOMPARE(closed.startedAt.toLongLong(), msOf(ended.startedAt));
        QCOMPARE(closed.endedAt.toLongLong(), msOf(ended.endedAt));
        QCOMPARE(closed.sessionEnd.toLongLong(), msOf(ended.endedAt));
        QCOMPARE(closed.durationSeconds.toDouble(), ended.durationSeconds);

        // Left open by A: closed as recovered, at its last message, with its count.
        const SessionRow open1 = session(QStringLiteral("open-1"));
        QVERIFY(open1.found);
        QVERIFY(!open1.active);
        QCOMPARE(open1.endReason.toString(), QStringLiteral("recovered"));
        QCOMPARE(open1.messageCount, 2);
        const qint64 lastMessage = msOf(tracked.value(QStringLiteral("open-1")).constLast().createdAt);
        QCOMPARE(open1.endedAt.toLongLong(), lastMessage);
        QCOMPARE(open1.sessionEnd.toLongLong(), lastMessage);
        QCOMPARE(qRound64(open1.durationSeconds.toDouble() * 1000), lastMessage - open1.startedAt.toLongLong());

        // Left open without messages: ended where it started.
        const SessionRow open2 = session(QStringLiteral("open-2"));
        QVERIFY(open2.found);
        QVERIFY(!open2.active);
        QCOMPARE(open2.endReason.toString(), QStringLiteral("recovered"));
        QCOMPARE(open2.messageCount, 0);
        QCOMPARE(open2.endedAt.toLongLong(), open2.startedAt.toLongLong());
        QCOMPARE(open2.durationSeconds.toDouble(), 0.0);

        const QList<MessageRow> newRun = messages(QStringLiteral("b-1"));
        QCOMPARE(newRun.size(), 1);
        QCOMPARE(newRun.constFirst().content, QStringLiteral("from the new run"));
    }

private Q_SLOTS:
    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_scratch = std::make_unique<QTemporaryDir>();
        QVERIFY(m_scratch->isValid());
    }

    void cleanup()
    {
        const QString error = resumeCluster();
        m_reader.reset();
        m_database.reset();
        m_scratch.reset();
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    // ------------------------------------------------------------ a conversation

    void conversationIsPersisted_data()
    {
        QTest::addColumn<bool>("journal");
        QTest::addColumn<BatchWriter::PostgresPath>("path");
        if (test::testBackend() == store::Backend::PostgreSql) {
            QTest::addRow("memory, COPY") << false << BatchWriter::PostgresPath::Copy;
            QTest::addRow("memory, multi-row INSERT") << false << BatchWriter::PostgresPath::MultiRowInsert;
            QTest::addRow("journal, COPY") << true << BatchWriter::PostgresPath::Copy;
            QTest::addRow("journal, multi-row INSERT") << true << BatchWriter::PostgresPath::MultiRowInsert;
        } else {
            QTest::addRow("memory") << false << BatchWriter::PostgresPath::Copy;
            QTest::addRow("journal") << true << BatchWriter::PostgresPath::Copy;
        }
    }

    void conversationIsPersisted()
    {
        QFETCH(bool, journal);
        QFETCH(BatchWriter::PostgresPath, path);
        TrackerOptions options = optionsFor(journal ? journalPath() : QString());
        options.postgresPath = path;
        ConversationTracker tracker(options);
        VOXTRACK_VERIFY_OK(tracker.start());

        const QString id = QStringLiteral("conversation-1");
        const QJsonObject sessionMetadata {{QStringLiteral("channel"), QStringLiteral("web")},
            {QStringLiteral("locale"), QStringLiteral("de-DE")},
            {QStringLiteral("note"), QStringLiteral("say \"hi\" \\ \u00e9t\u00e9 \U0001F642")}};
        const auto started = tracker.startSession(id, QStringLiteral("user-42"), sessionMetadata);
        QVERIFY2(started.hasValue(), qPrintable(started.errorText()));
        QCOMPARE(started->ticket, quint64(1));

        struct Sent {
            Role role;
            QString content;
            QString audioUrl;
            QJsonObject metadata;
        };
        const QList<Sent> sent {
            {Role::System, QStringLiteral("You are a market assistant."), {}, {}},
            {Role::User,
                QStringLiteral("What's the price of Tesla? \u20ac \U0001F4C8\n\"quoted\"\ttab \\ backslash, {braces}"),
                {}, {{QStringLiteral("confidence"), 0.93}, {QStringLiteral("lang"), QStringLiteral("en")}}},
            {Role::Agent, QStringLiteral("The latest price for Tesla is 251.30."),
                QStringLiteral("https://example.invalid/audio/1.wav"),
                {{QStringLiteral("latency_ms"), 120}, {QStringLiteral("voice"), QStringLiteral("a\"l\\loy")}}},
        };
        QList<TrackedMessage> tracked;
        for (const Sent& message : sent) {
            const auto result
                = tracker.trackMessage(id, message.role, message.content, message.audioUrl, message.metadata);
            QVERIFY2(result.hasValue(), qPrintable(result.errorText()));
            tracked << *result;
        }
        const auto ended = tracker.endSession(id, EndReason::ClientClosed);
        QVERIFY2(ended.hasValue(), qPrintable(ended.errorText()));

        // What the calls stamped.
        for (qsizetype i = 0; i < tracked.size(); ++i) {
            QCOMPARE(tracked.at(i).ticket, quint64(i + 2));
            QCOMPARE(tracked.at(i).seq, qint64(i + 1));
            QVERIFY(!tracked.at(i).duplicate);
            QVERIFY(!tracked.at(i).messageId.isNull());
            QVERIFY(ended->startedAt <= tracked.at(i).createdAt);
            QVERIFY(tracked.at(i).createdAt <= ended->endedAt);
            if (i > 0)
                QVERIFY(tracked.at(i - 1).createdAt <= tracked.at(i).createdAt);
        }
        QCOMPARE(ended->ticket, quint64(5));
        QCOMPARE(ended->startedAt, started->startedAt);
        QCOMPARE(tracker.lastTicket(), quint64(5));
        QCOMPARE(ended->messageCount, 3);
        QCOMPARE(ended->durationSeconds, double(ended->startedAt.msecsTo(ended->endedAt)) / 1000.0);
        QCOMPARE(tracker.activeSessionCount(), 0);

        QVERIFY(tracker.waitForPersisted(ended->ticket, 30'000));
        QCOMPARE(tracker.persistedTicket(), quint64(5));
        QCOMPARE(tracker.queueDepth(), quint64(0));

        // The session row.
        QCOMPARE(sessionCount(), 1);
        const SessionRow row = session(id);
        QVERIFY(row.found);
        QCOMPARE(row.userId, QStringLiteral("user-42"));
        QCOMPARE(row.metadata, sessionMetadata);
        QCOMPARE(row.startedAt.toLongLong(), msOf(ended->startedAt));
        QCOMPARE(row.sessionStart.toLongLong(), msOf(ended->startedAt));
        QCOMPARE(row.endedAt.toLongLong(), msOf(ended->endedAt));
        QCOMPARE(row.sessionEnd.toLongLong(), msOf(ended->endedAt));
        QCOMPARE(
            qRound64(row.durationSeconds.toDouble() * 1000), row.endedAt.toLongLong() - row.startedAt.toLongLong());
        QCOMPARE(row.durationSeconds.toDouble(), ended->durationSeconds);
        QVERIFY(!row.active);
        QCOMPARE(row.messageCount, 3);
        QCOMPARE(row.endReason.toString(), QStringLiteral("client_closed"));

        // The messages, in seq order.
        QCOMPARE(messageCount(), 3);
        const QList<MessageRow> rows = messages(id);
        QCOMPARE(rows.size(), sent.size());
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const MessageRow& got = rows.at(i);
            const Sent& want = sent.at(i);
            QCOMPARE(got.sessionId, id);
            QCOMPARE(got.userId.toString(), QStringLiteral("user-42"));
            QCOMPARE(got.seq, qint64(i + 1));
            QCOMPARE(got.role, roleName(want.role));
            QCOMPARE(got.content, want.content);
            QCOMPARE(got.audioUrl.isNull(), want.audioUrl.isEmpty());
            QCOMPARE(got.audioUrl.toString(), want.audioUrl);
            QCOMPARE(got.metadata.isNull(), want.metadata.isEmpty());
            QCOMPARE(parseObject(got.metadata), want.metadata);
            QCOMPARE(got.messageId, tracked.at(i).messageId);
            QCOMPARE(got.createdAt, msOf(tracked.at(i).createdAt));
        }

        QVERIFY(tracker.stop(5000));
        if (journal) {
            QCOMPARE(tracker.journalPendingBytes(), 0);
            QVERIFY(!QDir(journalPath()).entryList({QStringLiteral("journal-*.vtj")}, QDir::Files).isEmpty());
        }
        QCOMPARE(tracker.metrics().messagesPersisted.load(), quint64(3));
        QCOMPARE(tracker.metrics().commandsPersisted.load(), quint64(5));
    }

    // ------------------------------------------------------------ validation

    void invalidCallsAreRefusedAndWriteNothing()
    {
        ConversationTracker tracker(optionsFor());
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")));

        VERIFY_ERROR(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")), "tracker.session_exists");
        VERIFY_ERROR(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-2")), "tracker.session_exists");
        VERIFY_ERROR(tracker.startSession(QString(), QStringLiteral("user-1")), "tracker.invalid");
        VERIFY_ERROR(tracker.startSession(QStringLiteral("s-2"), QString()), "tracker.invalid");
        VERIFY_ERROR(tracker.trackMessage(QStringLiteral("never-started"), Role::User, QStringLiteral("hello")),
            "tracker.unknown_session");
        VERIFY_ERROR(
            tracker.endSession(QStringLiteral("never-started"), EndReason::ClientClosed), "tracker.unknown_session");

        const auto message = tracker.trackMessage(QStringLiteral("s-1"), Role::User, QStringLiteral("hello"));
        QVERIFY2(message.hasValue(), qPrintable(message.errorText()));
        QCOMPARE(message->ticket, quint64(2));
        QCOMPARE(message->seq, qint64(1));
        const auto ended = tracker.endSession(QStringLiteral("s-1"), EndReason::Timeout);
        QVERIFY2(ended.hasValue(), qPrintable(ended.errorText()));
        QCOMPARE(ended->ticket, quint64(3));
        QCOMPARE(ended->messageCount, 1);

        VERIFY_ERROR(tracker.trackMessage(QStringLiteral("s-1"), Role::Agent, QStringLiteral("too late")),
            "tracker.unknown_session");
        VERIFY_ERROR(tracker.endSession(QStringLiteral("s-1"), EndReason::ClientClosed), "tracker.unknown_session");

        // Refused calls take no ticket and count nothing.
        QCOMPARE(tracker.lastTicket(), quint64(3));
        QCOMPARE(tracker.metrics().sessionsStarted.load(), quint64(1));
        QCOMPARE(tracker.metrics().messagesReceived.load(), quint64(1));
        QCOMPARE(tracker.metrics().sessionsEnded.load(), quint64(1));
        QVERIFY(tracker.waitForPersisted(3, 30'000));

        QCOMPARE(sessionCount(), 1);
        QCOMPARE(messageCount(), 1);
        const SessionRow row = session(QStringLiteral("s-1"));
        QVERIFY(row.found);
        QCOMPARE(row.userId, QStringLiteral("user-1"));
        QCOMPARE(row.messageCount, 1);
        QCOMPARE(row.endReason.toString(), QStringLiteral("timeout"));
        QCOMPARE(messages(QStringLiteral("s-1")).constFirst().content, QStringLiteral("hello"));
        QVERIFY(tracker.stop(5000));
    }

    void messageWithEmptySessionIdIsInvalid()
    {
        // conversationtracker.h documents tracker.invalid for trackMessage: an empty session id
        // is a malformed call, not an unknown session.
        ConversationTracker tracker(optionsFor());
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ERROR(tracker.trackMessage(QString(), Role::User, QStringLiteral("hello")), "tracker.invalid");
        QCOMPARE(tracker.lastTicket(), quint64(0));
        QVERIFY(tracker.stop(5000));
    }

    // ------------------------------------------------------------ idempotency

    void duplicateMessageIdIsTrackedOnce_data()
    {
        QTest::addColumn<bool>("journal");
        QTest::addRow("memory") << false;
        QTest::addRow("journal") << true;
    }

    void duplicateMessageIdIsTrackedOnce()
    {
        QFETCH(bool, journal);
        ConversationTracker tracker(optionsFor(journal ? journalPath() : QString()));
        VOXTRACK_VERIFY_OK(tracker.start());
        const QString id = QStringLiteral("dup-1");
        VERIFY_ACCEPTED(tracker.startSession(id, QStringLiteral("user-1")));

        const QUuid messageId = QUuid::createUuid();
        const auto first = tracker.trackMessage(id, Role::User, QStringLiteral("first"), {}, {}, messageId);
        QVERIFY2(first.hasValue(), qPrintable(first.errorText()));
        QVERIFY(!first->duplicate);
        QCOMPARE(first->messageId, messageId);
        QCOMPARE(first->seq, qint64(1));

        const auto again
            = tracker.trackMessage(id, Role::User, QStringLiteral("sent again, other text"), {}, {}, messageId);
        QVERIFY2(again.hasValue(), qPrintable(again.errorText()));
        QVERIFY(again->duplicate);
        QCOMPARE(again->messageId, messageId);
        QCOMPARE(again->seq, first->seq);
        QCOMPARE(again->ticket, first->ticket);
        QCOMPARE(again->createdAt, first->createdAt);

        const auto next = tracker.trackMessage(id, Role::Agent, QStringLiteral("reply"));
        QVERIFY2(next.hasValue(), qPrintable(next.errorText()));
        QCOMPARE(next->seq, qint64(2));
        QCOMPARE(next->ticket, first->ticket + 1);

        const auto ended = tracker.endSession(id, EndReason::ClientClosed);
        QVERIFY2(ended.hasValue(), qPrintable(ended.errorText()));
        QCOMPARE(ended->messageCount, 2);
        QCOMPARE(tracker.lastTicket(), quint64(4));
        QVERIFY(tracker.waitForPersisted(tracker.lastTicket(), 30'000));

        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM conversation_messages WHERE %1 = ?")
                           .arg(text(QStringLiteral("message_id"))),
                     {messageId.toString(QUuid::WithoutBraces)}),
            1);
        const QList<MessageRow> rows = messages(id);
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0).content, QStringLiteral("first"));
        QCOMPARE(rows.at(0).messageId, messageId);
        QCOMPARE(rows.at(1).content, QStringLiteral("reply"));
        QCOMPARE(session(id).messageCount, 2);
        QVERIFY(tracker.stop(5000));
    }

    // ------------------------------------------------------------ concurrency and signals

    void manySessionsFromManyThreads_data()
    {
        QTest::addColumn<bool>("journal");
        QTest::addRow("memory") << false;
        QTest::addRow("journal") << true;
    }

    void manySessionsFromManyThreads()
    {
        QFETCH(bool, journal);
        constexpr int threads = 8;
        constexpr int sessionsPerThread = 50;
        constexpr int messagesPerSession = 10;

        ConversationTracker tracker(optionsFor(journal ? journalPath() : QString()));
        TrackerEvents events(tracker);
        QSignalSpy persisted(&events, &TrackerEvents::persisted);
        QSignalSpy durable(&events, &TrackerEvents::durable);
        VOXTRACK_VERIFY_OK(tracker.start());

        std::atomic<int> failures {0};
        std::vector<QString> firstErrors(threads);
        std::vector<std::unique_ptr<QThread>> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back(QThread::create([&tracker, &failures, &firstErrors, t] {
                auto fail = [&](const QString& error) {
                    if (failures.fetch_add(1) == 0 || firstErrors[size_t(t)].isEmpty())
                        firstErrors[size_t(t)] = error;
                };
                for (int s = 0; s < sessionsPerThread; ++s) {
                    const QString id = QStringLiteral("t%1-s%2").arg(t).arg(s, 2, 10, QLatin1Char('0'));
                    if (auto started = tracker.startSession(id, QStringLiteral("user-%1").arg(t)); !started)
                        fail(started.errorText());
                    for (int m = 0; m < messagesPerSession; ++m) {
                        auto tracked = tracker.trackMessage(
                            id, m % 2 ? Role::Agent : Role::User, QStringLiteral("message %1").arg(m + 1));
                        if (!tracked)
                            fail(tracked.errorText());
                        else if (tracked->seq != m + 1)
                            fail(QStringLiteral("%1: seq %2 for message %3").arg(id).arg(tracked->seq).arg(m + 1));
                    }
                    if (auto ended = tracker.endSession(id, EndReason::ClientClosed); !ended)
                        fail(ended.errorText());
                }
            }));
        }
        for (auto& worker : workers)
            worker->start();
        for (auto& worker : workers)
            QVERIFY(worker->wait(120'000));
        QStringList errors;
        for (const QString& error : firstErrors) {
            if (!error.isEmpty())
                errors << error;
        }
        QVERIFY2(failures.load() == 0, qPrintable(errors.join(u'\n')));

        const quint64 last = tracker.lastTicket();
        QCOMPARE(last, quint64(threads * sessionsPerThread * (messagesPerSession + 2)));
        QVERIFY(tracker.waitForPersisted(last, 120'000));
        QTRY_COMPARE(lastTicketOf(persisted), last);
        QTRY_COMPARE(lastTicketOf(durable), last);
        QVERIFY(strictlyIncreasing(ticketsOf(persisted)));
        QVERIFY(strictlyIncreasing(ticketsOf(durable)));

        const int sessions = threads * sessionsPerThread;
        QCOMPARE(sessionCount(), sessions);
        QCOMPARE(messageCount(), sessions * messagesPerSession);
        QCOMPARE(distinctMessageIds(), sessions * messagesPerSession);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE is_active = {FALSE} AND "
                                      "message_count = 10 AND end_reason = 'client_closed'")
                           .replace(QStringLiteral("{FALSE}"),
                               isPostgres() ? QStringLiteral("false") : QStringLiteral("0"))),
            sessions);

        // Each session's messages: seq 1..10 in the order they were created.
        const QList<MessageRow> rows = messages();
        QCOMPARE(rows.size(), sessions * messagesPerSession);
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const MessageRow& row = rows.at(i);
            const qint64 expectedSeq = i % messagesPerSession + 1;
            QCOMPARE(row.seq, expectedSeq);
            QCOMPARE(row.content, QStringLiteral("message %1").arg(expectedSeq));
            QCOMPARE(row.userId.toString(), QStringLiteral("user-") + row.sessionId.mid(1, 1));
            if (expectedSeq > 1) {
                QCOMPARE(row.sessionId, rows.at(i - 1).sessionId);
                QVERIFY(rows.at(i - 1).createdAt <= row.createdAt);
            }
        }
        QVERIFY(tracker.stop(5000));
    }

    void signalsArriveInOrder_data()
    {
        QTest::addColumn<bool>("journal");
        QTest::addRow("memory") << false;
        QTest::addRow("journal") << true;
    }

    void signalsArriveInOrder()
    {
        QFETCH(bool, journal);
        TrackerOptions options = optionsFor(journal ? journalPath() : QString());
        options.maxBatch = 16;
        ConversationTracker tracker(options);
        TrackerEvents events(tracker);
        QSignalSpy durable(&events, &TrackerEvents::durable);
        QSignalSpy persisted(&events, &TrackerEvents::persisted);
        QSignalSpy state(&events, &TrackerEvents::databaseStateChanged);
        VOXTRACK_VERIFY_OK(tracker.start());

        const QString id = QStringLiteral("signals-1");
        VERIFY_ACCEPTED(tracker.startSession(id, QStringLiteral("user-1")));
        for (int i = 0; i < 300; ++i)
            VERIFY_ACCEPTED(tracker.trackMessage(id, Role::User, QStringLiteral("message %1").arg(i)));
        VERIFY_ACCEPTED(tracker.endSession(id, EndReason::ClientClosed));
        const quint64 last = tracker.lastTicket();
        QCOMPARE(last, quint64(302));

        QVERIFY(tracker.waitForPersisted(last, 30'000));
        QTRY_COMPARE(lastTicketOf(persisted), last);
        QTRY_COMPARE(lastTicketOf(durable), last);
        const QList<quint64> persistedTickets = ticketsOf(persisted);
        const QList<quint64> durableTickets = ticketsOf(durable);
        QVERIFY2(strictlyIncreasing(persistedTickets), qPrintable(QDebug::toString(persistedTickets)));
        QVERIFY2(strictlyIncreasing(durableTickets), qPrintable(QDebug::toString(durableTickets)));
        // At most maxBatch commands per transaction: at least ceil(302 / 16) batches.
        QVERIFY2(persistedTickets.size() >= 19, qPrintable(QDebug::toString(persistedTickets)));
        QCOMPARE(tracker.durableTicket(), last);
        QCOMPARE(tracker.persistedTicket(), last);
        QCOMPARE(tracker.queueDepth(), quint64(0));
        QVERIFY(tracker.isDatabaseUp());
        QCOMPARE(state.size(), 1);
        QCOMPARE(state.constFirst().at(0).toBool(), true);

        const TrackerMetrics& metrics = tracker.metrics();
        QCOMPARE(metrics.messagesReceived.load(), quint64(300));
        QCOMPARE(metrics.messagesPersisted.load(), quint64(300));
        QCOMPARE(metrics.commandsPersisted.load(), quint64(302));
        QCOMPARE(metrics.sessionsStarted.load(), quint64(1));
        QCOMPARE(metrics.sessionsEnded.load(), quint64(1));
        QVERIFY(metrics.batches.load() >= 19);
        QCOMPARE(metrics.batchRows.count(), metrics.batches.load());
        QVERIFY(tracker.stop(5000));
    }

    // ------------------------------------------------------------ faults and recovery

    void journalCarriesCommandsOverAnUnreachableDatabase()
    {
        const QString journal = journalPath();
        const QString journalCopy = journalPath(QStringLiteral("journal-copy"));
        QHash<QString, QList<TrackedMessage>> tracked;
        EndedSession closedEnd;
        quint64 commandsOfA = 0;

        // A: the database cannot be reached. Everything is accepted and journaled all the same.
        {
            TrackerOptions options = optionsFor(journal);
            options.database = unreachableUrl();
            options.maxBatch = 2;
            options.memoryLimit = 2; // past it, commands live in the journal only
            ConversationTracker a(options);
            TrackerEvents events(a);
            QSignalSpy durable(&events, &TrackerEvents::durable);
            QSignalSpy state(&events, &TrackerEvents::databaseStateChanged);
            VOXTRACK_VERIFY_OK(a.start());

            auto say = [&](const QString& sessionId, int count) {
                for (int i = 1; i <= count; ++i) {
                    const auto message = a.trackMessage(sessionId, i % 2 ? Role::User : Role::Agent,
                        QStringLiteral("%1 says %2").arg(sessionId).arg(i));
                    if (!message) {
                        QTest::qFail(qPrintable(message.errorText()), __FILE__, __LINE__);
                        return;
                    }
                    tracked[sessionId] << *message;
                }
            };
            VERIFY_ACCEPTED(a.startSession(
                QStringLiteral("closed-1"), QStringLiteral("user-1"), {{QStringLiteral("k"), QStringLiteral("v")}}));
            say(QStringLiteral("closed-1"), 3);
            QVERIFY(!QTest::currentTestFailed());
            const auto ended = a.endSession(QStringLiteral("closed-1"), EndReason::ClientClosed);
            QVERIFY2(ended.hasValue(), qPrintable(ended.errorText()));
            closedEnd = *ended;
            VERIFY_ACCEPTED(a.startSession(QStringLiteral("open-1"), QStringLiteral("user-2")));
            say(QStringLiteral("open-1"), 2);
            QVERIFY(!QTest::currentTestFailed());
            VERIFY_ACCEPTED(a.startSession(QStringLiteral("open-2"), QStringLiteral("user-3")));
            commandsOfA = a.lastTicket();
            QCOMPARE(commandsOfA, quint64(9));

            QTRY_COMPARE(lastTicketOf(durable), commandsOfA);
            QCOMPARE(a.durableTicket(), commandsOfA);
            QTRY_VERIFY(!state.isEmpty());
            QCOMPARE(state.constFirst().at(0).toBool(), false);
            QVERIFY(!state.constFirst().at(1).toString().isEmpty());
            QVERIFY(!a.isDatabaseUp());
            QCOMPARE(a.persistedTicket(), quint64(0));
            QVERIFY(!a.stop(200));
            QVERIFY(a.journalPendingBytes() > 0);
        }
        QVERIFY(copyDirectory(journal, journalCopy));

        // B: the real database and the same journal. A's commands are replayed, the sessions A
        // left open are closed as recovered, and B's own session is not.
        {
            ConversationTracker b(optionsFor(journal));
            TrackerEvents events(b);
            QSignalSpy recovered(&events, &TrackerEvents::sessionsRecovered);
            VOXTRACK_VERIFY_OK(b.start());
            VERIFY_ACCEPTED(b.startSession(QStringLiteral("b-1"), QStringLiteral("user-b")));
            VERIFY_ACCEPTED(b.trackMessage(QStringLiteral("b-1"), Role::User, QStringLiteral("from the new run")));
            QVERIFY(b.waitForPersisted(b.lastTicket(), 30'000));
            QTRY_COMPARE(recovered.size(), 1);
            QCOMPARE(sorted(recovered.constFirst().constFirst().toStringList()),
                (QStringList {QStringLiteral("open-1"), QStringLiteral("open-2")}));
            QCOMPARE(b.metrics().sessionsRecovered.load(), quint64(2));
            QVERIFY(b.stop(5000));
            QCOMPARE(b.journalPendingBytes(), 0);
        }
        verifyReplayedConversation(tracked, closedEnd);
        if (QTest::currentTestFailed())
            return;
        SessionRow newRun = session(QStringLiteral("b-1"));
        QVERIFY(newRun.active);
        QVERIFY(newRun.endReason.isNull());
        QVERIFY(newRun.endedAt.isNull());

        // C: the same journal again, now fully checkpointed: nothing is written twice; B's session,
        // left open by B's stop, is the one recovered now.
        {
            ConversationTracker c(optionsFor(journal));
            TrackerEvents events(c);
            QSignalSpy recovered(&events, &TrackerEvents::sessionsRecovered);
            VOXTRACK_VERIFY_OK(c.start());
            QTRY_COMPARE(recovered.size(), 1);
            QCOMPARE(recovered.constFirst().constFirst().toStringList(), QStringList {QStringLiteral("b-1")});
            QVERIFY(c.stop(5000));
        }
        verifyReplayedConversation(tracked, closedEnd);
        if (QTest::currentTestFailed())
            return;
        newRun = session(QStringLiteral("b-1"));
        QVERIFY(!newRun.active);
        QCOMPARE(newRun.endReason.toString(), QStringLiteral("recovered"));

        // D: A's journal as it was before B: every command replayed a second time, idempotently.
        {
            ConversationTracker d(optionsFor(journalCopy));
            VOXTRACK_VERIFY_OK(d.start());
            QTRY_COMPARE_WITH_TIMEOUT(d.metrics().commandsPersisted.load(), commandsOfA, 30'000);
            QVERIFY(d.stop(5000));
            QCOMPARE(d.metrics().sessionsRecovered.load(), quint64(0));
        }
        verifyReplayedConversation(tracked, closedEnd);
    }

    void databaseDownAtStartIsReportedOnce()
    {
        TrackerOptions options = optionsFor();
        options.database = unreachableUrl();
        ConversationTracker tracker(options);
        TrackerEvents events(tracker);
        QSignalSpy state(&events, &TrackerEvents::databaseStateChanged);
        VOXTRACK_VERIFY_OK(tracker.start());
        QTRY_VERIFY(!state.isEmpty());
        QTest::qWait(500); // the writer keeps retrying meanwhile
        // databaseStateChanged reports changes: the database is down, once, until it comes back.
        QCOMPARE(state.size(), 1);
        QCOMPARE(state.constFirst().at(0).toBool(), false);
        QVERIFY(tracker.stop(100)); // nothing was accepted, so nothing is left
    }

    void unreachableDatabaseIsRetriedWithBackoff()
    {
        constexpr int initialMs = 5;
        TrackerOptions options = optionsFor();
        options.database = unreachableUrl();
        options.retryInitialMs = initialMs;
        options.retryMaxMs = 2000;
        ConversationTracker tracker(options);
        QElapsedTimer timer;
        timer.start();
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")));
        QTest::qWait(900);
        const qint64 elapsed = timer.elapsed();
        quint64 attempts = 0;
        const QHash<QString, quint64> errors = tracker.metrics().errors();
        for (auto it = errors.cbegin(); it != errors.cend(); ++it)
            attempts += it.value();
        QVERIFY(!tracker.stop(100));
        // Doubling waits from 5 ms: n attempts take at least 5 * (2^(n-1) - 1) ms of waiting, so
        // about 8 fit in 900 ms (one more for slack). A fixed 5 ms wait would make well over 10.
        const quint64 bound = quint64(std::log2(double(elapsed) / initialMs + 1)) + 2;
        QVERIFY2(attempts >= 2 && attempts <= bound,
            qPrintable(QStringLiteral("%1 connection attempts in %2 ms (at most %3 expected)")
                           .arg(attempts)
                           .arg(elapsed)
                           .arg(bound)));
    }

    void sessionsLeftOpenAreRecovered()
    {
        VOXTRACK_VERIFY_OK(migrate());
        // What a crashed earlier run left behind: two active sessions, one properly ended.
        VOXTRACK_VERIFY_OK(plant({
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "is_active) VALUES ('crashed-1', 'user-1', '2025-10-18T09:30:00.000Z', "
                           "'2025-10-18T09:30:00.000Z', {TRUE})"),
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "is_active) VALUES ('crashed-2', 'user-2', '2025-10-18T09:40:00.250Z', "
                           "'2025-10-18T09:40:00.250Z', {TRUE})"),
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "session_end, ended_at, duration_seconds, is_active, message_count, end_reason) VALUES "
                           "('done-1', 'user-3', '2025-10-18T09:30:00.000Z', '2025-10-18T09:30:00.000Z', "
                           "'2025-10-18T09:31:00.000Z', '2025-10-18T09:31:00.000Z', 60, {FALSE}, 1, "
                           "'client_closed')"),
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, "
                           "message_id, seq) VALUES ('crashed-1', 'user-1', 'user', 'Hello?', "
                           "'2025-10-18T09:30:01.250Z', '00000000-0000-4000-8000-000000000001', 1)"),
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, "
                           "message_id, seq) VALUES ('crashed-1', 'user-1', 'agent', 'Hi.', "
                           "'2025-10-18T09:30:05.500Z', '00000000-0000-4000-8000-000000000002', 2)"),
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, "
                           "message_id, seq) VALUES ('done-1', 'user-3', 'user', 'Bye.', "
                           "'2025-10-18T09:30:30.000Z', '00000000-0000-4000-8000-000000000003', 1)"),
        }));

        {
            ConversationTracker tracker(optionsFor());
            TrackerEvents events(tracker);
            QSignalSpy recovered(&events, &TrackerEvents::sessionsRecovered);
            VOXTRACK_VERIFY_OK(tracker.start());
            VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("live-1"), QStringLiteral("user-4")));
            VERIFY_ACCEPTED(tracker.trackMessage(QStringLiteral("live-1"), Role::User, QStringLiteral("still here")));
            QVERIFY(tracker.waitForPersisted(tracker.lastTicket(), 30'000));
            QTRY_COMPARE(recovered.size(), 1);
            QCOMPARE(sorted(recovered.constFirst().constFirst().toStringList()),
                (QStringList {QStringLiteral("crashed-1"), QStringLiteral("crashed-2")}));
            QCOMPARE(tracker.metrics().sessionsRecovered.load(), quint64(2));

            const SessionRow crashed1 = session(QStringLiteral("crashed-1"));
            QVERIFY(crashed1.found);
            QVERIFY(!crashed1.active);
            QCOMPARE(crashed1.endReason.toString(), QStringLiteral("recovered"));
            QCOMPARE(crashed1.endedAt.toLongLong(), msOf("2025-10-18T09:30:05.500Z"));
            QCOMPARE(crashed1.sessionEnd.toLongLong(), msOf("2025-10-18T09:30:05.500Z"));
            QCOMPARE(crashed1.durationSeconds.toDouble(), 5.5);
            QCOMPARE(crashed1.messageCount, 2);

            const SessionRow crashed2 = session(QStringLiteral("crashed-2"));
            QVERIFY(crashed2.found);
            QVERIFY(!crashed2.active);
            QCOMPARE(crashed2.endReason.toString(), QStringLiteral("recovered"));
            QCOMPARE(crashed2.endedAt.toLongLong(), msOf("2025-10-18T09:40:00.250Z"));
            QCOMPARE(crashed2.durationSeconds.toDouble(), 0.0);
            QCOMPARE(crashed2.messageCount, 0);

            const SessionRow done = session(QStringLiteral("done-1"));
            QVERIFY(!done.active);
            QCOMPARE(done.endReason.toString(), QStringLiteral("client_closed"));
            QCOMPARE(done.endedAt.toLongLong(), msOf("2025-10-18T09:31:00.000Z"));
            QCOMPARE(done.durationSeconds.toDouble(), 60.0);

            // The session this tracker started is not closed.
            const SessionRow live = session(QStringLiteral("live-1"));
            QVERIFY(live.found);
            QVERIFY(live.active);
            QVERIFY(live.endReason.isNull());
            QVERIFY(live.endedAt.isNull());
            QCOMPARE(messages(QStringLiteral("live-1")).size(), 1);
            QVERIFY(tracker.stop(5000));
        }

        // Left open by that run: the next start recovers it, and only it.
        ConversationTracker next(optionsFor());
        TrackerEvents events(next);
        QSignalSpy recovered(&events, &TrackerEvents::sessionsRecovered);
        VOXTRACK_VERIFY_OK(next.start());
        QTRY_COMPARE(recovered.size(), 1);
        QCOMPARE(recovered.constFirst().constFirst().toStringList(), QStringList {QStringLiteral("live-1")});
        QCOMPARE(session(QStringLiteral("live-1")).messageCount, 1);
        QVERIFY(next.stop(5000));
    }

    void recoveryCanBeTurnedOff()
    {
        VOXTRACK_VERIFY_OK(migrate());
        VOXTRACK_VERIFY_OK(plant({QStringLiteral(
            "INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, is_active) VALUES "
            "('crashed-1', 'user-1', '2025-10-18T09:30:00.000Z', '2025-10-18T09:30:00.000Z', {TRUE})")}));
        TrackerOptions options = optionsFor();
        options.recoverOpenSessions = false;
        ConversationTracker tracker(options);
        TrackerEvents events(tracker);
        QSignalSpy recovered(&events, &TrackerEvents::sessionsRecovered);
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")));
        QVERIFY(tracker.waitForPersisted(tracker.lastTicket(), 30'000));
        QVERIFY(tracker.stop(5000));
        QCOMPARE(recovered.size(), 0);
        QVERIFY(session(QStringLiteral("crashed-1")).active);
    }

    void commandsPastTheMemoryLimitAreReadBackFromTheJournal()
    {
        TrackerOptions options = optionsFor(journalPath());
        options.maxBatch = 5;
        options.memoryLimit = 5;
        ConversationTracker tracker(options);
        VOXTRACK_VERIFY_OK(tracker.start());
        const QString id = QStringLiteral("spill-1");
        VERIFY_ACCEPTED(tracker.startSession(id, QStringLiteral("user-1")));
        constexpr int total = 500;
        QList<QUuid> ids;
        for (int i = 1; i <= total; ++i) {
            const auto tracked
                = tracker.trackMessage(id, i % 3 ? Role::User : Role::Agent, QStringLiteral("message %1").arg(i));
            QVERIFY2(tracked.hasValue(), qPrintable(tracked.errorText()));
            ids << tracked->messageId;
        }
        VERIFY_ACCEPTED(tracker.endSession(id, EndReason::ClientClosed));
        QVERIFY(tracker.waitForPersisted(tracker.lastTicket(), 120'000));

        QCOMPARE(messageCount(), total);
        QCOMPARE(distinctMessageIds(), total);
        const QList<MessageRow> rows = messages(id);
        QCOMPARE(rows.size(), total);
        for (int i = 0; i < total; ++i) {
            QCOMPARE(rows.at(i).seq, qint64(i + 1));
            QCOMPARE(rows.at(i).content, QStringLiteral("message %1").arg(i + 1));
            QCOMPARE(rows.at(i).messageId, ids.at(i));
        }
        const SessionRow row = session(id);
        QCOMPARE(row.messageCount, total);
        QCOMPARE(row.endReason.toString(), QStringLiteral("client_closed"));
        QVERIFY(tracker.metrics().batches.load() >= (total + 2) / 5);
        QVERIFY(tracker.stop(5000));
        QCOMPARE(tracker.journalPendingBytes(), 0);
    }

    void withoutJournalAnUnreachableDatabaseOverloads()
    {
        TrackerOptions options = optionsFor();
        options.database = unreachableUrl();
        options.maxBatch = 10;
        options.memoryLimit = 10;
        ConversationTracker tracker(options);
        VOXTRACK_VERIFY_OK(tracker.start());
        const QString id = QStringLiteral("s-1");
        VERIFY_ACCEPTED(tracker.startSession(id, QStringLiteral("user-1")));
        for (int i = 0; i < 9; ++i)
            VERIFY_ACCEPTED(tracker.trackMessage(id, Role::User, QStringLiteral("message %1").arg(i)));
        QCOMPARE(tracker.queueDepth(), quint64(10));

        VERIFY_ERROR(tracker.trackMessage(id, Role::User, QStringLiteral("one too many")), "tracker.overloaded");
        VERIFY_ERROR(tracker.startSession(QStringLiteral("s-2"), QStringLiteral("user-2")), "tracker.overloaded");
        VERIFY_ERROR(tracker.endSession(id, EndReason::ClientClosed), "tracker.overloaded");
        QCOMPARE(tracker.lastTicket(), quint64(10));
        QCOMPARE(tracker.metrics().errors().value(QStringLiteral("tracker.overloaded")), quint64(3));
        // A refused start opens nothing; a refused end closes nothing.
        QCOMPARE(tracker.activeSessions(), QStringList {id});
        QVERIFY(!tracker.stop(100));
    }

    void journalNeverOverloads()
    {
        TrackerOptions options = optionsFor(journalPath());
        options.database = unreachableUrl();
        options.maxBatch = 10;
        options.memoryLimit = 10;
        ConversationTracker tracker(options);
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")));
        for (int i = 0; i < 100; ++i)
            VERIFY_ACCEPTED(tracker.trackMessage(QStringLiteral("s-1"), Role::User, QStringLiteral("m %1").arg(i)));
        QTRY_COMPARE(tracker.durableTicket(), quint64(101));
        QVERIFY(!tracker.stop(100));
    }

    // ------------------------------------------------------------ stop

    void stopRefusesFurtherCalls_data()
    {
        QTest::addColumn<bool>("journal");
        QTest::addRow("memory") << false;
        QTest::addRow("journal") << true;
    }

    void stopRefusesFurtherCalls()
    {
        QFETCH(bool, journal);
        ConversationTracker tracker(optionsFor(journal ? journalPath() : QString()));
        QVERIFY(tracker.stop(100)); // never started: nothing to do
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")));
        VERIFY_ACCEPTED(tracker.trackMessage(QStringLiteral("s-1"), Role::User, QStringLiteral("before the stop")));
        QVERIFY(tracker.stop(10'000));
        QCOMPARE(tracker.persistedTicket(), quint64(2));

        VERIFY_ERROR(tracker.startSession(QStringLiteral("s-2"), QStringLiteral("user-2")), "tracker.stopped");
        VERIFY_ERROR(
            tracker.trackMessage(QStringLiteral("s-1"), Role::User, QStringLiteral("after")), "tracker.stopped");
        VERIFY_ERROR(tracker.endSession(QStringLiteral("s-1"), EndReason::ServerShutdown), "tracker.stopped");
        QVERIFY(tracker.stop(100));
        QVERIFY(tracker.stop(100));
        QCOMPARE(tracker.lastTicket(), quint64(2));

        // Everything accepted before the stop is in the database.
        QCOMPARE(sessionCount(), 1);
        const QList<MessageRow> rows = messages(QStringLiteral("s-1"));
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.constFirst().content, QStringLiteral("before the stop"));
    }

    void stopTakesPrecedenceOverOtherRefusals()
    {
        // After stop() every call is refused with tracker.stopped, whatever else is wrong with it:
        // the caller learns to go elsewhere, not to fix its call.
        ConversationTracker tracker(optionsFor());
        VOXTRACK_VERIFY_OK(tracker.start());
        VERIFY_ACCEPTED(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")));
        QVERIFY(tracker.stop(10'000));
        VERIFY_ERROR(tracker.startSession(QStringLiteral("s-1"), QStringLiteral("user-1")), "tracker.stopped");
        VERIFY_ERROR(
            tracker.trackMessage(QStringLiteral("unknown"), Role::User, QStringLiteral("x")), "tracker.stopped");
        VERIFY_ERROR(tracker.endSession(QStringLiteral("unknown"), EndReason::ClientClosed), "tracker.stopped");
    }

    // ------------------------------------------------------------ PostgreSQL goes away

    void postgresServerGoesAwayAndComesBack_data()
    {
        QTest::addColumn<bool>("journal");
        QTest::addColumn<BatchWriter::PostgresPath>("path");
        QTest::addRow("memory, COPY") << false << BatchWriter::PostgresPath::Copy;
        QTest::addRow("journal, COPY") << true << BatchWriter::PostgresPath::Copy;
        QTest::addRow("journal, multi-row INSERT") << true << BatchWriter::PostgresPath::MultiRowInsert;
    }

    void postgresServerGoesAwayAndComesBack()
    {
        if (!isPostgres())
            return; // a server that goes away: PostgreSQL only (SQLite is a file)
        QFETCH(bool, journal);
        QFETCH(BatchWriter::PostgresPath, path);
        const QString clusterDir = qEnvironmentVariable("VOXTRACK_TEST_PG_DIR");
        if (clusterDir.isEmpty()) {
            QFAIL("VOXTRACK_TEST_PG_DIR is not set: this test pauses and resumes the throwaway cluster that "
                  "scripts/test starts (scripts/pg-cluster pause|resume DIR); set it to that cluster's directory.");
        }

        TrackerOptions options = optionsFor(journal ? journalPath() : QString());
        options.postgresPath = path;
        options.retryMaxMs = 250;
        ConversationTracker tracker(options);
        TrackerEvents events(tracker);
        QSignalSpy state(&events, &TrackerEvents::databaseStateChanged);
        VOXTRACK_VERIFY_OK(tracker.start());

        const QString id = QStringLiteral("flaky-1");
        VERIFY_ACCEPTED(tracker.startSession(id, QStringLiteral("user-1")));
        QList<QUuid> ids;
        int sent = 0;
        auto send = [&](int n) {
            for (int i = 0; i < n; ++i) {
                ++sent;
                const auto tracked = tracker.trackMessage(
                    id, sent % 2 ? Role::User : Role::Agent, QStringLiteral("message %1").arg(sent));
                if (!tracked) {
                    QTest::qFail(qPrintable(tracked.errorText()), __FILE__, __LINE__);
                    return;
                }
                ids << tracked->messageId;
            }
        };
        send(20);
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(tracker.waitForPersisted(tracker.lastTicket(), 30'000));
        QTRY_VERIFY(!state.isEmpty());
        QCOMPARE(state.constLast().at(0).toBool(), true);

        // The server goes away (fast shutdown: the writer's connection is cut).
        ClusterResumer resumer {this};
        m_reader.reset();
        const QString paused = runClusterScript(QStringLiteral("pause"), clusterDir);
        QVERIFY2(paused.isEmpty(), qPrintable(paused));
        m_pausedCluster = clusterDir;

        // Messages keep being accepted while it is down.
        send(30);
        QVERIFY(!QTest::currentTestFailed());
        auto sawDown = [&] {
            for (const QList<QVariant>& arguments : state) {
                if (!arguments.at(0).toBool())
                    return true;
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(sawDown(), 30'000);
        QVERIFY(!tracker.isDatabaseUp());
        send(30);
        QVERIFY(!QTest::currentTestFailed());
        VERIFY_ACCEPTED(tracker.endSession(id, EndReason::ClientClosed));
        QVERIFY(tracker.persistedTicket() < tracker.lastTicket());

        // It comes back: everything arrives, once.
        const QString resumed = resumeCluster();
        QVERIFY2(resumed.isEmpty(), qPrintable(resumed));
        QVERIFY(tracker.waitForPersisted(tracker.lastTicket(), 60'000));
        QTRY_VERIFY(state.constLast().at(0).toBool());
        QVERIFY(tracker.isDatabaseUp());
        QVERIFY(tracker.metrics().writeRetries.load() > 0);

        QCOMPARE(messageCount(), 80);
        QCOMPARE(distinctMessageIds(), 80);
        const QList<MessageRow> rows = messages(id);
        QCOMPARE(rows.size(), 80);
        for (int i = 0; i < 80; ++i) {
            QCOMPARE(rows.at(i).seq, qint64(i + 1));
            QCOMPARE(rows.at(i).messageId, ids.at(i));
            QCOMPARE(rows.at(i).content, QStringLiteral("message %1").arg(i + 1));
        }
        const SessionRow row = session(id);
        QVERIFY(!row.active);
        QCOMPARE(row.messageCount, 80);
        QCOMPARE(row.endReason.toString(), QStringLiteral("client_closed"));
        QVERIFY(tracker.stop(5000));
    }
};

QTEST_GUILESS_MAIN(TestTracker)
#include "tst_tracker.moc"
