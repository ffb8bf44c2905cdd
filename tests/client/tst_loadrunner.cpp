// SPDX-License-Identifier: MIT
#include "client/loadrunner.h"
#include "core/wav.h"
#include "support/testdatabase.h"
#include "support/testserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::client;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

namespace {

/// A scenario of tests/client/scenarios/.
Scenario scenarioFile(const QString& name)
{
    auto scenario = Scenario::load(QStringLiteral(VOXTRACK_TEST_SCENARIOS "/") + name);
    if (!scenario)
        qFatal("test scenario does not load: %s", qPrintable(scenario.errorText()));
    return *scenario;
}

QStringList checksOf(const RunReport& report)
{
    QStringList checks;
    for (const Finding& finding : report.findings)
        checks << finding.check;
    checks.removeDuplicates();
    checks.sort();
    return checks;
}

QString findingsText(const RunReport& report)
{
    QStringList lines;
    for (const Finding& finding : report.findings)
        lines << finding.check + QStringLiteral(" ") + finding.sessionId + QStringLiteral(": ") + finding.message;
    return lines.join(u'\n');
}

} // namespace

class TestLoadRunner : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<TestServer> m_server;

    void startServer(TestServer::Options options = {})
    {
        options.workerThreads = 2;
        auto server = TestServer::start(m_database->url(), options);
        QVERIFY2(server.hasValue(), qPrintable(server.errorText()));
        m_server = std::move(*server);
    }

    RunOptions options(bool verify = true)
    {
        RunOptions options;
        options.url = m_server->url();
        options.threads = 2;
        options.seed = 7;
        if (verify)
            options.verifyDatabase = m_database->url();
        return options;
    }

    /// Runs to the end; the runner's event loop is this thread's.
    static void run(LoadRunner& runner, int timeoutMs = 60000)
    {
        QSignalSpy finished(&runner, &LoadRunner::finished);
        VOXTRACK_VERIFY_OK(runner.start());
        if (!runner.isFinished())
            QVERIFY(finished.wait(timeoutMs));
        QVERIFY(runner.isFinished());
    }

    qint64 count(const QString& sql)
    {
        auto connection = m_database->connect();
        if (!connection)
            return -1;
        auto value = connection->scalar(sql);
        return value ? value->toLongLong() : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Hundreds of sessions: the tracker's line per session would drown the test's output.
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
    }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
    }

    void cleanup()
    {
        m_server.reset();
        m_database.reset();
    }

    void arrivalTimes_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<double>("perSecond");
        QTest::addColumn<int>("rampSeconds");
        QTest::addColumn<double>("due");
        QTest::newRow("no rate: at once") << 500 << 0.0 << 0 << 0.0;
        QTest::newRow("the first at once") << 1 << 10.0 << 0 << 0.0;
        QTest::newRow("the second after 1/rate") << 2 << 10.0 << 0 << 0.1;
        QTest::newRow("the eleventh after 1 s") << 11 << 10.0 << 0 << 1.0;
        QTest::newRow("half a session a second") << 3 << 0.5 << 0 << 4.0;
        QTest::newRow("ramp: k = rate t^2 / 2 ramp") << 3 << 10.0 << 5 << std::sqrt(2.0);
        QTest::newRow("ramp: its end") << 26 << 10.0 << 5 << 5.0;
        QTest::newRow("after the ramp: full rate") << 27 << 10.0 << 5 << 5.1;
    }

    void arrivalTimes()
    {
        QFETCH(int, n);
        QFETCH(double, perSecond);
        QFETCH(int, rampSeconds);
        QFETCH(double, due);
        QVERIFY2(qAbs(LoadRunner::dueSeconds(n, perSecond, rampSeconds) - due) < 1e-9,
            qPrintable(QString::number(LoadRunner::dueSeconds(n, perSecond, rampSeconds))));
    }

    void runsAScenarioAndTheDatabaseHoldsIt()
    {
        startServer();
        const Scenario scenario = scenarioFile(QStringLiteral("qa.json"));
        LoadRunner runner(scenario, options());
        run(runner);
        const RunReport& report = runner.report();
        QVERIFY2(report.findings.isEmpty(), qPrintable(findingsText(report)));
        QCOMPARE(report.sessionsPlanned, 12);
        QCOMPARE(report.sessionsStarted, 12);
        QCOMPARE(report.sessionsCompleted, 12);
        QCOMPARE(report.sessionsFailed, 0);
        QCOMPARE(report.messagesSent, 12 * 5);
        QCOMPARE(report.messagesAcked, 12 * 5);
        QCOMPARE(report.messagesPersisted, 12 * 5); // found by verification
        QCOMPARE(report.reply.count(), 12 * 4); // the agent turn gets no reply
        QCOMPARE(report.connect.count(), 12);
        QCOMPARE(report.peakConcurrent, 4);
        QVERIFY(report.verified);
        QVERIFY(!report.interrupted);
        QVERIFY(report.passed());
        QCOMPARE(report.exitCode(), 0);
        QCOMPARE(runner.turns().size(), 12 * 5);
        for (const TurnSample& turn : runner.turns())
            QVERIFY2(turn.ok && turn.ackUs >= 0, qPrintable(turn.sessionId + QStringLiteral(" ") + turn.error));

        // Placeholders and captures reached the database as said.
        QCOMPARE(
            count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages WHERE content = 'So 251.30 then?'")), 24);
        QCOMPARE(
            count(QStringLiteral(
                "SELECT COUNT(*) FROM conversation_messages WHERE content = 'Hello, I am qa-7.' AND role = 'user'")),
            1);
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages "
                                      "WHERE content = 'Noted 251.30 for session 3.' AND role = 'agent'")),
            1);
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE user_id LIKE 'qa-%' "
                                      "AND is_active = FALSE AND ended_at IS NOT NULL")),
            12);
    }

    void plantedFaultsAreFound_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QString>("check");
        QTest::addColumn<int>("findings"); // 3 sessions of 2 user messages each
        QTest::newRow("agent replies stored as user")
            << QStringLiteral("agent-role") << QStringLiteral("message.role") << 6; // every reply
        QTest::newRow("a message acked, never stored")
            << QStringLiteral("drop-every=2") << QStringLiteral("message.missing") << 3; // every second message
        QTest::newRow("ended sessions left active")
            << QStringLiteral("never-end") << QStringLiteral("session.still_active") << 3; // every session
    }

    void plantedFaultsAreFound()
    {
        QFETCH(QString, fault);
        QFETCH(QString, check);
        QFETCH(int, findings);
        TestServer::Options serverOptions;
        QVERIFY(serverOptions.faults.enable(fault));
        startServer(serverOptions);
        const Scenario scenario = scenarioFile(QStringLiteral("faults.json"));
        RunOptions runOptions = options();
        runOptions.settleMs = 1500;
        runOptions.replyTimeoutMs = 1500; // a dropped message gets no reply
        LoadRunner runner(scenario, runOptions);
        run(runner);
        const RunReport& report = runner.report();
        QVERIFY2(checksOf(report).contains(check), qPrintable(findingsText(report)));
        // Each wrong row is a finding naming its session.
        int hits = 0;
        for (const Finding& finding : report.findings) {
            QVERIFY(!finding.message.isEmpty());
            QVERIFY(!finding.sessionId.isEmpty());
            hits += finding.check == check ? 1 : 0;
        }
        QVERIFY2(hits == findings, qPrintable(findingsText(report)));
        QVERIFY(!report.passed());
        QCOMPARE(report.exitCode(), 1);
        if (fault == u"drop-every=2")
            QCOMPARE(report.messagesPersisted, report.messagesSent - 3);
    }

    void aMissedExpectationFailsTheSession()
    {
        startServer();
        const Scenario scenario = scenarioFile(QStringLiteral("missed-expectation.json"));
        LoadRunner runner(scenario, options(false));
        run(runner);
        const RunReport& report = runner.report();
        QCOMPARE(report.sessionsFailed, 4);
        QCOMPARE(report.sessionsCompleted, 0);
        QCOMPARE(report.errorsByCode.value(QStringLiteral("expect.contains")), 4);
        QVERIFY(!report.verified);
        QCOMPARE(report.exitCode(), 1);
        QCOMPARE(report.failedThresholds(), 1);
        QCOMPARE(report.thresholds.constFirst().name, QStringLiteral("error rate"));
        QCOMPARE(report.thresholds.constFirst().actual, 1.0);
        int failedTurns = 0;
        for (const TurnSample& turn : runner.turns()) {
            if (!turn.ok) {
                ++failedTurns;
                QCOMPARE(turn.turn, 1);
                QVERIFY2(turn.error.startsWith(QStringLiteral("expect.contains: ")), qPrintable(turn.error));
                QVERIFY(turn.error.contains(QStringLiteral("Nvidia")));
            }
        }
        QCOMPARE(failedTurns, 4);
    }

    void thresholdsDecide()
    {
        startServer();
        const Scenario scenario = scenarioFile(QStringLiteral("thresholds-lenient.json"));
        LoadRunner runner(scenario, options());
        run(runner);
        const RunReport& report = runner.report();
        QStringList names;
        for (const Threshold& threshold : report.thresholds) {
            names << threshold.name;
            QVERIFY2(threshold.passed(), qPrintable(threshold.name));
        }
        QCOMPARE(names,
            QStringList({QStringLiteral("p95 reply ms"), QStringLiteral("p99 reply ms"), QStringLiteral("error rate"),
                QStringLiteral("persisted ratio")}));
        QCOMPARE(report.thresholds.at(3).actual, 1.0);
        QCOMPARE(report.exitCode(), 0);

        const Scenario strict = scenarioFile(QStringLiteral("thresholds-strict.json"));
        LoadRunner strictRunner(strict, options(false));
        run(strictRunner);
        QCOMPARE(strictRunner.report().failedThresholds(), 1);
        QCOMPARE(strictRunner.report().exitCode(), 1);
    }

    void theTimeCapEndsTheRun()
    {
        startServer();
        // 21 sessions are due within the first second at 20 a second; the cap stops the rest.
        const Scenario scenario = scenarioFile(QStringLiteral("time-cap.json"));
        LoadRunner runner(scenario, options());
        run(runner);
        const RunReport& report = runner.report();
        QVERIFY(report.interrupted);
        QVERIFY2(report.sessionsStarted >= 1 && report.sessionsStarted <= 21,
            qPrintable(QString::number(report.sessionsStarted)));
        QCOMPARE(report.sessionsFailed, 0);
        // Sessions cut by the cap end properly: the database holds them, ended.
        QVERIFY2(report.findings.isEmpty(), qPrintable(findingsText(report)));
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE is_active = FALSE")),
            report.sessionsStarted);
    }

    void stopEndsOpenSessionsGracefully()
    {
        startServer();
        const Scenario scenario = scenarioFile(QStringLiteral("stop.json"));
        LoadRunner runner(scenario, options());
        QSignalSpy finished(&runner, &LoadRunner::finished);
        VOXTRACK_VERIFY_OK(runner.start());
        QTRY_COMPARE_WITH_TIMEOUT(runner.progress().replies, qint64(6), 20000);
        QCOMPARE(runner.progress().open, 6);
        runner.stop();
        QVERIFY(finished.wait(20000));
        const RunReport& report = runner.report();
        QVERIFY(report.interrupted);
        QCOMPARE(report.sessionsStarted, 6);
        QCOMPARE(report.sessionsFailed, 0);
        QCOMPARE(report.sessionsCompleted, 0); // the second turn was never said
        QCOMPARE(report.messagesSent, 6);
        QVERIFY2(report.findings.isEmpty(), qPrintable(findingsText(report)));
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE is_active = FALSE "
                                      "AND end_reason = 'client_closed'")),
            6);
    }

    void manySessionsAtOnce()
    {
        startServer();
        const Scenario scenario = scenarioFile(QStringLiteral("many.json"));
        LoadRunner runner(scenario, options());
        run(runner, 120000);
        const RunReport& report = runner.report();
        QCOMPARE(report.sessionsCompleted, 400);
        QVERIFY(report.peakConcurrent <= 200);
        QVERIFY(report.peakConcurrent > 1);
        QCOMPARE(report.reply.count(), 1200);
        QVERIFY2(report.findings.isEmpty(), qPrintable(findingsText(report)));
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages WHERE role = 'agent'")), 1200);
    }

    void progressWindowsHoldTheRecentReplies()
    {
        startServer();
        const Scenario scenario = scenarioFile(QStringLiteral("many.json"));
        LoadRunner runner(scenario, options(false));
        // Each distinct window seen while polling, as a caller drawing a chart would see them.
        QList<RunProgress> windows;
        const auto look = [&] {
            const RunProgress p = runner.progress();
            if (p.windowEndSeconds > 0 && (windows.isEmpty() || p.windowEndSeconds > windows.last().windowEndSeconds))
                windows.append(p);
        };
        QTimer poll;
        poll.setInterval(50);
        connect(&poll, &QTimer::timeout, &runner, look);
        poll.start();
        run(runner, 120000);
        poll.stop();
        look(); // the last window closes when the run is over
        QVERIFY(!windows.isEmpty());
        qint64 replies = 0;
        double previousEnd = 0;
        for (const RunProgress& window : std::as_const(windows)) {
            QCOMPARE(window.windowStartSeconds, previousEnd); // windows follow each other without gaps
            QVERIFY(window.windowEndSeconds > window.windowStartSeconds);
            // Closed a second after the previous one, except the last.
            if (&window != &windows.last())
                QVERIFY(window.windowEndSeconds - window.windowStartSeconds >= 1.0);
            previousEnd = window.windowEndSeconds;
            replies += window.windowReplies;
            if (window.windowReplies > 0) {
                QVERIFY(window.windowReplyP50Ms > 0);
                QVERIFY(window.windowReplyP50Ms <= window.windowReplyP95Ms);
                QVERIFY(window.windowReplyP95Ms <= window.windowReplyP99Ms);
            } else {
                QCOMPARE(window.windowReplyP99Ms, 0.0);
            }
        }
        // Every reply is in exactly one window.
        QCOMPARE(replies, runner.report().reply.count());
        QCOMPARE(windows.last().windowEndSeconds, runner.report().durationSeconds);
        // Once the run is over the windows stay as they are.
        QCOMPARE(runner.progress().windowEndSeconds, windows.last().windowEndSeconds);
        QCOMPARE(runner.progress().elapsedSeconds, runner.report().durationSeconds);
        // keepTurns is on by default: every turn is kept.
        QCOMPARE(runner.turns().size(), 1200);
    }

    void turnsAreKeptOnlyWhenAsked()
    {
        startServer();
        RunOptions runOptions = options(false);
        runOptions.keepTurns = false;
        LoadRunner runner(scenarioFile(QStringLiteral("qa.json")), runOptions);
        run(runner);
        QCOMPARE(runner.report().sessionsCompleted, 12);
        QCOMPARE(runner.report().reply.count(), 12 * 4);
        QVERIFY(runner.turns().isEmpty());
    }

    void theDemoTalksWithTheBuiltInAgent()
    {
        // The demo's conversations, without their think times, against the built-in rules: every
        // expectation holds.
        startServer();
        auto demo = Scenario::load(QStringLiteral(":/voxtrack/scenarios/demo.json"));
        QVERIFY2(demo.hasValue(), qPrintable(demo.errorText()));
        demo->sessions = 3;
        demo->concurrency = 3;
        demo->arrivalPerSecond = 0;
        demo->audio.pacing = Pacing::Fast; // the demo speaks in real time; the checks are the same
        for (Turn& turn : demo->turns)
            turn.think = {};
        LoadRunner runner(*demo, options());
        run(runner);
        const RunReport& report = runner.report();
        QVERIFY2(report.sessionsFailed == 0, qPrintable(report.toText()));
        QCOMPARE(report.sessionsCompleted, 3);
        QVERIFY2(report.findings.isEmpty(), qPrintable(findingsText(report)));
    }

    void theVoiceScenarioSpeaks()
    {
        // voice.json's spoken turns, synthesized and sent in real time, are understood through
        // their transcripts: every expectation holds, the transcripts are stored, and verification
        // fetches each stored utterance and finds a WAV as long as what was sent.
        startServer();
        auto voice = Scenario::load(QStringLiteral(":/voxtrack/scenarios/voice.json"));
        QVERIFY2(voice.hasValue(), qPrintable(voice.errorText()));
        QCOMPARE(voice->audio.pacing, Pacing::RealTime);
        voice->sessions = 2;
        voice->concurrency = 2;
        for (Turn& turn : voice->turns)
            turn.think = {};
        LoadRunner runner(*voice, options());
        QElapsedTimer clock;
        clock.start();
        run(runner);
        const RunReport& report = runner.report();
        QVERIFY2(report.sessionsFailed == 0, qPrintable(report.toText()));
        QCOMPARE(report.sessionsCompleted, 2);
        QCOMPARE(report.messagesAcked, 6);
        QCOMPARE(report.reply.count(), 6);
        // three sentences of more than a second each, sent in real time
        QVERIFY2(clock.elapsed() > 3000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages "
                                      "WHERE content = 'What is the price of Tesla?' AND role = 'user'")),
            2);
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages "
                                      "WHERE content = 'The latest price for Apple is $189.25.' AND role = 'agent'")),
            2);
        QVERIFY2(report.findings.isEmpty(), qPrintable(findingsText(report)));
        QCOMPARE(QDir(m_server->audioDirectory()).entryList({QStringLiteral("*.wav")}, QDir::Files).size(), 6);
    }

    void verificationCatchesAMissingAudioFile()
    {
        startServer();
        auto voice = Scenario::load(QStringLiteral(":/voxtrack/scenarios/voice.json"));
        QVERIFY2(voice.hasValue(), qPrintable(voice.errorText()));
        voice->audio.pacing = Pacing::Fast;
        for (Turn& turn : voice->turns)
            turn.think = {};
        LoadRunner runner(*voice, options(false));
        run(runner);
        QCOMPARE(runner.report().sessionsCompleted, 1);
        QVERIFY(m_server->waitForPersisted());

        // One stored utterance goes missing: its audio_url answers 404.
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto url = connection->scalar(QStringLiteral(
            "SELECT audio_url FROM conversation_messages WHERE content = 'What is the price of Tesla?'"));
        QVERIFY2(url.hasValue(), qPrintable(url.errorText()));
        const QString audioUrl = url->toString();
        const QString file = QDir(m_server->audioDirectory()).filePath(QUrl(audioUrl).fileName());
        const auto format = wav::parse([&] {
            QFile wavFile(file);
            return wavFile.open(QIODevice::ReadOnly) ? wavFile.readAll() : QByteArray();
        }());
        QVERIFY2(format.hasValue(), qPrintable(format.errorText()));
        QCOMPARE(checkAudio(QStringLiteral("s"), QStringLiteral("m1"), audioUrl, format->durationSeconds()).size(), 0);
        QVERIFY(QFile::remove(file));
        const QList<Finding> findings = checkAudio(QStringLiteral("s"), QStringLiteral("m1"), audioUrl, 1.0);
        QCOMPARE(findings.size(), 1);
        QCOMPARE(findings.constFirst().check, QStringLiteral("audio.fetch"));
        QVERIFY2(
            findings.constFirst().message.contains(QStringLiteral("404")), qPrintable(findings.constFirst().message));
    }

    void anUnreachableServerCannotRun()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close(); // nothing listens there now
        const Scenario scenario = scenarioFile(QStringLiteral("unreachable.json"));
        RunOptions runOptions;
        runOptions.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(port));
        LoadRunner runner(scenario, runOptions);
        run(runner);
        QVERIFY(runner.fatalError().has_value());
        QCOMPARE(runner.fatalError()->code, QStringLiteral("client.connect"));
        QVERIFY2(
            runner.fatalError()->message.contains(QString::number(port)), qPrintable(runner.fatalError()->message));
        QVERIFY(runner.report().sessionsStarted == 0);
        QVERIFY(runner.report().messagesSent == 0);
    }

    void anUnreadableDatabaseStopsBeforeAnySession()
    {
        const Scenario scenario = scenarioFile(QStringLiteral("minimal.json"));
        RunOptions runOptions;
        runOptions.url = QUrl(QStringLiteral("ws://127.0.0.1:9/v1/conversation"));
        auto missing = DatabaseUrl::parse(QStringLiteral("sqlite:///nonexistent-dir/none.db"));
        QVERIFY(missing.hasValue());
        runOptions.verifyDatabase = *missing;
        LoadRunner runner(scenario, runOptions);
        const Status started = runner.start();
        QVERIFY(!started.isNull());
        QVERIFY2(started.code.startsWith(QStringLiteral("db.")), qPrintable(started.code));
        QCOMPARE(runner.progress().started, 0);
    }
};

QTEST_GUILESS_MAIN(TestLoadRunner)
#include "tst_loadrunner.moc"
