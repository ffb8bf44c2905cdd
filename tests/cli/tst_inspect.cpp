// SPDX-License-Identifier: MIT
// voxtrack-cli sessions, messages and export, run as a process against a seeded database.
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <optional>

using namespace voxtrack;
using voxtrack::test::TestDatabase;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;

    [[nodiscard]] QJsonArray array() const { return QJsonDocument::fromJson(out.toUtf8()).array(); }
    [[nodiscard]] QJsonObject object() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
    [[nodiscard]] QStringList errLines() const { return err.split(u'\n', Qt::SkipEmptyParts); }
    [[nodiscard]] QStringList outLines() const { return out.split(u'\n', Qt::SkipEmptyParts); }
};

Run runCli(const QStringList& arguments)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("voxtrack.*.info=false"));
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    environment.remove(QStringLiteral("LANGUAGE"));
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("VOXTRACK_CLI"), arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        run.err = QStringLiteral("voxtrack-cli did not finish: ") + process.errorString();
        process.kill();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

/// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
QList<QStringList> parseCsv(const QString& text)
{
    QList<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text.at(i + 1) == u'"') {
                field += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            record << field;
            field.clear();
        } else if (c == u'\r' && i + 1 < text.size() && text.at(i + 1) == u'\n') {
            record << field;
            field.clear();
            records << record;
            record.clear();
            ++i;
        } else {
            field += c;
        }
    }
    if (!field.isEmpty() || !record.isEmpty())
        records << (record << field);
    return records;
}

QStringList ids(const QJsonArray& sessions)
{
    QStringList list;
    for (const QJsonValue& value : sessions)
        list << value.toObject().value(QStringLiteral("session_id")).toString();
    return list;
}

const QString quotedContent = QStringLiteral("She said \"hi\",\nthen left");

} // namespace

class TestInspect : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    QDateTime m_now;

    QString dbUrl() const { return m_database->url().toString(); }
    QStringList db() const { return {QStringLiteral("--db"), dbUrl()}; }
    QDateTime ago(qint64 seconds) const { return m_now.addSecs(-seconds); }

    QString timestampParameter() const
    {
        return m_database->isPostgreSql() ? QStringLiteral("CAST(? AS timestamptz)") : QStringLiteral("?");
    }

    Status insertSession(store::Connection& connection, const QString& id, const QString& user, qint64 startedAgo,
        std::optional<double> duration, const QString& endReason, const QString& metadata, int countColumn)
    {
        const bool postgres = m_database->isPostgreSql();
        const QDateTime started = ago(startedAgo);
        const QString ts = timestampParameter();
        const QVariant nullText(QMetaType::fromType<QString>());
        const QVariant ended
            = duration ? QVariant(started.addMSecs(qint64(*duration * 1000)).toString(Qt::ISODateWithMs)) : nullText;
        return connection.exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, session_start, "
                           "ended_at, session_end, duration_seconds, is_active, metadata, message_count, end_reason) "
                           "VALUES (?, ?, %1, %1, %1, %1, ?, %2, %3, ?, ?)")
                .arg(ts,
                    duration ? (postgres ? QStringLiteral("false") : QStringLiteral("0"))
                             : (postgres ? QStringLiteral("true") : QStringLiteral("1")),
                    postgres ? QStringLiteral("CAST(? AS jsonb)") : QStringLiteral("?")),
            {id, user, started.toString(Qt::ISODateWithMs), started.toString(Qt::ISODateWithMs), ended, ended,
                duration ? QVariant(*duration) : QVariant(QMetaType::fromType<double>()), metadata, countColumn,
                endReason.isEmpty() ? nullText : QVariant(endReason)});
    }

    Status insertMessage(store::Connection& connection, const QString& session, const QString& role,
        const QString& content, qint64 createdAgo, int seq, const QString& audioUrl = {}, const QString& metadata = {})
    {
        const bool postgres = m_database->isPostgreSql();
        const QVariant nullText(QMetaType::fromType<QString>());
        return connection.exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, "
                           "metadata, created_at, message_id, seq) VALUES (?, ?, ?, ?, ?, %1, %2, %3, ?)")
                .arg(postgres ? QStringLiteral("CAST(? AS jsonb)") : QStringLiteral("?"), timestampParameter(),
                    postgres ? QStringLiteral("CAST(? AS uuid)") : QStringLiteral("?")),
            {session, QStringLiteral("u"), role, content, audioUrl.isEmpty() ? nullText : QVariant(audioUrl),
                metadata.isEmpty() ? nullText : QVariant(metadata), ago(createdAgo).toString(Qt::ISODateWithMs),
                QUuid::createUuid().toString(QUuid::WithoutBraces), seq});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(qEnvironmentVariable("VOXTRACK_CLI")), "VOXTRACK_CLI must name the voxtrack-cli binary");
        // Whole milliseconds, as both backends keep them.
        m_now = QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch(), Qt::UTC);
    }

    /// Four sessions, newest first: s-new (alice, active, 30 min ago), s-mid (bob, 5 h), s-quiet (bob, 2 days,
    /// no messages), s-old (alice, 3 days, three messages stored out of seq order).
    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto migrated = store::Migrator(*connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));

        const qint64 day = 86400;
        VOXTRACK_VERIFY_OK(insertSession(*connection, QStringLiteral("s-old"), QStringLiteral("alice"), 3 * day, 45.2,
            QStringLiteral("client_closed"), QStringLiteral("{\"agent\": \"demo\", \"lang\": \"en\"}"), 3));
        VOXTRACK_VERIFY_OK(insertSession(*connection, QStringLiteral("s-quiet"), QStringLiteral("bob"), 2 * day, 3.0,
            QStringLiteral("server_shutdown"), QStringLiteral("{}"), 0));
        VOXTRACK_VERIFY_OK(insertSession(*connection, QStringLiteral("s-mid"), QStringLiteral("bob"), 5 * 3600, 12.5,
            QStringLiteral("timeout"), QStringLiteral("{}"), 1));
        // message_count says 0, one message is stored: the listing counts rows.
        VOXTRACK_VERIFY_OK(insertSession(*connection, QStringLiteral("s-new"), QStringLiteral("alice"), 30 * 60,
            std::nullopt, QString(), QStringLiteral("{}"), 0));

        VOXTRACK_VERIFY_OK(insertMessage(*connection, QStringLiteral("s-old"), QStringLiteral("agent"), quotedContent,
            3 * day - 20, 2, QStringLiteral("https://cdn.example/a/2.mp3"), QStringLiteral("{\"reply_to\": 1}")));
        VOXTRACK_VERIFY_OK(insertMessage(
            *connection, QStringLiteral("s-old"), QStringLiteral("system"), QStringLiteral("bye"), 3 * day - 40, 3));
        VOXTRACK_VERIFY_OK(insertMessage(*connection, QStringLiteral("s-old"), QStringLiteral("user"),
            QStringLiteral("Hello, world"), 3 * day - 10, 1));
        VOXTRACK_VERIFY_OK(insertMessage(*connection, QStringLiteral("s-mid"), QStringLiteral("user"),
            QStringLiteral("long ") + QString(300, u'x'), 5 * 3600 - 5, 1));
        VOXTRACK_VERIFY_OK(insertMessage(
            *connection, QStringLiteral("s-new"), QStringLiteral("user"), QStringLiteral("still here"), 60, 1));
    }

    void cleanup() { m_database.reset(); }

    void sessionsFilterAndOrder_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<int>("total");
        const QString all[]
            = {QStringLiteral("s-new"), QStringLiteral("s-mid"), QStringLiteral("s-quiet"), QStringLiteral("s-old")};
        QTest::addRow("all, newest first") << QStringList() << QStringList {all[0], all[1], all[2], all[3]} << 4;
        QTest::addRow("user") << QStringList {QStringLiteral("--user"), QStringLiteral("alice")}
                              << QStringList {all[0], all[3]} << 2;
        QTest::addRow("active") << QStringList {QStringLiteral("--active")} << QStringList {all[0]} << 1;
        QTest::addRow("ended") << QStringList {QStringLiteral("--ended")} << QStringList {all[1], all[2], all[3]} << 3;
        QTest::addRow("since relative hours")
            << QStringList {QStringLiteral("--since"), QStringLiteral("6h")} << QStringList {all[0], all[1]} << 2;
        QTest::addRow("since relative days") << QStringList {QStringLiteral("--since"), QStringLiteral("2.5d")}
                                             << QStringList {all[0], all[1], all[2]} << 3;
        QTest::addRow("since ISO") << QStringList {QStringLiteral("--since"),
            QDateTime::currentDateTimeUtc().addSecs(-3600).toString(Qt::ISODate)}
                                   << QStringList {all[0]} << 1;
        QTest::addRow("since date") << QStringList {QStringLiteral("--since"),
            QDateTime::currentDateTimeUtc().addDays(-3).date().toString(Qt::ISODate)}
                                    << QStringList {all[0], all[1], all[2], all[3]} << 4;
        QTest::addRow("user and ended") << QStringList {QStringLiteral("--user"), QStringLiteral("bob"),
            QStringLiteral("--ended")} << QStringList {all[1], all[2]}
                                        << 2;
        QTest::addRow("limit") << QStringList {QStringLiteral("--limit"), QStringLiteral("2")}
                               << QStringList {all[0], all[1]} << 4;
        QTest::addRow("no match") << QStringList {QStringLiteral("--user"), QStringLiteral("carol")} << QStringList()
                                  << 0;
    }

    void sessionsFilterAndOrder()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QStringList, expected);
        QFETCH(int, total);
        const Run json = runCli(
            QStringList {QStringLiteral("sessions")} + db() + arguments + QStringList {QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        QCOMPARE(ids(json.array()), expected);

        const Run text = runCli(QStringList {QStringLiteral("sessions")} + db() + arguments);
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.endsWith(
                     QStringLiteral("%1 session(s) shown (of %2 matching).\n").arg(expected.size()).arg(total)),
            qPrintable(text.out));
        for (const QString& id : expected)
            QVERIFY2(text.out.contains(id), qPrintable(text.out));
    }

    void sessionsJsonFields()
    {
        const Run run = runCli(QStringList {QStringLiteral("sessions"), QStringLiteral("--json")} + db());
        QCOMPARE(run.exitCode, 0);
        const QJsonArray sessions = run.array();
        QCOMPARE(sessions.size(), 4);
        const QRegularExpression iso(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"));

        const QJsonObject old = sessions.at(3).toObject();
        QCOMPARE(old.value(QStringLiteral("session_id")).toString(), QStringLiteral("s-old"));
        QCOMPARE(old.value(QStringLiteral("user_id")).toString(), QStringLiteral("alice"));
        const QString started = old.value(QStringLiteral("started_at")).toString();
        QVERIFY2(iso.match(started).hasMatch(), qPrintable(started));
        QCOMPARE(QDateTime::fromString(started, Qt::ISODateWithMs), ago(3 * 86400));
        QCOMPARE(QDateTime::fromString(old.value(QStringLiteral("ended_at")).toString(), Qt::ISODateWithMs),
            ago(3 * 86400).addMSecs(45200));
        QVERIFY(iso.match(old.value(QStringLiteral("ended_at")).toString()).hasMatch());
        QCOMPARE(old.value(QStringLiteral("duration_seconds")).toDouble(), 45.2);
        QCOMPARE(old.value(QStringLiteral("is_active")), QJsonValue(false));
        QCOMPARE(old.value(QStringLiteral("message_count")).toInt(), 3);
        QCOMPARE(old.value(QStringLiteral("end_reason")).toString(), QStringLiteral("client_closed"));
        QCOMPARE(old.value(QStringLiteral("metadata")).toObject(),
            (QJsonObject {
                {QStringLiteral("agent"), QStringLiteral("demo")}, {QStringLiteral("lang"), QStringLiteral("en")}}));

        const QJsonObject active = sessions.at(0).toObject();
        QCOMPARE(active.value(QStringLiteral("session_id")).toString(), QStringLiteral("s-new"));
        QCOMPARE(active.value(QStringLiteral("is_active")), QJsonValue(true));
        QVERIFY(active.value(QStringLiteral("ended_at")).isNull());
        QVERIFY(active.value(QStringLiteral("duration_seconds")).isNull());
        QVERIFY(active.value(QStringLiteral("end_reason")).isNull());
        QCOMPARE(active.value(QStringLiteral("message_count")).toInt(), 1); // stored rows, not the column's 0
        QCOMPARE(active.value(QStringLiteral("metadata")).toObject(), QJsonObject());
        QCOMPARE(sessions.at(2).toObject().value(QStringLiteral("message_count")).toInt(), 0);
    }

    void sessionsTable()
    {
        const Run run = runCli(QStringList {QStringLiteral("sessions")} + db());
        QCOMPARE(run.exitCode, 0);
        const QStringList lines = run.outLines();
        QCOMPARE(lines.size(), 6); // header, four sessions, footer
        const QStringList header = lines.at(0).split(u' ', Qt::SkipEmptyParts);
        QCOMPARE(header,
            (QStringList {QStringLiteral("SESSION"), QStringLiteral("USER"), QStringLiteral("STARTED"),
                QStringLiteral("DURATION"), QStringLiteral("MESSAGES"), QStringLiteral("END")}));

        const QStringList active = lines.at(1).split(u' ', Qt::SkipEmptyParts);
        QCOMPARE(active,
            (QStringList {QStringLiteral("s-new"), QStringLiteral("alice"), ago(30 * 60).toString(Qt::ISODate),
                QStringLiteral("active"), QStringLiteral("1"), QStringLiteral("-")}));
        const QStringList old = lines.at(4).split(u' ', Qt::SkipEmptyParts);
        QCOMPARE(old,
            (QStringList {QStringLiteral("s-old"), QStringLiteral("alice"), ago(3 * 86400).toString(Qt::ISODate),
                QStringLiteral("45.2s"), QStringLiteral("3"), QStringLiteral("client_closed")}));
        // Aligned: USER and END values start under their headings; the numbers end under theirs.
        const QStringList users {
            QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("bob"), QStringLiteral("alice")};
        const QStringList ends {QStringLiteral("-"), QStringLiteral("timeout"), QStringLiteral("server_shutdown"),
            QStringLiteral("client_closed")};
        const QStringList counts {QStringLiteral("1"), QStringLiteral("1"), QStringLiteral("0"), QStringLiteral("3")};
        const qsizetype userAt = lines.at(0).indexOf(QStringLiteral("USER"));
        const qsizetype endAt = lines.at(0).indexOf(QStringLiteral("END"));
        const qsizetype messagesEnd = lines.at(0).indexOf(QStringLiteral("MESSAGES")) + 8;
        for (int i = 1; i <= 4; ++i) {
            QCOMPARE(lines.at(i).mid(userAt, users.at(i - 1).size() + 1), users.at(i - 1) + u' ');
            QCOMPARE(lines.at(i).mid(endAt), ends.at(i - 1));
            QCOMPARE(lines.at(i).mid(messagesEnd - 2, 2), u' ' + counts.at(i - 1));
        }
        QCOMPARE(lines.at(5), QStringLiteral("4 session(s) shown (of 4 matching)."));
    }

    void messagesInOrder()
    {
        const Run json = runCli(
            QStringList {QStringLiteral("messages"), QStringLiteral("s-old"), QStringLiteral("--json")} + db());
        QCOMPARE(json.exitCode, 0);
        const QJsonArray messages = json.array();
        QCOMPARE(messages.size(), 3);
        QStringList roles;
        QList<int> seqs;
        for (const QJsonValue& value : messages) {
            roles << value.toObject().value(QStringLiteral("role")).toString();
            seqs << value.toObject().value(QStringLiteral("seq")).toInt();
        }
        QCOMPARE(seqs, (QList<int> {1, 2, 3}));
        QCOMPARE(roles, (QStringList {QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("system")}));
        const QJsonObject agent = messages.at(1).toObject();
        QCOMPARE(agent.value(QStringLiteral("content")).toString(), quotedContent);
        QCOMPARE(agent.value(QStringLiteral("audio_url")).toString(), QStringLiteral("https://cdn.example/a/2.mp3"));
        QCOMPARE(agent.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("reply_to")).toInt(), 1);
        QCOMPARE(QDateTime::fromString(agent.value(QStringLiteral("created_at")).toString(), Qt::ISODateWithMs),
            ago(3 * 86400 - 20));
        QVERIFY(messages.at(0).toObject().value(QStringLiteral("audio_url")).isNull());
        QVERIFY(!QUuid::fromString(messages.at(0).toObject().value(QStringLiteral("message_id")).toString()).isNull());

        const Run text = runCli(QStringList {QStringLiteral("messages"), QStringLiteral("s-old")} + db());
        QCOMPARE(text.exitCode, 0);
        const QStringList lines = text.outLines();
        QCOMPARE(lines.size(), 5); // header, three messages on one line each, footer
        QCOMPARE(lines.at(0).split(u' ', Qt::SkipEmptyParts),
            (QStringList {QStringLiteral("SEQ"), QStringLiteral("TIME"), QStringLiteral("ROLE"),
                QStringLiteral("CONTENT"), QStringLiteral("AUDIO")}));
        QVERIFY2(lines.at(1).contains(QStringLiteral("user")) && lines.at(1).contains(QStringLiteral("Hello, world"))
                && lines.at(1).endsWith(u'-'),
            qPrintable(lines.at(1)));
        QVERIFY2(lines.at(2).contains(QStringLiteral("She said \"hi\", then left"))
                && lines.at(2).endsWith(QStringLiteral("yes")),
            qPrintable(lines.at(2)));
        QVERIFY(lines.at(2).contains(ago(3 * 86400 - 20).toString(Qt::ISODate)));
        QVERIFY(lines.at(3).contains(QStringLiteral("system")));
        QCOMPARE(lines.at(4), QStringLiteral("3 message(s) in session s-old."));
    }

    void longContentIsCut()
    {
        const Run run = runCli(QStringList {QStringLiteral("messages"), QStringLiteral("s-mid")} + db());
        QCOMPARE(run.exitCode, 0);
        const QString line = run.outLines().at(1);
        const qsizetype start = line.indexOf(QStringLiteral("long x"));
        QVERIFY2(start > 0, qPrintable(line));
        const qsizetype end = line.indexOf(QChar(0x2026));
        QVERIFY2(end > start, qPrintable(line));
        QCOMPARE(end - start + 1, 100); // not a terminal: 100 characters with the ellipsis
    }

    void unknownSessionExitsTwo()
    {
        const Run run = runCli(QStringList {QStringLiteral("messages"), QStringLiteral("s-missing")} + db());
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.contains(QStringLiteral("s-missing")), qPrintable(run.err));
        QVERIFY2(run.err.endsWith(QStringLiteral("[session.not_found]\n")), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());

        const Run json = runCli(
            QStringList {QStringLiteral("messages"), QStringLiteral("s-missing"), QStringLiteral("--json")} + db());
        QCOMPARE(json.exitCode, 2);
        QCOMPARE(json.object().value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString(),
            QStringLiteral("session.not_found"));
    }

    void usageErrorsExitTwo_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addRow("active and ended")
            << QStringList {QStringLiteral("sessions"), QStringLiteral("--active"), QStringLiteral("--ended")};
        QTest::addRow("bad since") << QStringList {
            QStringLiteral("sessions"), QStringLiteral("--since"), QStringLiteral("yesterday")};
        QTest::addRow("bad limit") << QStringList {
            QStringLiteral("sessions"), QStringLiteral("--limit"), QStringLiteral("0")};
        QTest::addRow("messages without a session") << QStringList {QStringLiteral("messages")};
        QTest::addRow("messages with two sessions")
            << QStringList {QStringLiteral("messages"), QStringLiteral("a"), QStringLiteral("b")};
        QTest::addRow("bad format") << QStringList {
            QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("xml")};
        QTest::addRow("no format") << QStringList {QStringLiteral("export")};
        QTest::addRow("export bad since") << QStringList {QStringLiteral("export"), QStringLiteral("--format"),
            QStringLiteral("csv"), QStringLiteral("--since"), QStringLiteral("3x")};
    }

    void usageErrorsExitTwo()
    {
        QFETCH(QStringList, arguments);
        const Run run = runCli(arguments + db());
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.endsWith(QStringLiteral("[usage]\n")), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }

    void exportCsv()
    {
        const Run run
            = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("csv")} + db());
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains(QStringLiteral("\"She said \"\"hi\"\",\nthen left\"")), qPrintable(run.out));
        QVERIFY(run.out.endsWith(QStringLiteral("\r\n")));
        const QList<QStringList> records = parseCsv(run.out);
        QCOMPARE(records.size(), 7); // header, s-new 1, s-mid 1, s-quiet 1 (no messages), s-old 3
        const QStringList header = records.at(0);
        QCOMPARE(header,
            (QStringList {QStringLiteral("session_id"), QStringLiteral("user_id"), QStringLiteral("started_at"),
                QStringLiteral("ended_at"), QStringLiteral("duration_seconds"), QStringLiteral("is_active"),
                QStringLiteral("message_count"), QStringLiteral("end_reason"), QStringLiteral("session_metadata"),
                QStringLiteral("seq"), QStringLiteral("message_id"), QStringLiteral("created_at"),
                QStringLiteral("role"), QStringLiteral("content"), QStringLiteral("audio_url"),
                QStringLiteral("message_metadata")}));
        for (const QStringList& record : records)
            QCOMPARE(record.size(), header.size());
        auto column
            = [&](int row, const char* name) { return records.at(row).at(header.indexOf(QString::fromLatin1(name))); };
        QStringList order;
        for (int row = 1; row < records.size(); ++row)
            order << column(row, "session_id") + u'/' + column(row, "seq");
        QCOMPARE(order,
            (QStringList {QStringLiteral("s-new/1"), QStringLiteral("s-mid/1"), QStringLiteral("s-quiet/"),
                QStringLiteral("s-old/1"), QStringLiteral("s-old/2"), QStringLiteral("s-old/3")}));
        QCOMPARE(column(5, "content"), quotedContent);
        QCOMPARE(column(5, "role"), QStringLiteral("agent"));
        QCOMPARE(column(5, "audio_url"), QStringLiteral("https://cdn.example/a/2.mp3"));
        QCOMPARE(column(5, "duration_seconds"), QStringLiteral("45.2"));
        QCOMPARE(column(5, "is_active"), QStringLiteral("false"));
        QCOMPARE(column(5, "end_reason"), QStringLiteral("client_closed"));
        QCOMPARE(column(5, "started_at"), ago(3 * 86400).toString(Qt::ISODateWithMs));
        QCOMPARE(QJsonDocument::fromJson(column(5, "session_metadata").toUtf8()).object().value(u"agent").toString(),
            QStringLiteral("demo"));
        QCOMPARE(column(4, "content"), QStringLiteral("Hello, world"));
        QCOMPARE(column(1, "is_active"), QStringLiteral("true"));
        QVERIFY(column(1, "ended_at").isEmpty());
        QVERIFY(column(3, "role").isEmpty());

        const Run filtered = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--format"),
                                        QStringLiteral("csv"), QStringLiteral("--user"), QStringLiteral("bob")}
            + db());
        QCOMPARE(filtered.exitCode, 0);
        QCOMPARE(parseCsv(filtered.out).size(), 3);
    }

    void exportJsonToFile()
    {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString path = directory.filePath(QStringLiteral("export.json"));
        const Run run = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--format"),
                                   QStringLiteral("json"), QStringLiteral("--output"), path}
            + db());
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains(QStringLiteral("Exported 4 session(s) with 5 message(s)")), qPrintable(run.out));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonArray sessions = QJsonDocument::fromJson(file.readAll()).array();
        QCOMPARE(ids(sessions),
            (QStringList {
                QStringLiteral("s-new"), QStringLiteral("s-mid"), QStringLiteral("s-quiet"), QStringLiteral("s-old")}));
        const QJsonObject old = sessions.at(3).toObject();
        QCOMPARE(old.value(QStringLiteral("end_reason")).toString(), QStringLiteral("client_closed"));
        QCOMPARE(old.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("lang")).toString(),
            QStringLiteral("en"));
        const QJsonArray messages = old.value(QStringLiteral("messages")).toArray();
        QCOMPARE(messages.size(), 3);
        QCOMPARE(messages.at(1).toObject().value(QStringLiteral("content")).toString(), quotedContent);
        QCOMPARE(messages.at(2).toObject().value(QStringLiteral("role")).toString(), QStringLiteral("system"));
        QVERIFY(sessions.at(2).toObject().value(QStringLiteral("messages")).toArray().isEmpty());

        const Run since = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--format"),
                                     QStringLiteral("json"), QStringLiteral("--since"), QStringLiteral("6h")}
            + db());
        QCOMPARE(since.exitCode, 0);
        QCOMPARE(ids(since.array()), (QStringList {QStringLiteral("s-new"), QStringLiteral("s-mid")}));
    }

    void exportToAnUnwritablePlaceExitsTwo()
    {
        QTemporaryDir directory;
        const QString path = directory.filePath(QStringLiteral("absent/export.csv"));
        const Run run = runCli(QStringList {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("csv"),
                                   QStringLiteral("--output"), path}
            + db());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.endsWith(QStringLiteral("[export.write]\n")), qPrintable(run.err));
        QVERIFY(!QFile::exists(path));
    }

    void helpListsTheCommands()
    {
        const Run run = runCli({QStringLiteral("--help")});
        QCOMPARE(run.exitCode, 0);
        for (const QString& command :
            {QStringLiteral("sessions"), QStringLiteral("messages"), QStringLiteral("export")})
            QVERIFY2(run.out.contains(QStringLiteral("  ") + command + u' '), qPrintable(run.out));
    }
};

QTEST_GUILESS_MAIN(TestInspect)
#include "tst_inspect.moc"
