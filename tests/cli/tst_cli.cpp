// SPDX-License-Identifier: MIT
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

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

Run runCli(
    const QStringList& arguments, const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment())
{
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

QProcessEnvironment quietEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("voxtrack.*.info=false"));
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    environment.remove(QStringLiteral("LANGUAGE"));
    return environment;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;

    QString dbUrl() const { return m_database->url().toString(); }

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

    void usageAndVersion()
    {
        const Run none = runCli({}, quietEnvironment());
        QCOMPARE(none.exitCode, 2);
        QVERIFY(none.err.contains(QStringLiteral("Usage: voxtrack-cli")));

        const Run help = runCli({QStringLiteral("--help")}, quietEnvironment());
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains(QStringLiteral("doctor")));
        QVERIFY(help.out.contains(QStringLiteral("migrate")));

        const Run version = runCli({QStringLiteral("--version")}, quietEnvironment());
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.trimmed(), QStringLiteral("voxtrack-cli " VOXTRACK_VERSION));

        const Run doctorHelp = runCli({QStringLiteral("doctor"), QStringLiteral("--help")}, quietEnvironment());
        QCOMPARE(doctorHelp.exitCode, 0);
        QVERIFY(doctorHelp.out.contains(QStringLiteral("--db")));
        QVERIFY(doctorHelp.out.contains(QStringLiteral("--json")));
        QVERIFY2(doctorHelp.out.startsWith(QStringLiteral("Usage: voxtrack-cli doctor [options]")),
            qPrintable(doctorHelp.out.left(80)));
    }

    void usageErrorsExitTwoWithOneSentence_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("code");
        QTest::addRow("unknown command") << QStringList {QStringLiteral("doktor")} << QStringLiteral("[usage]");
        QTest::addRow("unknown option") << QStringList {QStringLiteral("doctor"), QStringLiteral("--frobnicate")}
                                        << QStringLiteral("[usage]");
        QTest::addRow("stray argument") << QStringList {QStringLiteral("migrate"), QStringLiteral("extra")}
                                        << QStringLiteral("[usage]");
        QTest::addRow("bad stale-after") << QStringList {QStringLiteral("doctor"), QStringLiteral("--stale-after"),
            QStringLiteral("soon")} << QStringLiteral("[usage]");
    }

    void usageErrorsExitTwoWithOneSentence()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, code);
        const Run run = runCli(arguments, quietEnvironment());
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.contains(code), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }

    void badDatabaseUrlsExitTwo_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("code");
        QTest::addRow("mysql") << QStringLiteral("mysql://root@localhost/db") << QStringLiteral("url.scheme");
        QTest::addRow("bare path") << QStringLiteral("/tmp/x.db") << QStringLiteral("url.scheme");
        QTest::addRow("port out of range")
            << QStringLiteral("postgresql://u@localhost:99999/db") << QStringLiteral("url.port");
        QTest::addRow("sqlite with host") << QStringLiteral("sqlite://host/x.db") << QStringLiteral("url.sqlite_path");
        QTest::addRow("bad sslmode") << QStringLiteral("postgresql://u@localhost/db?sslmode=always")
                                     << QStringLiteral("url.option");
        QTest::addRow("empty") << QStringLiteral(" ") << QStringLiteral("url.empty");
        QTest::addRow("unreachable") << QStringLiteral("postgresql://u:p@127.0.0.1:1/db?connect_timeout=2")
                                     << QStringLiteral("db.unreachable");
    }

    void badDatabaseUrlsExitTwo()
    {
        QFETCH(QString, url);
        QFETCH(QString, code);
        for (const QString& command : {QStringLiteral("doctor"), QStringLiteral("migrate")}) {
            const Run run = runCli({command, QStringLiteral("--db"), url}, quietEnvironment());
            QCOMPARE(run.exitCode, 2);
            QCOMPARE(run.errLines().size(), 1);
            QVERIFY2(run.err.endsWith(QStringLiteral("[%1]\n").arg(code)), qPrintable(run.err));
            QVERIFY2(!run.err.contains(QStringLiteral(":p@")), "the password must not be printed");

            const Run json
                = runCli({command, QStringLiteral("--db"), url, QStringLiteral("--json")}, quietEnvironment());
            QCOMPARE(json.exitCode, 2);
            const QJsonObject error = json.json().value(QStringLiteral("error")).toObject();
            QCOMPARE(error.value(QStringLiteral("code")).toString(), code);
            QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());
        }
    }

    void doctorDoesNotCreateAMissingSqliteFile()
    {
        QTemporaryDir directory;
        const QString path = directory.filePath(QStringLiteral("absent.db"));
        const Run run = runCli(
            {QStringLiteral("doctor"), QStringLiteral("--db"), QStringLiteral("sqlite://") + path}, quietEnvironment());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("[db.not_found]")), qPrintable(run.err));
        QVERIFY(!QFile::exists(path));
    }

    void doctorOnADatabaseWithoutConversationTables()
    {
        if (m_database->isPostgreSql()) {
            // A fresh PostgreSQL database exists but is empty.
        } else {
            auto connection = m_database->connect();
            QVERIFY(connection);
            VOXTRACK_VERIFY_OK(connection->exec(QStringLiteral("CREATE TABLE unrelated (x INTEGER)")));
        }
        const Run run = runCli({QStringLiteral("doctor"), QStringLiteral("--db"), dbUrl()}, quietEnvironment());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("[doctor.not_conversation_db]")), qPrintable(run.err));
    }

    void migrateThenDoctorIsClean()
    {
        const Run migrate = runCli(
            {QStringLiteral("migrate"), QStringLiteral("--db"), dbUrl(), QStringLiteral("--json")}, quietEnvironment());
        QCOMPARE(migrate.exitCode, 0);
        QCOMPARE(migrate.json().value(QStringLiteral("version_before")).toInt(), 0);
        QCOMPARE(migrate.json().value(QStringLiteral("version_after")).toInt(),
            store::Migrator::latestVersion(m_database->backend()));
        QVERIFY(!migrate.json().value(QStringLiteral("applied")).toArray().isEmpty());

        const Run again = runCli({QStringLiteral("migrate"), QStringLiteral("--db"), dbUrl()}, quietEnvironment());
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.out.contains(QStringLiteral("nothing to do")), qPrintable(again.out));

        const Run doctor = runCli({QStringLiteral("doctor"), QStringLiteral("--db"), dbUrl()}, quietEnvironment());
        QCOMPARE(doctor.exitCode, 0);
        QVERIFY2(doctor.out.contains(QStringLiteral("passed")), qPrintable(doctor.out));
        QVERIFY(!doctor.out.contains(m_database->url().password()) || m_database->url().password().isEmpty());

        const Run json = runCli(
            {QStringLiteral("doctor"), QStringLiteral("--db"), dbUrl(), QStringLiteral("--json")}, quietEnvironment());
        QCOMPARE(json.exitCode, 0);
        QCOMPARE(json.json().value(QStringLiteral("summary")).toObject().value(QStringLiteral("errors")).toInt(), 0);
    }

    void doctorExitCodeFollowsSeverity()
    {
        auto connection = m_database->connect();
        QVERIFY(connection);
        QVERIFY(store::Migrator(*connection).migrate());
        const bool postgres = m_database->isPostgreSql();
        // A stale session is a warning: exit 0, but reported.
        VOXTRACK_VERIFY_OK(connection->exec(postgres
                ? QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, session_start) "
                                 "VALUES ('old', 'u', now() - interval '3 days', now() - interval '3 days')")
                : QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, session_start) "
                                 "VALUES ('old', 'u', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days'), "
                                 "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days'))")));
        Run run = runCli({QStringLiteral("doctor"), QStringLiteral("--db"), dbUrl()}, quietEnvironment());
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains(QStringLiteral("data.stale_active")), qPrintable(run.out));
        QVERIFY(run.out.contains(QStringLiteral("old")));

        // A message whose session is missing is an error: exit 1.
        const QStringList orphan {postgres ? QStringLiteral("SET session_replication_role = replica")
                                           : QStringLiteral("PRAGMA foreign_keys=OFF"),
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                           "VALUES ('ghost', 'u', 'user', 'hello')"),
            postgres ? QStringLiteral("SET session_replication_role = DEFAULT")
                     : QStringLiteral("PRAGMA foreign_keys=ON")};
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection, orphan));
        run = runCli(
            {QStringLiteral("doctor"), QStringLiteral("--db"), dbUrl(), QStringLiteral("--json")}, quietEnvironment());
        QCOMPARE(run.exitCode, 1);
        const QJsonObject json = run.json();
        QCOMPARE(json.value(QStringLiteral("summary")).toObject().value(QStringLiteral("errors")).toInt(), 1);
        QCOMPARE(json.value(QStringLiteral("summary")).toObject().value(QStringLiteral("warnings")).toInt(), 1);
        bool found = false;
        for (const QJsonValue& value : json.value(QStringLiteral("checks")).toArray()) {
            const QJsonObject check = value.toObject();
            if (check.value(QStringLiteral("id")).toString() == u"data.orphan_messages") {
                found = true;
                QCOMPARE(check.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
                QCOMPARE(check.value(QStringLiteral("severity")).toString(), QStringLiteral("error"));
                QVERIFY(check.value(QStringLiteral("samples")).toArray().at(0).toString().contains(u"ghost"));
            }
        }
        QVERIFY(found);
        // The stale-after option moves the line.
        run = runCli({QStringLiteral("doctor"), QStringLiteral("--db"), dbUrl(), QStringLiteral("--stale-after"),
                         QStringLiteral("100")},
            quietEnvironment());
        QCOMPARE(run.exitCode, 1);
        QVERIFY(!run.out.contains(QStringLiteral("data.stale_active")));
    }

    void defaultDatabaseComesFromTheEnvironment()
    {
        QProcessEnvironment environment = quietEnvironment();
        environment.insert(QStringLiteral("VOXTRACK_DB"), dbUrl());
        const Run migrate = runCli({QStringLiteral("migrate")}, environment);
        QCOMPARE(migrate.exitCode, 0);
        const Run doctor = runCli({QStringLiteral("doctor")}, environment);
        QCOMPARE(doctor.exitCode, 0);
        QVERIFY(doctor.out.contains(m_database->url().toDisplayString()));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
