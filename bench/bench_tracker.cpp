// SPDX-License-Identifier: MIT
// The tracker's benchmarks. Each figure is measured in the same run, on the same tables:
//   writer       persisted messages/s through the ConversationTracker (journal off and on)
//   copy         the same rows loaded by one raw COPY (PostgreSQL) or one prepared-insert
//                transaction (SQLite): the ceiling
//   seed         the write-up's design: one INSERT per message, each its own transaction
//   enqueue      trackMessage() latency, p50/p99, while the writer drains
//   e2e          persisted messages/s through voxtrackd's WebSocket server, clients in process
//   idle_rss     voxtrackd's resident memory holding 2,000 idle sessions
// Usage: bench_tracker --pg URL --sqlite-dir DIR [--messages N] [--sessions N] [--quick]
#include "core/protocol.h"
#include "server/agent.h"
#include "server/conversationserver.h"
#include "store/connection.h"
#include "store/migrator.h"
#include "tracker/conversationtracker.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>
#include <QWebSocket>

#include <algorithm>
#include <chrono>
#include <libpq-fe.h>

using namespace voxtrack;

namespace {

QTextStream& err()
{
    static QTextStream stream(stderr);
    return stream;
}

[[noreturn]] void die(const QString& message)
{
    err() << "bench_tracker: " << message << Qt::endl;
    std::exit(2);
}

std::unique_ptr<store::Connection> open(const DatabaseUrl& url)
{
    auto connection = store::Connection::open(url);
    if (!connection)
        die(connection.error().toString());
    return std::move(*connection);
}

/// A fresh database: a new PostgreSQL database on the cluster, or a new SQLite file.
DatabaseUrl freshDatabase(const DatabaseUrl& base, const QString& sqliteDir, const QString& name)
{
    if (base.isSqlite()) {
        const QString path = QDir(sqliteDir).filePath(name + QStringLiteral(".db"));
        for (const QString& suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            QFile::remove(path + suffix);
        return *DatabaseUrl::parse(QStringLiteral("sqlite://") + path);
    }
    auto admin = open(base);
    (void)admin->exec(QStringLiteral("DROP DATABASE IF EXISTS \"%1\" WITH (FORCE)").arg(name));
    if (Status status = admin->exec(QStringLiteral("CREATE DATABASE \"%1\"").arg(name)); !status.isNull())
        die(status.toString());
    return base.withDatabaseName(name);
}

void migrate(const DatabaseUrl& url)
{
    auto connection = open(url);
    if (const auto result = store::Migrator(*connection).migrate(); !result)
        die(result.error().toString());
}

QString sessionId(int i)
{
    return QStringLiteral("bench-session-%1").arg(i, 6, 10, QLatin1Char('0'));
}

QString content(int i)
{
    return QStringLiteral("What's the price of Tesla? This is message number %1 of the benchmark.").arg(i);
}

void insertSessions(store::Connection& connection, int sessions)
{
    if (Status status = connection.beginTransaction(); !status.isNull())
        die(status.toString());
    for (int s = 0; s < sessions; ++s) {
        if (Status status
            = connection.exec(QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES (?, ?)"),
                {sessionId(s), QStringLiteral("bench-user")});
            !status.isNull())
            die(status.toString());
    }
    if (Status status = connection.commit(); !status.isNull())
        die(status.toString());
}

/// The ceiling: the same message rows in one raw COPY (PostgreSQL) or one prepared-insert
/// transaction (SQLite), constraints and indexes on.
double ceilingRate(const DatabaseUrl& url, int sessions, int messages)
{
    auto connection = open(url);
    insertSessions(*connection, sessions);
    QElapsedTimer timer;
    if (url.isPostgreSql()) {
        PGconn* pg = *static_cast<PGconn* const*>(connection->database().driver()->handle().constData());
        QByteArray buffer;
        buffer.reserve(qsizetype(messages) * 200);
        const QByteArray time = "2025-10-18 09:30:00.000+00";
        for (int i = 0; i < messages; ++i) {
            buffer += sessionId(i % sessions).toUtf8() + "\tbench-user\tuser\t" + content(i).toUtf8() + "\t\\N\t\\N\t"
                + time + '\t' + QUuid::createUuid().toByteArray(QUuid::WithoutBraces) + '\t'
                + QByteArray::number(i / sessions + 1) + '\n';
        }
        timer.start();
        PQclear(PQexec(pg, "BEGIN"));
        PGresult* result = PQexec(pg,
            "COPY conversation_messages (session_id, user_id, role, content, audio_url, "
            "metadata, created_at, message_id, seq) FROM STDIN");
        if (PQresultStatus(result) != PGRES_COPY_IN)
            die(QString::fromUtf8(PQerrorMessage(pg)));
        PQclear(result);
        constexpr qsizetype chunk = 1 << 20;
        for (qsizetype at = 0; at < buffer.size(); at += chunk)
            PQputCopyData(pg, buffer.constData() + at, int(std::min(chunk, buffer.size() - at)));
        PQputCopyEnd(pg, nullptr);
        while (PGresult* end = PQgetResult(pg)) {
            if (PQresultStatus(end) != PGRES_COMMAND_OK)
                die(QString::fromUtf8(PQresultErrorMessage(end)));
            PQclear(end);
        }
        PQclear(PQexec(pg, "COMMIT"));
    } else {
        QSqlQuery insert(connection->database());
        insert.prepare(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, "
                                      "created_at, message_id, seq) VALUES (?, 'bench-user', 'user', ?, "
                                      "'2025-10-18T09:30:00.000Z', ?, ?)"));
        timer.start();
        (void)connection->beginTransaction();
        for (int i = 0; i < messages; ++i) {
            insert.bindValue(0, sessionId(i % sessions));
            insert.bindValue(1, content(i));
            insert.bindValue(2, QUuid::createUuid().toString(QUuid::WithoutBraces));
            insert.bindValue(3, i / sessions + 1);
            if (!insert.exec())
                die(store::queryError(insert, insert.lastQuery()).toString());
        }
        (void)connection->commit();
    }
    return messages / (double(timer.nsecsElapsed()) / 1e9);
}

/// The write-up's design: every message its own INSERT and its own transaction.
double seedRate(const DatabaseUrl& url, int sessions, int messages)
{
    auto connection = open(url);
    insertSessions(*connection, sessions);
    QSqlQuery insert(connection->database());
    insert.prepare(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, "
                                  "message_id, seq) VALUES (?, 'bench-user', 'user', ?, ?, ?, ?)"));
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < messages; ++i) {
        insert.bindValue(0, sessionId(i % sessions));
        insert.bindValue(1, content(i));
        insert.bindValue(2,
            url.isSqlite() ? QVariant(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs))
                           : QVariant(QDateTime::currentDateTimeUtc()));
        insert.bindValue(3, QUuid::createUuid().toString(QUuid::WithoutBraces));
        insert.bindValue(4, i / sessions + 1);
        if (!insert.exec())
            die(store::queryError(insert, insert.lastQuery()).toString());
    }
    return messages / (double(timer.nsecsElapsed()) / 1e9);
}

struct WriterResult {
    double rate = 0;
    double p50us = 0;
    double p99us = 0;
    double p999us = 0;
    double maxUs = 0;
};

/// Messages through the tracker, measured from the first enqueue to the last commit. Every
/// trackMessage() call is timed on its own for the latency figures.
WriterResult writerRate(
    const DatabaseUrl& url, int sessions, int messages, const QString& journal, tracker::BatchWriter::PostgresPath path)
{
    tracker::TrackerOptions options;
    options.database = url;
    options.journalDirectory = journal;
    options.postgresPath = path;
    options.memoryLimit = std::max(options.memoryLimit, messages + sessions + 10);
    tracker::ConversationTracker tracker(options);
    if (Status status = tracker.start(); !status.isNull())
        die(status.toString());
    // Let the writer connect and migrate before the clock starts.
    const auto warm = tracker.startSession(QStringLiteral("warm-up"), QStringLiteral("bench-user"));
    if (!warm || !tracker.waitForPersisted(warm->ticket, 30000))
        die(QStringLiteral("the writer did not come up"));

    std::vector<qint64> nanos;
    nanos.reserve(size_t(messages));
    QElapsedTimer timer;
    timer.start();
    for (int s = 0; s < sessions; ++s)
        (void)tracker.startSession(sessionId(s), QStringLiteral("bench-user"));
    const QString text = content(0);
    for (int i = 0; i < messages; ++i) {
        const auto begin = std::chrono::steady_clock::now();
        const auto tracked = tracker.trackMessage(sessionId(i % sessions), Role::User, text);
        nanos.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - begin).count());
        if (!tracked)
            die(tracked.error().toString());
    }
    if (!tracker.waitForPersisted(tracker.lastTicket(), 600000))
        die(QStringLiteral("the writer did not finish"));
    WriterResult result;
    result.rate = messages / (double(timer.nsecsElapsed()) / 1e9);
    std::sort(nanos.begin(), nanos.end());
    auto at = [&](double q) { return double(nanos[size_t(q * double(nanos.size() - 1))]) / 1000.0; };
    result.p50us = at(0.50);
    result.p99us = at(0.99);
    result.p999us = at(0.999);
    result.maxUs = double(nanos.back()) / 1000.0;
    tracker.stop(10000);
    return result;
}

/// Clients that each keep a window of user.message frames in flight.
class LoadClient : public QObject {
public:
    LoadClient(const QUrl& url, int messages, int window, std::atomic<int>* started, std::atomic<int>* acked)
        : m_messages(messages)
        , m_window(window)
        , m_acked(acked)
    {
        connect(&m_socket, &QWebSocket::textMessageReceived, this, [this, started](const QString& text) {
            if (text.contains(u"\"message.ack\"")) {
                ++m_ackedHere;
                m_acked->fetch_add(1);
            } else if (text.contains(u"\"session.started\"")) {
                started->fetch_add(1);
            }
            if (m_go)
                pump();
        });
        m_socket.open(url);
    }

    /// Starts sending; the connection is already open.
    void go()
    {
        m_go = true;
        pump();
    }

private:
    void pump()
    {
        while (m_sent < m_messages && m_sent - m_ackedHere < m_window) {
            ++m_sent;
            m_socket.sendTextMessage(QStringLiteral("{\"type\":\"user.message\",\"id\":\"m%1\",\"content\":\"What's "
                                                    "the price of Tesla? (%1)\"}")
                                         .arg(m_sent));
        }
    }

    QWebSocket m_socket;
    int m_messages;
    int m_window;
    int m_sent = 0;
    int m_ackedHere = 0;
    bool m_go = false;
    std::atomic<int>* m_acked;
};

/// Messages through voxtrackd's server (WebSocket in, journal, writer), persisted per second,
/// counted from the moment every connection is open and its session stored.
double endToEndRate(const DatabaseUrl& url, const QString& journal, int connections, int messagesEach)
{
    tracker::TrackerOptions options;
    options.database = url;
    options.journalDirectory = journal;
    tracker::ConversationTracker tracker(options);
    if (Status status = tracker.start(); !status.isNull())
        die(status.toString());
    server::ServerOptions serverOptions;
    serverOptions.port = 0;
    serverOptions.noAuth = true;
    serverOptions.workerThreads = 1;
    server::ConversationServer server(serverOptions, &tracker, std::make_shared<server::SilentAgent>());
    if (Status status = server.listen(); !status.isNull())
        die(status.toString());

    std::atomic<int> acked {0};
    std::atomic<int> started {0};
    const int total = connections * messagesEach;
    QThread clientThread;
    QObject clientContext; // lives in the client thread: the clients are made and deleted there
    clientContext.moveToThread(&clientThread);
    clientThread.start();
    QList<LoadClient*> clients;
    QMetaObject::invokeMethod(
        &clientContext,
        [&] {
            for (int c = 0; c < connections; ++c) {
                QUrl target = server.conversationUrl();
                target.setQuery(QStringLiteral("user_id=load-%1").arg(c));
                clients << new LoadClient(target, messagesEach, 16, &started, &acked);
            }
        },
        Qt::BlockingQueuedConnection);
    // The listener lives in this thread: keep its event loop turning while the clients run.
    QElapsedTimer timer;
    timer.start();
    while (started.load() < connections && timer.elapsed() < 60000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    if (!tracker.waitForPersisted(tracker.lastTicket(), 60000))
        die(QStringLiteral("the sessions were not stored"));
    const quint64 before = tracker.metrics().messagesPersisted.load();
    timer.restart();
    QMetaObject::invokeMethod(
        &clientContext,
        [&] {
            for (LoadClient* client : std::as_const(clients))
                client->go();
        },
        Qt::QueuedConnection);
    while (acked.load() < total && timer.elapsed() < 600000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    if (!tracker.waitForPersisted(tracker.lastTicket(), 600000))
        die(QStringLiteral("the end-to-end run did not finish"));
    const double rate
        = double(tracker.metrics().messagesPersisted.load() - before) / (double(timer.nsecsElapsed()) / 1e9);
    QMetaObject::invokeMethod(
        &clientContext, [&] { qDeleteAll(clients); }, Qt::BlockingQueuedConnection);
    clientThread.quit();
    clientThread.wait();
    server.shutdown(5000);
    tracker.stop(10000);
    return rate;
}

qint64 residentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    static const QRegularExpression rss(QStringLiteral("VmRSS:\\s+(\\d+) kB"));
    return rss.match(QString::fromLatin1(status.readAll())).captured(1).toLongLong();
}

/// voxtrackd's resident memory before and with `sessions` idle WebSocket sessions.
QJsonObject idleRss(const DatabaseUrl& url, const QString& journal, int sessions)
{
    QProcess daemon;
    daemon.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("voxtrack.*.info=false"));
    daemon.setProcessEnvironment(environment);
    daemon.start(QStringLiteral(VOXTRACKD_PATH),
        {QStringLiteral("--db"), url.toString(), QStringLiteral("--journal"), journal, QStringLiteral("--listen"),
            QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-auth"), QStringLiteral("--idle-timeout"),
            QStringLiteral("600000")});
    QString output;
    static const QRegularExpression listening(QStringLiteral("listening on (ws://\\S+)"));
    QElapsedTimer timer;
    timer.start();
    QUrl base;
    while (timer.elapsed() < 30000 && base.isEmpty()) {
        daemon.waitForReadyRead(100);
        output += QString::fromUtf8(daemon.readAllStandardOutput());
        if (const auto match = listening.match(output); match.hasMatch())
            base = QUrl(match.captured(1));
    }
    if (base.isEmpty())
        die(QStringLiteral("voxtrackd did not start"));
    const qint64 before = residentKiB(daemon.processId());
    std::vector<std::unique_ptr<QWebSocket>> sockets;
    int started = 0;
    for (int i = 0; i < sessions; ++i) {
        auto socket = std::make_unique<QWebSocket>();
        QObject::connect(socket.get(), &QWebSocket::textMessageReceived, [&started](const QString& text) {
            if (text.contains(u"session.started"))
                ++started;
        });
        QUrl target = base;
        target.setQuery(QStringLiteral("user_id=idle-%1").arg(i));
        socket->open(target);
        sockets.push_back(std::move(socket));
        if (i % 100 == 99)
            QCoreApplication::processEvents();
    }
    timer.restart();
    while (started < sessions && timer.elapsed() < 120000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    // Let the server settle, then read its memory.
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 1000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    const qint64 with = residentKiB(daemon.processId());
    sockets.clear();
    daemon.terminate();
    daemon.waitForFinished(30000);
    return {{QStringLiteral("sessions"), started}, {QStringLiteral("rss_mb_before"), double(before) / 1024.0},
        {QStringLiteral("rss_mb_with_sessions"), double(with) / 1024.0}};
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_tracker"));
    QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption pgOption(QStringLiteral("pg"),
        QStringLiteral("PostgreSQL URL of a server where databases may be created."), QStringLiteral("url"));
    const QCommandLineOption dirOption(
        QStringLiteral("sqlite-dir"), QStringLiteral("Directory for SQLite files."), QStringLiteral("dir"));
    const QCommandLineOption messagesOption(QStringLiteral("messages"),
        QStringLiteral("Messages per run (default 200000)."), QStringLiteral("n"), QStringLiteral("200000"));
    const QCommandLineOption sessionsOption(QStringLiteral("sessions"),
        QStringLiteral("Sessions per run (default 2000)."), QStringLiteral("n"), QStringLiteral("2000"));
    const QCommandLineOption seedOption(QStringLiteral("seed-messages"),
        QStringLiteral("Messages for the one-insert-per-message run (default 10000)."), QStringLiteral("n"),
        QStringLiteral("10000"));
    parser.addOptions({pgOption, dirOption, messagesOption, sessionsOption, seedOption});
    parser.process(app);
    const int messages = parser.value(messagesOption).toInt();
    const int sessions = parser.value(sessionsOption).toInt();
    const int seedMessages = parser.value(seedOption).toInt();
    QTemporaryDir scratch;
    const QString sqliteDir = parser.isSet(dirOption) ? parser.value(dirOption) : scratch.path();

    QJsonObject report {{QStringLiteral("benchmark"), QStringLiteral("tracker")},
        {QStringLiteral("version"), QStringLiteral(VOXTRACK_VERSION)},
        {QStringLiteral("cores"), QThread::idealThreadCount()}, {QStringLiteral("messages"), messages},
        {QStringLiteral("sessions"), sessions}, {QStringLiteral("seed_messages"), seedMessages}};

    QList<DatabaseUrl> backends {
        *DatabaseUrl::parse(QStringLiteral("sqlite://") + QDir(sqliteDir).filePath(QStringLiteral("base.db")))};
    if (parser.isSet(pgOption)) {
        auto pg = DatabaseUrl::parse(parser.value(pgOption));
        if (!pg)
            die(pg.error().toString());
        backends.prepend(*pg);
    }
    for (const DatabaseUrl& base : std::as_const(backends)) {
        const QString name = base.isPostgreSql() ? QStringLiteral("postgresql") : QStringLiteral("sqlite");
        err() << "bench: " << name << Qt::endl;
        QJsonObject results;
        auto fresh = [&](const QString& run) {
            const DatabaseUrl url = freshDatabase(base, sqliteDir, QStringLiteral("vt_bench_") + run);
            migrate(url);
            return url;
        };
        const double ceiling = ceilingRate(fresh(QStringLiteral("ceiling")), sessions, messages);
        results.insert(
            base.isPostgreSql() ? QStringLiteral("raw_copy_rows_per_s") : QStringLiteral("raw_transaction_rows_per_s"),
            ceiling);
        const double seed = seedRate(fresh(QStringLiteral("seed")), sessions, seedMessages);
        results.insert(QStringLiteral("seed_one_insert_per_message_rows_per_s"), seed);

        QList<std::pair<QString, tracker::BatchWriter::PostgresPath>> paths {
            {QStringLiteral("copy"), tracker::BatchWriter::PostgresPath::Copy}};
        if (base.isPostgreSql())
            paths.append({QStringLiteral("multirow_insert"), tracker::BatchWriter::PostgresPath::MultiRowInsert});
        double best = 0;
        for (const auto& [pathName, path] : paths) {
            for (const bool journaled : {false, true}) {
                QTemporaryDir journal;
                const QString key = QStringLiteral("writer%1%2")
                                        .arg(base.isPostgreSql() ? QStringLiteral("_") + pathName : QString(),
                                            journaled ? QStringLiteral("_journal") : QString());
                err() << "bench:   " << key << Qt::endl;
                const WriterResult writer
                    = writerRate(fresh(key), sessions, messages, journaled ? journal.path() : QString(), path);
                results.insert(key + QStringLiteral("_rows_per_s"), writer.rate);
                if (!journaled)
                    best = std::max(best, writer.rate);
                if (!journaled && path == tracker::BatchWriter::PostgresPath::Copy) {
                    results.insert(QStringLiteral("enqueue_latency_us"),
                        QJsonObject {{QStringLiteral("p50"), writer.p50us}, {QStringLiteral("p99"), writer.p99us},
                            {QStringLiteral("p999"), writer.p999us}, {QStringLiteral("max"), writer.maxUs}});
                }
            }
        }
        results.insert(QStringLiteral("writer_vs_ceiling"), best / ceiling);
        results.insert(QStringLiteral("writer_vs_seed"), best / seed);
        {
            QTemporaryDir journal;
            err() << "bench:   end to end" << Qt::endl;
            results.insert(QStringLiteral("end_to_end_rows_per_s"),
                endToEndRate(fresh(QStringLiteral("e2e")), journal.path(), 200, std::max(1, messages / 4 / 200)));
        }
        if (base.isPostgreSql() || backends.size() == 1) {
            QTemporaryDir journal;
            err() << "bench:   2000 idle sessions" << Qt::endl;
            report.insert(
                QStringLiteral("idle_sessions"), idleRss(fresh(QStringLiteral("idle")), journal.path(), 2000));
        }
        err() << QJsonDocument(results).toJson(QJsonDocument::Compact) << Qt::endl;
        report.insert(name, results);
    }
    QTextStream(stdout) << QJsonDocument(report).toJson(QJsonDocument::Indented);
    return 0;
}
