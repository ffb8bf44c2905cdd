// SPDX-License-Identifier: MIT
// voxtrackd as a process: killed, terminated, and with its database going away.
#include "core/protocol.h"
#include "store/connection.h"
#include "store/doctor.h"
#include "support/testdatabase.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <csignal>
#include <memory>

using namespace voxtrack;
using voxtrack::test::TestDatabase;

namespace {

/// One conversation over a real WebSocket, sending messages as fast as they are acknowledged
/// (a window of unacknowledged frames), recording what the server acknowledged.
class Client : public QObject {
    Q_OBJECT

public:
    Client(const QUrl& url, QString name, int total, int window)
        : m_name(std::move(name))
        , m_total(total)
        , m_window(window)
    {
        connect(&m_socket, &QWebSocket::textMessageReceived, this, &Client::onText);
        connect(&m_socket, &QWebSocket::disconnected, this, [this] { m_closed = true; });
        m_socket.open(url);
    }

    QSet<QUuid> acked;
    QString sessionId;
    QList<protocol::SessionEnded> ended;
    bool sendingStopped = false;
    int sent = 0;

    [[nodiscard]] bool closed() const { return m_closed; }
    [[nodiscard]] quint16 closeCode() const { return quint16(m_socket.closeCode()); }
    void stopSending() { sendingStopped = true; }
    void resumeSending(int total)
    {
        sendingStopped = false;
        m_total = total;
        pump();
    }
    void endSession() { m_socket.sendTextMessage(QStringLiteral("{\"type\":\"session.end\"}")); }

private:
    void pump()
    {
        while (!sendingStopped && sent < m_total && sent - int(acked.size()) < m_window) {
            ++sent;
            const QJsonObject frame {{QStringLiteral("type"), QStringLiteral("user.message")},
                {QStringLiteral("id"), QStringLiteral("%1-%2").arg(m_name).arg(sent)},
                {QStringLiteral("content"), QStringLiteral("message %1 of %2").arg(sent).arg(m_name)}};
            m_socket.sendTextMessage(QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact)));
        }
    }

    void onText(const QString& text)
    {
        const auto frame = protocol::parseServerFrame(QStringView(text));
        if (!frame)
            return;
        if (const auto* started = std::get_if<protocol::SessionStarted>(&*frame)) {
            sessionId = started->sessionId;
            pump();
        } else if (const auto* ack = std::get_if<protocol::MessageAck>(&*frame)) {
            acked.insert(ack->messageId);
            pump();
        } else if (const auto* end = std::get_if<protocol::SessionEnded>(&*frame)) {
            ended.append(*end);
        }
    }

    QWebSocket m_socket;
    QString m_name;
    int m_total;
    int m_window;
    bool m_closed = false;
};

class Daemon {
public:
    ~Daemon() { kill(); }

    bool start(const DatabaseUrl& database, const QString& journal, const QStringList& extra = {})
    {
        m_output.clear();
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("voxtrack.tracker.info=false"));
        m_process->setProcessEnvironment(environment);
        m_process->start(qEnvironmentVariable("VOXTRACKD"),
            QStringList {QStringLiteral("--db"), database.toString(), QStringLiteral("--journal"), journal,
                QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-auth"),
                QStringLiteral("--silent-agent"), QStringLiteral("--shutdown-timeout"), QStringLiteral("10000"),
                QStringLiteral("--audio-dir"), QDir(journal).filePath(QStringLiteral("audio"))}
                + extra);
        if (!m_process->waitForStarted(10000))
            return false;
        static const QRegularExpression listening(QStringLiteral("listening on (ws://\\S+)"));
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 20000) {
            m_process->waitForReadyRead(100);
            m_output += QString::fromUtf8(m_process->readAllStandardOutput());
            const auto match = listening.match(m_output);
            if (match.hasMatch()) {
                url = QUrl(match.captured(1));
                return true;
            }
            if (m_process->state() == QProcess::NotRunning)
                break;
        }
        return false;
    }

    [[nodiscard]] QString errors() { return QString::fromUtf8(m_process->readAllStandardError()); }

    QUrl conversation(const QString& user) const
    {
        QUrl withUser = url;
        withUser.setQuery(QStringLiteral("user_id=") + user);
        return withUser;
    }

    QJsonObject health() const
    {
        QTcpSocket socket;
        socket.connectToHost(url.host(), quint16(url.port()));
        if (!socket.waitForConnected(2000))
            return {};
        socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray response;
        while (socket.waitForReadyRead(2000))
            response += socket.readAll();
        return QJsonDocument::fromJson(response.mid(response.indexOf("\r\n\r\n") + 4)).object();
    }

    void signal(int number) { ::kill(pid_t(m_process->processId()), number); }
    bool waitForExit(int ms) { return m_process->waitForFinished(ms); }
    [[nodiscard]] int exitCode() const { return m_process->exitCode(); }
    [[nodiscard]] QProcess::ExitStatus exitStatus() const { return m_process->exitStatus(); }

    void kill()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }

    QUrl url;

private:
    std::unique_ptr<QProcess> m_process;
    QString m_output;
};

qint64 count(store::Connection& connection, const QString& sql)
{
    const auto value = connection.scalar(sql);
    return value ? value->toLongLong() : -1;
}

int pgCluster(const QString& command)
{
    return QProcess::execute(QStringLiteral("bash"),
        {QStringLiteral(VOXTRACK_SOURCE_DIR "/scripts/pg-cluster"), command,
            qEnvironmentVariable("VOXTRACK_TEST_PG_DIR")});
}

} // namespace

class TestVoxtrackd : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<QTemporaryDir> m_journal;
    bool m_paused = false;

    /// Every acknowledged message is stored exactly once, and no message twice.
    void verifyAckedStoredOnce(const QList<Client*>& clients)
    {
        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) - count(DISTINCT message_id) FROM conversation_messages")),
            0);
        QSet<QString> stored;
        QSqlQuery query(connection->database());
        QVERIFY(query.exec(QStringLiteral("SELECT message_id FROM conversation_messages WHERE role = 'user'")));
        while (query.next())
            stored.insert(query.value(0).toString().remove(u'{').remove(u'}').toLower());
        int acked = 0;
        for (const Client* client : clients) {
            for (const QUuid& id : client->acked) {
                ++acked;
                QVERIFY2(stored.contains(id.toString(QUuid::WithoutBraces)),
                    qPrintable(QStringLiteral("acknowledged message %1 is not in the database")
                                   .arg(id.toString(QUuid::WithoutBraces))));
            }
        }
        QVERIFY(acked > 0);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(qEnvironmentVariable("VOXTRACKD")), "VOXTRACKD must name the voxtrackd binary");
    }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_journal = std::make_unique<QTemporaryDir>();
        QVERIFY(m_journal->isValid());
    }

    void cleanup()
    {
        if (m_paused) {
            pgCluster(QStringLiteral("resume"));
            m_paused = false;
        }
        m_database.reset();
        m_journal.reset();
    }

    void unwritableAudioDirectoryStopsTheStart()
    {
        QFile blocker(m_journal->filePath(QStringLiteral("a-file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        Daemon daemon;
        QVERIFY(!daemon.start(m_database->url(), m_journal->path(),
            {QStringLiteral("--audio-dir"), m_journal->filePath(QStringLiteral("a-file/audio"))}));
        daemon.waitForExit(10000); // false when it has already exited
        QCOMPARE(daemon.exitCode(), 2);
        const QString errors = daemon.errors();
        QVERIFY2(errors.contains(QStringLiteral("[server.audio_dir]")), qPrintable(errors));
        QCOMPARE(errors.count(u'\n'), 1);
    }

    void utterancesGoToTheAudioDirectory()
    {
        const QString audio = m_journal->filePath(QStringLiteral("spoken"));
        Daemon daemon;
        QVERIFY2(
            daemon.start(m_database->url(), m_journal->path(),
                {QStringLiteral("--audio-dir"), audio, QStringLiteral("--max-audio-seconds"), QStringLiteral("2")}),
            qPrintable(daemon.errors()));
        QVERIFY(QFileInfo(audio).isDir());
        QWebSocket socket;
        QStringList texts;
        connect(&socket, &QWebSocket::textMessageReceived, &socket, [&texts](const QString& text) { texts << text; });
        socket.open(daemon.conversation(QStringLiteral("speaker")));
        QTRY_COMPARE(texts.size(), 1); // session.started
        socket.sendTextMessage(
            QStringLiteral("{\"type\":\"audio.start\",\"id\":\"a1\",\"format\":\"pcm_s16le\",\"sample_rate\":16000}"));
        socket.sendBinaryMessage(QByteArray(32000, '\x01'));
        socket.sendTextMessage(QStringLiteral("{\"type\":\"audio.end\",\"id\":\"a1\",\"transcript\":\"hi\"}"));
        // Three seconds against --max-audio-seconds 2.
        socket.sendTextMessage(
            QStringLiteral("{\"type\":\"audio.start\",\"id\":\"a2\",\"format\":\"pcm_s16le\",\"sample_rate\":16000}"));
        socket.sendBinaryMessage(QByteArray(96000, '\x01'));
        QTRY_COMPARE(texts.size(), 3);
        // The error goes out at once, the ack once the journal holds the message: either may come first.
        QUuid messageId;
        QString tooLong;
        for (const QString& text : std::as_const(texts)) {
            const auto frame = protocol::parseServerFrame(QStringView(text));
            QVERIFY2(frame, qPrintable(text));
            if (const auto* ack = std::get_if<protocol::MessageAck>(&*frame))
                messageId = ack->messageId;
            else if (const auto* error = std::get_if<protocol::ErrorFrame>(&*frame))
                tooLong = error->code + u' ' + error->ref;
        }
        QCOMPARE(tooLong, QStringLiteral("audio.too_long a2"));
        QFile file(QDir(audio).filePath(messageId.toString(QUuid::WithoutBraces) + QStringLiteral(".wav")));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
        QCOMPARE(file.size(), 32000 + 44);
        QCOMPARE(QDir(audio).entryList(QDir::Files).size(), 1);
    }

    void killedMidRunLosesNothing()
    {
        Daemon daemon;
        QVERIFY2(daemon.start(m_database->url(), m_journal->path()), qPrintable(daemon.errors()));
        QList<Client*> clients;
        for (int i = 0; i < 6; ++i)
            clients << new Client(
                daemon.conversation(QStringLiteral("user-%1").arg(i)), QStringLiteral("c%1").arg(i), 100000, 16);
        auto totalAcked = [&] {
            qsizetype n = 0;
            for (const Client* client : clients)
                n += client->acked.size();
            return n;
        };
        QTRY_VERIFY_WITH_TIMEOUT(totalAcked() >= 1500, 30000);
        daemon.signal(SIGKILL);
        daemon.waitForExit(10000); // false when it has already exited
        QCOMPARE(daemon.exitStatus(), QProcess::CrashExit);
        QTRY_VERIFY(std::all_of(clients.cbegin(), clients.cend(), [](const Client* c) { return c->closed(); }));

        // Same database, same journal.
        Daemon restarted;
        QVERIFY2(restarted.start(m_database->url(), m_journal->path()), qPrintable(restarted.errors()));
        QTRY_COMPARE_WITH_TIMEOUT(restarted.health().value(QStringLiteral("queue_depth")).toInt(-1), 0, 30000);
        auto connection = m_database->connect();
        QVERIFY(connection);
        QTRY_COMPARE_WITH_TIMEOUT(count(*connection,
                                      QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE "
                                                     "end_reason = 'recovered'")),
            qint64(clients.size()), 20000);
        verifyAckedStoredOnce(clients);
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE is_active = %1")
                         .arg(m_database->isPostgreSql() ? QStringLiteral("true") : QStringLiteral("1"))),
            0);
        restarted.signal(SIGTERM);
        QVERIFY(restarted.waitForExit(20000));
        QCOMPARE(restarted.exitCode(), 0);

        auto readOnly = store::Connection::open(m_database->url(), store::Connection::Access::ReadOnly);
        QVERIFY(readOnly);
        const auto report = store::Doctor(**readOnly).run();
        QVERIFY2(report, qPrintable(report.errorText()));
        QVERIFY2(!report->hasErrors(), qPrintable(report->toText()));
        qDeleteAll(clients);
    }

    void terminateEndsOpenSessions()
    {
        Daemon daemon;
        QVERIFY2(daemon.start(m_database->url(), m_journal->path()), qPrintable(daemon.errors()));
        Client first(daemon.conversation(QStringLiteral("a")), QStringLiteral("a"), 5, 5);
        Client second(daemon.conversation(QStringLiteral("b")), QStringLiteral("b"), 5, 5);
        QTRY_COMPARE(first.acked.size(), 5);
        QTRY_COMPARE(second.acked.size(), 5);
        daemon.signal(SIGTERM);
        QTRY_COMPARE(first.ended.size(), 1);
        QTRY_COMPARE(second.ended.size(), 1);
        QCOMPARE(first.ended.constFirst().reason, EndReason::ServerShutdown);
        QCOMPARE(first.ended.constFirst().messages, 5);
        QTRY_VERIFY(first.closed());
        QCOMPARE(first.closeCode(), quint16(1001));
        QVERIFY(daemon.waitForExit(20000));
        QCOMPARE(daemon.exitStatus(), QProcess::NormalExit);
        QCOMPARE(daemon.exitCode(), 0);
        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE "
                                    "end_reason = 'server_shutdown' AND message_count = 5")),
            2);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(*) FROM conversation_messages WHERE role = 'user'")), 10);
    }

    void databaseAwayMidRunLosesNothing()
    {
        Daemon daemon;
        QVERIFY2(daemon.start(m_database->url(), m_journal->path()), qPrintable(daemon.errors()));
        QList<Client*> clients;
        for (int i = 0; i < 3; ++i)
            clients << new Client(
                daemon.conversation(QStringLiteral("user-%1").arg(i)), QStringLiteral("c%1").arg(i), 300, 8);
        QTRY_VERIFY_WITH_TIMEOUT(clients.constFirst()->acked.size() >= 100, 20000);

        std::unique_ptr<store::Connection> blocker;
        if (m_database->isPostgreSql()) {
            QVERIFY2(!qEnvironmentVariableIsEmpty("VOXTRACK_TEST_PG_DIR"),
                "VOXTRACK_TEST_PG_DIR must name the throwaway cluster (scripts/test sets it)");
            QCOMPARE(pgCluster(QStringLiteral("pause")), 0);
            m_paused = true;
            QTRY_COMPARE_WITH_TIMEOUT(
                daemon.health().value(QStringLiteral("database")).toString(), QStringLiteral("down"), 20000);
        } else {
            // SQLite cannot go away; a writer that holds the database locked is the nearest fault.
            blocker = m_database->connect();
            QVERIFY(blocker);
            VOXTRACK_VERIFY_OK(blocker->exec(QStringLiteral("BEGIN EXCLUSIVE")));
        }
        // Messages keep being accepted (journaled) while the database is away.
        const qsizetype before = clients.constFirst()->acked.size();
        QTRY_VERIFY_WITH_TIMEOUT(clients.constFirst()->acked.size() >= before + 50, 20000);
        QVERIFY(daemon.health().value(QStringLiteral("queue_depth")).toInt() > 0);

        if (m_database->isPostgreSql()) {
            QCOMPARE(pgCluster(QStringLiteral("resume")), 0);
            m_paused = false;
        } else {
            VOXTRACK_VERIFY_OK(blocker->exec(QStringLiteral("COMMIT")));
            blocker.reset();
        }
        QTRY_VERIFY_WITH_TIMEOUT(
            std::all_of(clients.cbegin(), clients.cend(), [](const Client* c) { return c->acked.size() == 300; }),
            60000);
        for (Client* client : std::as_const(clients))
            client->endSession();
        QTRY_VERIFY_WITH_TIMEOUT(
            std::all_of(clients.cbegin(), clients.cend(), [](const Client* c) { return !c->ended.isEmpty(); }), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(daemon.health().value(QStringLiteral("queue_depth")).toInt(-1), 0, 60000);
        QCOMPARE(daemon.health().value(QStringLiteral("database")).toString(), QStringLiteral("up"));
        verifyAckedStoredOnce(clients);
        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(*) FROM conversation_messages WHERE role = 'user'")), 900);
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE "
                                    "end_reason = 'client_closed' AND message_count = 300")),
            3);
        daemon.signal(SIGTERM);
        QVERIFY(daemon.waitForExit(20000));
        qDeleteAll(clients);
    }
};

QTEST_GUILESS_MAIN(TestVoxtrackd)
#include "tst_voxtrackd.moc"
