// SPDX-License-Identifier: MIT
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>
#include <QUuid>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace voxtrack;
using voxtrack::test::TestDatabase;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;

    [[nodiscard]] QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
    [[nodiscard]] QStringList errLines() const { return err.split(u'\n', Qt::SkipEmptyParts); }
};

QProcessEnvironment quietEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("voxtrack.*.info=false"));
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    environment.remove(QStringLiteral("LANGUAGE"));
    return environment;
}

Run runCli(const QStringList& arguments)
{
    QProcess process;
    process.setProcessEnvironment(quietEnvironment());
    process.start(qEnvironmentVariable("VOXTRACK_CLI"), arguments);
    Run run;
    if (!process.waitForFinished(120000)) {
        run.err = QStringLiteral("voxtrack-cli did not finish: ") + process.errorString();
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

/// Every row of a query, each as its list of column values.
QList<QVariantList> rows(store::Connection& connection, const QString& sql)
{
    QSqlQuery query(connection.database());
    QList<QVariantList> result;
    if (!query.exec(sql)) {
        QTest::qFail(qPrintable(sql + QStringLiteral(": ") + query.lastError().text()), __FILE__, __LINE__);
        return result;
    }
    while (query.next()) {
        QVariantList row;
        for (int i = 0; i < query.record().count(); ++i)
            row << query.value(i);
        result << row;
    }
    return result;
}

qint64 count(store::Connection& connection, const QString& sql)
{
    const auto value = connection.scalar(sql);
    if (!value) {
        QTest::qFail(qPrintable(value.errorText()), __FILE__, __LINE__);
        return -1;
    }
    return value->toLongLong();
}

/// A JSON object as text with sorted keys and no spaces, whichever way the database stored it.
QString canonicalJson(const QVariant& value)
{
    if (value.isNull())
        return QStringLiteral("null");
    return QString::fromUtf8(
        QJsonDocument(QJsonDocument::fromJson(value.toString().toUtf8()).object()).toJson(QJsonDocument::Compact));
}

QJsonObject object(const QVariant& value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

} // namespace

class TestSeed : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;

    QString dbUrl() const { return m_database->url().toString(); }
    store::Backend backend() const { return m_database->backend(); }

    static void migrate(const TestDatabase& database)
    {
        auto connection = database.connect();
        QVERIFY(connection);
        const auto migrated = store::Migrator(*connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
    }

    static Run seed(const QString& url, const QStringList& options)
    {
        return runCli(QStringList {QStringLiteral("seed"), QStringLiteral("--db"), url} + options);
    }

    /// The doctor finds nothing at all: every check passed.
    static void verifyDoctorIsSilent(const QString& url)
    {
        const Run doctor = runCli({QStringLiteral("doctor"), QStringLiteral("--db"), url, QStringLiteral("--json")});
        QCOMPARE(doctor.exitCode, 0);
        const QJsonArray checks = doctor.json().value(QStringLiteral("checks")).toArray();
        QVERIFY(!checks.isEmpty());
        for (const QJsonValue& value : checks) {
            const QJsonObject check = value.toObject();
            QVERIFY2(check.value(QStringLiteral("status")).toString() == u"passed",
                qPrintable(QString::fromUtf8(QJsonDocument(check).toJson(QJsonDocument::Compact))));
        }
    }

    /// The rows that must come out the same for one seed: sessions in id order, times relative to
    /// the first session's start, then their messages in seq order, times relative to their session.
    /// Without audio, whether a message has an audio_url is left out.
    QStringList content(const TestDatabase& database, bool audio = true)
    {
        auto connection = database.connect();
        if (!connection)
            return {};
        const store::Backend b = database.backend();
        const auto sessions = rows(*connection,
            QStringLiteral("SELECT id, user_id, %1, %2, is_active, %3, message_count, end_reason, duration_seconds "
                           "FROM conversation_sessions ORDER BY id")
                .arg(test::sqlEpochMs(b, QStringLiteral("started_at")), test::sqlEpochMs(b, QStringLiteral("ended_at")),
                    test::sqlText(b, QStringLiteral("metadata"))));
        QStringList lines;
        if (sessions.isEmpty())
            return lines;
        const qint64 origin = sessions.constFirst().at(2).toLongLong();
        for (const QVariantList& s : sessions) {
            lines << QStringLiteral("session %1 %2 %3 %4 %5 %6 %7 %8")
                         .arg(s.at(1).toString())
                         .arg(s.at(2).toLongLong() - origin)
                         .arg(s.at(3).isNull() ? QStringLiteral("open")
                                               : QString::number(s.at(3).toLongLong() - s.at(2).toLongLong()))
                         .arg(s.at(4).toBool())
                         .arg(canonicalJson(s.at(5)))
                         .arg(s.at(6).toLongLong())
                         .arg(s.at(7).toString())
                         .arg(s.at(8).isNull() ? QStringLiteral("-") : QString::number(s.at(8).toDouble(), 'f', 3));
        }
        const auto messages = rows(*connection,
            QStringLiteral("SELECT m.seq, m.role, m.content, m.audio_url IS NULL, %1, %2 - %3 "
                           "FROM conversation_messages m JOIN conversation_sessions s ON s.session_id = m.session_id "
                           "ORDER BY s.id, m.seq")
                .arg(test::sqlText(b, QStringLiteral("m.metadata")),
                    test::sqlEpochMs(b, QStringLiteral("m.created_at")),
                    test::sqlEpochMs(b, QStringLiteral("s.started_at"))));
        for (const QVariantList& m : messages) {
            lines << QStringLiteral("message %1 %2 %3 %4 %5 +%6")
                         .arg(m.at(0).toLongLong())
                         .arg(m.at(1).toString(), m.at(2).toString())
                         .arg(audio ? QVariant(m.at(3).toBool()).toString() : QStringLiteral("-"))
                         .arg(canonicalJson(m.at(4)))
                         .arg(m.at(5).toLongLong());
        }
        return lines;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(qEnvironmentVariable("VOXTRACK_CLI")), "VOXTRACK_CLI must name the voxtrack-cli binary");
    }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
    }

    void cleanup() { m_database.reset(); }

    void badArgumentsExitTwoWithOneSentence_data()
    {
        QTest::addColumn<QStringList>("arguments");
        const QStringList both {QStringLiteral("--sessions"), QStringLiteral("10"),
            QStringLiteral("--messages-per-session"), QStringLiteral("4")};
        QTest::addRow("no --sessions") << QStringList {QStringLiteral("--messages-per-session"), QStringLiteral("4")};
        QTest::addRow("no --messages-per-session") << QStringList {QStringLiteral("--sessions"), QStringLiteral("4")};
        QTest::addRow("no sessions") << QStringList {QStringLiteral("--sessions"), QStringLiteral("0"),
            QStringLiteral("--messages-per-session"), QStringLiteral("4")};
        QTest::addRow("too many sessions") << QStringList {QStringLiteral("--sessions"), QStringLiteral("10000001"),
            QStringLiteral("--messages-per-session"), QStringLiteral("4")};
        QTest::addRow("sessions not a number") << QStringList {QStringLiteral("--sessions"), QStringLiteral("many"),
            QStringLiteral("--messages-per-session"), QStringLiteral("4")};
        QTest::addRow("negative messages") << QStringList {QStringLiteral("--sessions"), QStringLiteral("10"),
            QStringLiteral("--messages-per-session"), QStringLiteral("-1")};
        QTest::addRow("too many messages") << QStringList {QStringLiteral("--sessions"), QStringLiteral("10"),
            QStringLiteral("--messages-per-session"), QStringLiteral("1001")};
        QTest::addRow("no users") << both + QStringList {QStringLiteral("--users"), QStringLiteral("0")};
        QTest::addRow("no days") << both + QStringList {QStringLiteral("--days"), QStringLiteral("0")};
        QTest::addRow("active above 100") << both + QStringList {QStringLiteral("--active"), QStringLiteral("101")};
        QTest::addRow("active not a number") << both + QStringList {QStringLiteral("--active"), QStringLiteral("lots")};
        QTest::addRow("negative seed") << both + QStringList {QStringLiteral("--seed"), QStringLiteral("-1")};
        QTest::addRow("seed too large") << both
                + QStringList {QStringLiteral("--seed"), QStringLiteral("9007199254740992")};
        QTest::addRow("unknown option") << both + QStringList {QStringLiteral("--fast")};
        QTest::addRow("stray argument") << both + QStringList {QStringLiteral("extra")};
    }

    void badArgumentsExitTwoWithOneSentence()
    {
        QFETCH(QStringList, arguments);
        migrate(*m_database);
        const Run run = seed(dbUrl(), arguments);
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.startsWith(QStringLiteral("voxtrack-cli: ")), qPrintable(run.err));
        QVERIFY2(run.err.endsWith(QStringLiteral(". [usage]\n")), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());

        const Run json = seed(dbUrl(), arguments + QStringList {QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 2);
        QCOMPARE(json.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString(),
            QStringLiteral("usage"));

        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions")), 0);
    }

    void unmigratedDatabaseExitsTwo()
    {
        const QStringList options {QStringLiteral("--sessions"), QStringLiteral("10"),
            QStringLiteral("--messages-per-session"), QStringLiteral("4")};
        if (!m_database->isPostgreSql()) {
            // No file at all: it is not created.
            const Run run = seed(dbUrl(), options);
            QCOMPARE(run.exitCode, 2);
            QCOMPARE(run.errLines().size(), 1);
            QVERIFY2(run.err.endsWith(QStringLiteral("[seed.not_migrated]\n")), qPrintable(run.err));
            QVERIFY2(run.err.contains(QStringLiteral("voxtrack-cli migrate")), qPrintable(run.err));
            QVERIFY(!QFile::exists(m_database->url().sqlitePath()));
        }
        {
            // A database without the conversation tables (a fresh PostgreSQL database, a SQLite
            // file with something else in it).
            auto connection = m_database->connect();
            QVERIFY(connection);
            VOXTRACK_VERIFY_OK(connection->exec(QStringLiteral("CREATE TABLE unrelated (x INTEGER)")));
        }
        Run run = seed(dbUrl(), options);
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.endsWith(QStringLiteral("[seed.not_migrated]\n")), qPrintable(run.err));
        QVERIFY2(run.err.contains(QStringLiteral("voxtrack-cli migrate")), qPrintable(run.err));

        // Only one of the tables, without the tracking columns.
        {
            auto connection = m_database->connect();
            QVERIFY(connection);
            VOXTRACK_VERIFY_OK(connection->exec(
                QStringLiteral("CREATE TABLE conversation_sessions (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL "
                               "UNIQUE, user_id TEXT NOT NULL, started_at TEXT)")));
        }
        run = seed(dbUrl(), options + QStringList {QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString(),
            QStringLiteral("seed.not_migrated"));
    }

    void seededDataIsConsistentAndPassesTheDoctor()
    {
        migrate(*m_database);
        const Run run = seed(dbUrl(),
            {QStringLiteral("--sessions"), QStringLiteral("200"), QStringLiteral("--messages-per-session"),
                QStringLiteral("11"), QStringLiteral("--users"), QStringLiteral("15"), QStringLiteral("--active"),
                QStringLiteral("5"), QStringLiteral("--days"), QStringLiteral("7"), QStringLiteral("--seed"),
                QStringLiteral("3"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.err.isEmpty(), qPrintable(run.err)); // no progress line when stderr is not a terminal
        const QJsonObject summary = run.json();
        QCOMPARE(summary.value(QStringLiteral("sessions")).toInteger(), 200);
        QCOMPARE(summary.value(QStringLiteral("open_sessions")).toInteger(), 10);
        QCOMPARE(summary.value(QStringLiteral("messages")).toInteger(), 2200);
        QCOMPARE(summary.value(QStringLiteral("rows")).toInteger(), 2400);
        QCOMPARE(summary.value(QStringLiteral("users")).toInteger(), 15);
        QCOMPARE(summary.value(QStringLiteral("seed")).toInteger(), 3);
        QVERIFY(summary.value(QStringLiteral("seconds")).toDouble() > 0);
        QVERIFY(summary.value(QStringLiteral("rows_per_second")).toDouble() > 0);

        verifyDoctorIsSilent(dbUrl());

        auto connection = m_database->connect();
        QVERIFY(connection);
        const store::Backend b = backend();
        const QString isActive
            = m_database->isPostgreSql() ? QStringLiteral("is_active") : QStringLiteral("is_active = 1");
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions")), 200);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_messages")), 2200);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(DISTINCT session_id) FROM conversation_messages")), 200);
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE %1 AND ended_at IS NULL AND "
                                    "session_end IS NULL AND duration_seconds IS NULL AND end_reason IS NULL")
                         .arg(isActive)),
            10);
        // Roles: the system prompt first, then user and agent by turns.
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_messages WHERE role NOT IN ('user', 'agent', "
                                    "'system') OR (seq = 1 AND role <> 'system') OR (seq > 1 AND seq % 2 = 0 AND "
                                    "role <> 'user') OR (seq > 1 AND seq % 2 = 1 AND role <> 'agent')")),
            0);
        // seq runs 1 … 11 in every session, and message_count says so.
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM (SELECT session_id FROM conversation_messages GROUP BY "
                                    "session_id HAVING count(*) <> 11 OR count(DISTINCT seq) <> 11 OR min(seq) <> 1 "
                                    "OR max(seq) <> 11) AS wrong")),
            0);
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_sessions s WHERE message_count <> (SELECT "
                                    "count(*) FROM conversation_messages m WHERE m.session_id = s.session_id)")),
            0);
        // Durations: the columns agree to the millisecond, from ten seconds to half an hour.
        const QString started = test::sqlEpochMs(b, QStringLiteral("started_at"));
        const QString ended = test::sqlEpochMs(b, QStringLiteral("ended_at"));
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE ended_at IS NOT NULL AND (%1 "
                                    "<> %2 OR %3 <> %4 OR abs(duration_seconds * 1000 - (%4 - %2)) > 0.5 OR "
                                    "duration_seconds < 10 OR duration_seconds > 1800 OR end_reason NOT IN "
                                    "('client_closed', 'timeout') OR %5)")
                         .arg(test::sqlEpochMs(b, QStringLiteral("session_start")), started,
                             test::sqlEpochMs(b, QStringLiteral("session_end")), ended, isActive)),
            0);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE ended_at IS NOT NULL")),
            190);
        // Messages increase in time within their session.
        QCOMPARE(count(*connection,
                     QStringLiteral("SELECT count(*) FROM conversation_messages a JOIN conversation_messages b ON "
                                    "b.session_id = a.session_id AND b.seq = a.seq + 1 WHERE %1 <= %2")
                         .arg(test::sqlEpochMs(b, QStringLiteral("b.created_at")),
                             test::sqlEpochMs(b, QStringLiteral("a.created_at")))),
            0);

        // Sessions: users from the pool, spread over the days, open ones started within the hour.
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const QRegularExpression userId(QStringLiteral("^user-00(0[1-9]|1[0-5])$"));
        const QRegularExpression version(QStringLiteral("^\\d+\\.\\d+\\.\\d+$"));
        const QRegularExpression locale(QStringLiteral("^en-[A-Z]{2}$"));
        QSet<QString> users;
        const auto sessions = rows(*connection,
            QStringLiteral("SELECT session_id, user_id, %1, %2, %3 FROM conversation_sessions")
                .arg(started, ended, test::sqlText(b, QStringLiteral("metadata"))));
        QCOMPARE(sessions.size(), 200);
        qint64 earliest = now;
        for (const QVariantList& s : sessions) {
            QVERIFY2(!QUuid::fromString(s.at(0).toString()).isNull(), qPrintable(s.at(0).toString()));
            QVERIFY2(userId.match(s.at(1).toString()).hasMatch(), qPrintable(s.at(1).toString()));
            users << s.at(1).toString();
            const qint64 start = s.at(2).toLongLong();
            earliest = std::min(earliest, start);
            QVERIFY(start >= now - 7 * 86'400'000LL - 60'000 && start < now);
            if (s.at(3).isNull())
                QVERIFY2(start > now - 3'600'000, "open sessions start within the last hour");
            else
                QVERIFY(s.at(3).toLongLong() < now);
            const QJsonObject metadata = object(s.at(4));
            QCOMPARE(metadata.size(), 3);
            QVERIFY(QStringList({QStringLiteral("phone"), QStringLiteral("web"), QStringLiteral("app")})
                        .contains(metadata.value(QStringLiteral("channel")).toString()));
            QVERIFY(locale.match(metadata.value(QStringLiteral("locale")).toString()).hasMatch());
            QVERIFY(version.match(metadata.value(QStringLiteral("agent_version")).toString()).hasMatch());
        }
        QVERIFY2(users.size() > 5, "sessions spread over the users");
        QVERIFY2(earliest < now - 5 * 86'400'000LL, "sessions spread over the days");

        // Messages: what each role carries, and agent replies as late as their latency says.
        const QRegularExpression audio(
            QStringLiteral("^https://audio\\.example\\.invalid/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                           "[0-9a-f]{12}\\.wav$"));
        const auto messages = rows(*connection,
            QStringLiteral("SELECT m.seq, m.role, m.content, m.audio_url, %1, %2, %3, m.user_id, s.user_id "
                           "FROM conversation_messages m JOIN conversation_sessions s ON s.session_id = m.session_id "
                           "ORDER BY s.id, m.seq")
                .arg(test::sqlText(b, QStringLiteral("m.metadata")),
                    test::sqlEpochMs(b, QStringLiteral("m.created_at")),
                    test::sqlText(b, QStringLiteral("m.message_id"))));
        QCOMPARE(messages.size(), 2200);
        QSet<QString> texts;
        QSet<QString> messageIds;
        int withAudio = 0;
        int withoutAudio = 0;
        qint64 previousTime = 0;
        for (const QVariantList& m : messages) {
            const int seq = m.at(0).toInt();
            const QString role = m.at(1).toString();
            const QString content = m.at(2).toString();
            const QJsonObject metadata = object(m.at(4));
            const qint64 time = m.at(5).toLongLong();
            QVERIFY(!content.isEmpty());
            QCOMPARE(m.at(7).toString(), m.at(8).toString());
            QVERIFY(!QUuid::fromString(m.at(6).toString()).isNull());
            messageIds << m.at(6).toString();
            texts << content;
            if (role == u"system") {
                QVERIFY(m.at(3).isNull());
                QVERIFY(m.at(4).isNull());
            } else if (role == u"user") {
                QVERIFY(m.at(3).isNull());
                const double confidence = metadata.value(QStringLiteral("asr_confidence")).toDouble();
                QVERIFY2(confidence >= 0.7 && confidence <= 0.99, qPrintable(m.at(4).toString()));
            } else {
                QCOMPARE(metadata.value(QStringLiteral("reply_to")).toString(), QStringLiteral("m%1").arg(seq / 2));
                const qint64 latency = metadata.value(QStringLiteral("reply_latency_ms")).toInteger();
                QVERIFY2(latency >= 150 && latency <= 1500, qPrintable(m.at(4).toString()));
                QCOMPARE(time - previousTime, latency);
                if (m.at(3).isNull()) {
                    ++withoutAudio;
                } else {
                    ++withAudio;
                    QVERIFY2(audio.match(m.at(3).toString()).hasMatch(), qPrintable(m.at(3).toString()));
                }
            }
            previousTime = time;
        }
        QCOMPARE(messageIds.size(), 2200);
        QVERIFY(withAudio > 0 && withoutAudio > 0);
        QVERIFY2(texts.size() > 100, "the texts vary");
    }

    void summaryForPeople()
    {
        migrate(*m_database);
        const Run run = seed(dbUrl(),
            {QStringLiteral("--sessions"), QStringLiteral("30"), QStringLiteral("--messages-per-session"),
                QStringLiteral("0"), QStringLiteral("--seed"), QStringLiteral("12")});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.err.isEmpty(), qPrintable(run.err));
        QVERIFY2(
            run.out.contains(QStringLiteral("30 sessions (0 open) with 0 messages for 1 users")), qPrintable(run.out));
        QVERIFY2(run.out.contains(QStringLiteral("rows/s")), qPrintable(run.out));
        QVERIFY2(run.out.contains(QStringLiteral("Seed 12 ")), qPrintable(run.out));
        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE message_count = 0")),
            30);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(DISTINCT user_id) FROM conversation_sessions")), 1);
        verifyDoctorIsSilent(dbUrl());
    }

    void seedingTwiceAppends()
    {
        migrate(*m_database);
        const QStringList options {QStringLiteral("--sessions"), QStringLiteral("120"),
            QStringLiteral("--messages-per-session"), QStringLiteral("4"), QStringLiteral("--seed"),
            QStringLiteral("5"), QStringLiteral("--active"), QStringLiteral("10%")};
        for (int i = 0; i < 2; ++i) {
            const Run run = seed(dbUrl(), options);
            QCOMPARE(run.exitCode, 0);
        }
        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions")), 240);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(DISTINCT session_id) FROM conversation_sessions")), 240);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_messages")), 960);
        QCOMPARE(
            count(*connection, QStringLiteral("SELECT count(DISTINCT message_id) FROM conversation_messages")), 960);
        verifyDoctorIsSilent(dbUrl());
    }

    void oneSeedGivesTheSameContent()
    {
        auto other = TestDatabase::create();
        QVERIFY2(other.hasValue(), qPrintable(other.errorText()));
        auto third = TestDatabase::create();
        QVERIFY2(third.hasValue(), qPrintable(third.errorText()));
        const QList<const TestDatabase*> databases {m_database.get(), other->get(), third->get()};
        for (const TestDatabase* database : databases) {
            migrate(*database);
            const QString seedValue = database == third->get() ? QStringLiteral("43") : QStringLiteral("42");
            const Run run = seed(database->url().toString(),
                {QStringLiteral("--sessions"), QStringLiteral("150"), QStringLiteral("--messages-per-session"),
                    QStringLiteral("7"), QStringLiteral("--active"), QStringLiteral("4"), QStringLiteral("--seed"),
                    seedValue});
            QCOMPARE(run.exitCode, 0);
        }
        const QStringList first = content(*m_database);
        const QStringList second = content(**other);
        QCOMPARE(first.size(), 150 + 150 * 7);
        for (qsizetype i = 0; i < first.size(); ++i)
            QCOMPARE(second.at(i), first.at(i));
        QVERIFY2(content(**third) != first, "another seed, other content");

        // The ids are fresh every run.
        auto a = m_database->connect();
        auto b = (*other)->connect();
        QVERIFY(a && b);
        QSet<QString> ids;
        for (store::Connection* connection : {a.get(), b.get()}) {
            for (const QVariantList& row : rows(*connection,
                     QStringLiteral("SELECT session_id FROM conversation_sessions UNION ALL SELECT %1 FROM "
                                    "conversation_messages")
                         .arg(test::sqlText(backend(), QStringLiteral("message_id")))))
                ids << row.at(0).toString();
        }
        QCOMPARE(ids.size(), 2 * (150 + 150 * 7));
    }

    void withoutAudioUrlsTheContentStays()
    {
        auto other = TestDatabase::create();
        QVERIFY2(other.hasValue(), qPrintable(other.errorText()));
        const QStringList options {QStringLiteral("--sessions"), QStringLiteral("60"),
            QStringLiteral("--messages-per-session"), QStringLiteral("9"), QStringLiteral("--seed"),
            QStringLiteral("7")};
        migrate(*m_database);
        migrate(**other);
        QCOMPARE(seed(dbUrl(), options).exitCode, 0);
        QCOMPARE(
            seed((*other)->url().toString(), options + QStringList {QStringLiteral("--no-audio-urls")}).exitCode, 0);

        const QString withUrl
            = QStringLiteral("SELECT count(*) FROM conversation_messages WHERE audio_url IS NOT NULL");
        auto a = m_database->connect();
        auto b = (*other)->connect();
        QVERIFY(a && b);
        QVERIFY(rows(*a, withUrl).constFirst().constFirst().toLongLong() > 0);
        QCOMPARE(rows(*b, withUrl).constFirst().constFirst().toLongLong(), 0);
        QCOMPARE(content(**other, false), content(*m_database, false));
        verifyDoctorIsSilent((*other)->url().toString());
    }

    void aFailureLeavesNothingBehind()
    {
        migrate(*m_database);
        // The database refuses a message once hundreds are written: by then the sessions and
        // the first messages are in the transaction.
        auto connection = m_database->connect();
        QVERIFY(connection);
        if (m_database->isPostgreSql()) {
            VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection,
                {QStringLiteral("CREATE FUNCTION refuse_late_message() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                "IF NEW.seq = 4 AND (SELECT count(*) FROM conversation_messages) > 500 THEN "
                                "RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$"),
                    QStringLiteral("CREATE TRIGGER refuse_late_message BEFORE INSERT ON conversation_messages "
                                   "FOR EACH ROW EXECUTE FUNCTION refuse_late_message()")}));
        } else {
            VOXTRACK_VERIFY_OK(connection->exec(
                QStringLiteral("CREATE TRIGGER refuse_late_message BEFORE INSERT ON conversation_messages WHEN "
                               "NEW.seq = 4 AND (SELECT count(*) FROM conversation_messages) > 500 BEGIN "
                               "SELECT RAISE(ABORT, 'refused by a test trigger'); END")));
        }
        const Run run = seed(dbUrl(),
            {QStringLiteral("--sessions"), QStringLiteral("300"), QStringLiteral("--messages-per-session"),
                QStringLiteral("4")});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.contains(QStringLiteral("refused by a test trigger")), qPrintable(run.err));
        QVERIFY2(run.err.contains(QRegularExpression(QStringLiteral("\\[db\\.[a-z_]+\\]\n$"))), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions")), 0);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_messages")), 0);
    }

    /// On a terminal: a progress line, and Ctrl+C rolls everything back.
    void progressLineAndInterruptionOnATerminal()
    {
        migrate(*m_database);
        const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
        QVERIFY(master >= 0);
        QVERIFY(::grantpt(master) == 0 && ::unlockpt(master) == 0);
        ::fcntl(master, F_SETFD, FD_CLOEXEC);
        const int terminal = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        QVERIFY(terminal >= 0);

        QProcess process;
        process.setProcessEnvironment(quietEnvironment());
        process.setChildProcessModifier([terminal] { ::dup2(terminal, STDERR_FILENO); });
        // Far more rows than are written before the interruption arrives.
        process.start(qEnvironmentVariable("VOXTRACK_CLI"),
            {QStringLiteral("seed"), QStringLiteral("--db"), dbUrl(), QStringLiteral("--sessions"),
                QStringLiteral("300000"), QStringLiteral("--messages-per-session"), QStringLiteral("2")});
        QVERIFY(process.waitForStarted());
        ::close(terminal);

        QByteArray screen;
        auto readTerminal = [&](int timeoutMs) {
            pollfd descriptor {master, POLLIN, 0};
            if (::poll(&descriptor, 1, timeoutMs) <= 0)
                return false;
            char buffer[4096];
            const ssize_t got = ::read(master, buffer, sizeof buffer);
            if (got <= 0)
                return false;
            screen.append(buffer, got);
            return true;
        };
        // Wait for a progress line that counts written rows, then press Ctrl+C.
        const QRegularExpression progress(QStringLiteral("\\r\\x1b\\[K([1-9][0-9,]*) / 900,?000 rows \\(\\d+%\\), "
                                                         "[0-9,]+ rows/s, ETA [0-9:-]+"));
        QDeadlineTimer deadline(60000);
        while (!progress.match(QString::fromUtf8(screen)).hasMatch() && !deadline.hasExpired()
            && process.state() == QProcess::Running)
            readTerminal(100);
        QVERIFY2(progress.match(QString::fromUtf8(screen)).hasMatch(), screen.constData());
        QCOMPARE(process.state(), QProcess::Running);
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(60000));
        while (readTerminal(0)) { }
        ::close(master);

        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 2);
        const QString last = QString::fromUtf8(screen)
                                 .remove(QStringLiteral("\x1b[K"))
                                 .split(QRegularExpression(QStringLiteral("[\\r\\n]")), Qt::SkipEmptyParts)
                                 .constLast();
        QVERIFY2(last.startsWith(QStringLiteral("voxtrack-cli: ")) && last.endsWith(QStringLiteral("[seed.cancelled]")),
            screen.constData());
        QVERIFY(process.readAllStandardOutput().isEmpty());

        auto connection = m_database->connect();
        QVERIFY(connection);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_sessions")), 0);
        QCOMPARE(count(*connection, QStringLiteral("SELECT count(*) FROM conversation_messages")), 0);
    }
};

QTEST_GUILESS_MAIN(TestSeed)
#include "tst_seed.moc"
