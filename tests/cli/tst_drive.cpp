// SPDX-License-Identifier: MIT
// voxtrack-cli drive as QA runs it: the binary against an in-process voxtrackd, its exit codes,
// its errors, its reports read back by a JUnit reader.
#include "support/testdatabase.h"
#include "support/testserver.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <csignal>
#include <sys/resource.h>

using namespace voxtrack;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;

    [[nodiscard]] QStringList errLines() const { return err.split(u'\n', Qt::SkipEmptyParts); }
};

/// One testcase of a JUnit XML file.
struct TestCase {
    QString classname;
    QString name;
    bool failed = false;
    QString failureMessage;
    QString failureText;
    bool skipped = false;
};

/// A JUnit XML file as CI systems read it: the totals of <testsuites> and every testcase.
struct JUnit {
    QString error; ///< non-empty: not well-formed or not JUnit
    int tests = -1;
    int failures = -1;
    int errors = -1;
    QList<TestCase> cases;

    [[nodiscard]] int failedCases() const
    {
        return int(std::count_if(cases.cbegin(), cases.cend(), [](const TestCase& c) { return c.failed; }));
    }
    [[nodiscard]] QList<TestCase> ofClass(const QString& classname) const
    {
        QList<TestCase> found;
        for (const TestCase& c : cases)
            if (c.classname == classname)
                found << c;
        return found;
    }
};

JUnit readJUnit(const QString& path)
{
    JUnit junit;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        junit.error = QStringLiteral("cannot open ") + path;
        return junit;
    }
    QXmlStreamReader xml(&file);
    if (!xml.readNextStartElement() || xml.name() != u"testsuites") {
        junit.error = QStringLiteral("the root is <%1>, not <testsuites>").arg(xml.name());
        return junit;
    }
    junit.tests = xml.attributes().value(QLatin1StringView("tests")).toInt();
    junit.failures = xml.attributes().value(QLatin1StringView("failures")).toInt();
    junit.errors = xml.attributes().value(QLatin1StringView("errors")).toInt();
    while (xml.readNextStartElement()) { // <testsuite>
        if (xml.name() != u"testsuite") {
            xml.skipCurrentElement();
            continue;
        }
        while (xml.readNextStartElement()) {
            if (xml.name() != u"testcase") {
                xml.skipCurrentElement(); // <properties>
                continue;
            }
            TestCase testCase;
            testCase.classname = xml.attributes().value(QLatin1StringView("classname")).toString();
            testCase.name = xml.attributes().value(QLatin1StringView("name")).toString();
            while (xml.readNextStartElement()) {
                if (xml.name() == u"failure") {
                    testCase.failed = true;
                    testCase.failureMessage = xml.attributes().value(QLatin1StringView("message")).toString();
                    testCase.failureText = xml.readElementText();
                } else {
                    testCase.skipped = xml.name() == u"skipped";
                    xml.skipCurrentElement();
                }
            }
            junit.cases << testCase;
        }
    }
    if (xml.hasError())
        junit.error = xml.errorString();
    return junit;
}

QJsonObject readJson(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QString scenario(const QString& name)
{
    return QStringLiteral(VOXTRACK_TEST_SCENARIOS "/") + name;
}

} // namespace

class TestDrive : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<QTemporaryDir> m_scratch;

    void startServer(TestServer::Options options = {})
    {
        auto server = TestServer::start(m_database->url(), options);
        QVERIFY2(server.hasValue(), qPrintable(server.errorText()));
        m_server = std::move(*server);
    }

    static QProcessEnvironment environment()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
        environment.remove(QStringLiteral("LANGUAGE"));
        environment.remove(QStringLiteral("VOXTRACK_URL"));
        environment.remove(QStringLiteral("VOXTRACK_TOKEN"));
        return environment;
    }

    /// Runs voxtrack-cli while this thread's event loop keeps serving the in-process server.
    /// With onStarted, calls it once the process runs and passes it the process.
    static Run drive(const QStringList& arguments, const std::function<void(QProcess&)>& onStarted = {})
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        QSignalSpy finished(&process, &QProcess::finished);
        process.start(qEnvironmentVariable("VOXTRACK_CLI"), QStringList {QStringLiteral("drive")} + arguments);
        Run run;
        if (!process.waitForStarted(10000)) {
            run.err = QStringLiteral("voxtrack-cli did not start: ") + process.errorString();
            return run;
        }
        if (onStarted)
            onStarted(process);
        if (!finished.wait(120000)) {
            run.err = QStringLiteral("voxtrack-cli did not finish");
            process.kill();
            process.waitForFinished();
            return run;
        }
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = QString::fromUtf8(process.readAllStandardOutput());
        run.err = QString::fromUtf8(process.readAllStandardError());
        return run;
    }

    QStringList serverArguments(bool verify = true) const
    {
        QStringList arguments {QStringLiteral("--url"), m_server->url().toString()};
        if (verify)
            arguments << QStringLiteral("--verify") << QStringLiteral("--db") << m_database->url().toString();
        return arguments;
    }

    QString reportDir() const { return m_scratch->filePath(QStringLiteral("reports/nightly")); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(qEnvironmentVariable("VOXTRACK_CLI")), "VOXTRACK_CLI must name the voxtrack-cli binary");
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
    }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_scratch = std::make_unique<QTemporaryDir>();
    }

    void cleanup()
    {
        m_server.reset();
        m_database.reset();
        m_scratch.reset();
    }

    void aCleanRunPassesWithReports()
    {
        startServer();
        const Run run = drive(QStringList {scenario(QStringLiteral("qa.json")), QStringLiteral("--report-dir"),
                                  reportDir(), QStringLiteral("--seed"), QStringLiteral("11")}
            + serverArguments());
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY(run.out.contains(QStringLiteral("verification: the database matches the conversations")));
        QVERIFY(run.out.contains(QStringLiteral("PASSED")));
        // Not a terminal: no progress line, nothing on stderr.
        QVERIFY2(run.err.isEmpty(), qPrintable(run.err));

        const QJsonObject summary = readJson(QDir(reportDir()).filePath(QStringLiteral("summary.json")));
        QCOMPARE(summary.value(QStringLiteral("passed")), QJsonValue(true));
        QCOMPARE(summary.value(QStringLiteral("verified")), QJsonValue(true));
        QCOMPARE(summary.value(QStringLiteral("scenario")).toString(), QStringLiteral("qa"));
        QCOMPARE(summary.value(QStringLiteral("sessions")).toObject().value(QStringLiteral("completed")).toInt(), 12);
        QCOMPARE(summary.value(QStringLiteral("messages")).toObject().value(QStringLiteral("persisted")).toInt(), 60);
        QCOMPARE(summary.value(QStringLiteral("latency"))
                     .toObject()
                     .value(QStringLiteral("reply"))
                     .toObject()
                     .value(QStringLiteral("count"))
                     .toInt(),
            48);
        QVERIFY(summary.value(QStringLiteral("client")).toObject().value(QStringLiteral("cpu_seconds")).toDouble() > 0);

        const JUnit junit = readJUnit(QDir(reportDir()).filePath(QStringLiteral("junit.xml")));
        QVERIFY2(junit.error.isEmpty(), qPrintable(junit.error));
        QCOMPARE(junit.tests, junit.cases.size());
        QCOMPARE(junit.failures, 0);
        QCOMPARE(junit.failedCases(), 0);
        QCOMPARE(junit.ofClass(QStringLiteral("thresholds")).size(), 1); // the error rate
        QCOMPARE(junit.ofClass(QStringLiteral("verification")).size(), 1);
        QVERIFY(junit.ofClass(QStringLiteral("sessions")).isEmpty());

        QFile csv(QDir(reportDir()).filePath(QStringLiteral("turns.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QCOMPARE(lines.constFirst().trimmed(),
            QByteArray("session_id,turn,connect_us,ack_us,reply_us,persisted_us,ok,error"));
        QCOMPARE(lines.size(), 1 + 60 + 1); // header, a row per message, the empty rest after the last CRLF
    }

    void aPlantedFaultFailsTheRun_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QString>("check");
        QTest::addColumn<int>("findings"); // 3 sessions of 2 user messages each
        QTest::newRow("agent-role") << QStringLiteral("agent-role") << QStringLiteral("message.role")
                                    << 6; // every reply
        QTest::newRow("drop-every=2") << QStringLiteral("drop-every=2") << QStringLiteral("message.missing")
                                      << 3; // every second message
        QTest::newRow("never-end") << QStringLiteral("never-end") << QStringLiteral("session.still_active")
                                   << 3; // every session
    }

    void aPlantedFaultFailsTheRun()
    {
        QFETCH(QString, fault);
        QFETCH(QString, check);
        QFETCH(int, findings);
        TestServer::Options options;
        QVERIFY(options.faults.enable(fault));
        startServer(options);
        const Run run = drive(QStringList {scenario(QStringLiteral("faults.json")), QStringLiteral("--report-dir"),
                                  reportDir(), QStringLiteral("--settle"), QStringLiteral("1500"),
                                  QStringLiteral("--reply-timeout"), QStringLiteral("1500")}
            + serverArguments());
        QVERIFY2(run.exitCode == 1, qPrintable(run.out + run.err));
        QVERIFY(run.out.contains(QStringLiteral("FAILED")));
        QVERIFY2(run.out.contains(u'[' + check + u']'), qPrintable(run.out));

        const QJsonObject summary = readJson(QDir(reportDir()).filePath(QStringLiteral("summary.json")));
        QCOMPARE(summary.value(QStringLiteral("passed")), QJsonValue(false));
        QSet<QString> sessions;
        int hits = 0;
        for (const QJsonValue& finding : summary.value(QStringLiteral("findings")).toArray()) {
            if (finding.toObject().value(QStringLiteral("check")).toString() == check) {
                ++hits;
                sessions.insert(finding.toObject().value(QStringLiteral("session_id")).toString());
            }
        }
        QCOMPARE(hits, findings);
        QVERIFY(!sessions.isEmpty());

        const JUnit junit = readJUnit(QDir(reportDir()).filePath(QStringLiteral("junit.xml")));
        QVERIFY2(junit.error.isEmpty(), qPrintable(junit.error));
        QCOMPARE(junit.tests, junit.cases.size());
        QCOMPARE(junit.failures, junit.failedCases());
        const QList<TestCase> verification = junit.ofClass(QStringLiteral("verification"));
        QCOMPARE(verification.size(), 1);
        QVERIFY(verification.constFirst().failed);
        QVERIFY(verification.constFirst().failureText.contains(check));
        // A failing testcase per session, named by its session id, saying what is wrong.
        const QList<TestCase> failingSessions = junit.ofClass(QStringLiteral("sessions"));
        QVERIFY(failingSessions.size() >= sessions.size());
        for (const QString& session : std::as_const(sessions)) {
            const auto it = std::find_if(
                failingSessions.cbegin(), failingSessions.cend(), [&](const TestCase& c) { return c.name == session; });
            QVERIFY2(it != failingSessions.cend(), qPrintable(session));
            QVERIFY(it->failed);
            QVERIFY2(it->failureText.contains(check), qPrintable(it->failureText));
        }
    }

    void jsonOnStdout()
    {
        startServer();
        const Run run = drive(
            QStringList {scenario(QStringLiteral("minimal.json")), QStringLiteral("--json")} + serverArguments(false));
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        const QJsonObject summary = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(summary.value(QStringLiteral("version")).toInt(), 1);
        QCOMPARE(summary.value(QStringLiteral("verified")), QJsonValue(false));
        QCOMPARE(summary.value(QStringLiteral("messages")).toObject().value(QStringLiteral("sent")).toInt(), 1);
        // Without --verify, persisted counts the server's message.persisted frames.
        QCOMPARE(summary.value(QStringLiteral("messages")).toObject().value(QStringLiteral("persisted")).toInt(), 1);
    }

    void interruptedRunsStillReport()
    {
        startServer();
        const Run run
            = drive(QStringList {scenario(QStringLiteral("stop.json")), QStringLiteral("--report-dir"), reportDir()}
                    + serverArguments(),
                [this](QProcess& process) {
                    // Every session waits for its far-off second turn: then Ctrl+C.
                    QTRY_COMPARE_WITH_TIMEOUT(m_server->server().counters().activeSessions.load(), 6, 20000);
                    QTRY_VERIFY_WITH_TIMEOUT(m_server->waitForPersisted(100), 20000);
                    ::kill(pid_t(process.processId()), SIGINT);
                });
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY2(run.err.contains(QStringLiteral("Stopping")), qPrintable(run.err));
        const QJsonObject summary = readJson(QDir(reportDir()).filePath(QStringLiteral("summary.json")));
        QCOMPARE(summary.value(QStringLiteral("interrupted")), QJsonValue(true));
        QCOMPARE(summary.value(QStringLiteral("sessions")).toObject().value(QStringLiteral("started")).toInt(), 6);
        QCOMPARE(summary.value(QStringLiteral("sessions")).toObject().value(QStringLiteral("failed")).toInt(), 0);
        QCOMPARE(summary.value(QStringLiteral("findings")).toArray().size(), 0);
        QCOMPARE(m_server->server().counters().activeSessions.load(), 0);
    }

    void cannotRun_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("says");
        const QString broken = scenario(QStringLiteral("broken-assistant-role.json"));
        QTest::newRow("no scenario") << QStringList {} << QStringLiteral("usage") << QStringLiteral("scenario file");
        QTest::newRow("missing file") << QStringList {QStringLiteral("/nonexistent/load.json")}
                                      << QStringLiteral("scenario.open") << QStringLiteral("/nonexistent/load.json");
        QTest::newRow("broken file") << QStringList {broken} << QStringLiteral("scenario.invalid")
                                     << QStringLiteral("turns[0].role");
        QTest::newRow("sessions 0") << QStringList {scenario(QStringLiteral("minimal.json")),
            QStringLiteral("--sessions"), QStringLiteral("0")}
                                    << QStringLiteral("usage") << QStringLiteral("--sessions");
        QTest::newRow("not a ws url") << QStringList {scenario(QStringLiteral("minimal.json")), QStringLiteral("--url"),
            QStringLiteral("http://127.0.0.1:1/")}
                                      << QStringLiteral("usage") << QStringLiteral("not a WebSocket URL");
        QTest::newRow("bad database url") << QStringList {scenario(QStringLiteral("minimal.json")),
            QStringLiteral("--verify"), QStringLiteral("--db"), QStringLiteral("mysql://x")}
                                          << QStringLiteral("url.scheme") << QStringLiteral("mysql");
    }

    void cannotRun()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, code);
        QFETCH(QString, says);
        const Run run = drive(arguments + QStringList {QStringLiteral("--report-dir"), reportDir()});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.out.isEmpty());
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.startsWith(QStringLiteral("voxtrack-cli: ")), qPrintable(run.err));
        QVERIFY2(run.err.trimmed().endsWith(u'[' + code + u']'), qPrintable(run.err));
        QVERIFY2(run.err.contains(says), qPrintable(run.err));
        QVERIFY(!QFileInfo::exists(reportDir())); // nothing half-written
    }

    void tooFewFilesForTheConcurrencyCannotRun()
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        process.setChildProcessModifier([] {
            const rlimit limit {256, 256};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        });
        process.start(qEnvironmentVariable("VOXTRACK_CLI"),
            {QStringLiteral("drive"), scenario(QStringLiteral("many.json")), QStringLiteral("--url"),
                QStringLiteral("ws://127.0.0.1:9/v1/conversation")});
        QVERIFY(process.waitForFinished(30000));
        const QString err = QString::fromUtf8(process.readAllStandardError());
        QCOMPARE(process.exitCode(), 2);
        QVERIFY2(err.trimmed().endsWith(QStringLiteral("[drive.file_limit]")), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("200 sessions at once")), qPrintable(err));
    }

    void anUnreachableServerCannotRun()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        const Run run = drive({scenario(QStringLiteral("unreachable.json")), QStringLiteral("--url"),
            QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(port)});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errLines().size(), 1);
        QVERIFY2(run.err.trimmed().endsWith(QStringLiteral("[client.connect]")), qPrintable(run.err));
        QVERIFY2(run.err.contains(QString::number(port)), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestDrive)
#include "tst_drive.moc"
