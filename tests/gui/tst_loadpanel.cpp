// SPDX-License-Identifier: MIT
#include "client/loadrunner.h"
#include "gui/loadpanel.h"
#include "support/testdatabase.h"
#include "support/testserver.h"

#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineSeries>
#include <QLoggingCategory>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

using namespace voxtrack;
using voxtrack::gui::LoadPanel;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

namespace {

const auto teslaScenario = QLatin1String(":/voxtrack/scenarios/tesla.json");

/// The panel's chart series by name.
QLineSeries* series(const LoadPanel& panel, const QString& name)
{
    for (const QChartView* view : panel.findChildren<QChartView*>()) {
        for (QAbstractSeries* candidate : view->chart()->series()) {
            if (candidate->name() == name)
                return qobject_cast<QLineSeries*>(candidate);
        }
    }
    return nullptr;
}

template <typename T> T* child(const LoadPanel& panel, const char* name)
{
    return panel.findChild<T*>(QLatin1String(name));
}

/// Writes a scenario file into directory and returns its path.
QString writeScenario(const QTemporaryDir& directory, const QString& name, const QByteArray& json)
{
    const QString path = directory.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

} // namespace

class TestLoadPanel : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<TestServer> m_server;

    void startServer()
    {
        TestServer::Options options;
        options.workerThreads = 2;
        auto server = TestServer::start(m_database->url(), options);
        QVERIFY2(server.hasValue(), qPrintable(server.errorText()));
        m_server = std::move(*server);
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
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

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

    void offersTheBuiltInScenarios()
    {
        LoadPanel panel;
        auto* combo = child<QComboBox>(panel, "scenarioCombo");
        QVERIFY(combo);
        for (const char* file : {"tesla.json", "demo.json", "load-ramp.json"}) {
            const int index = combo->findData(QString(QStringLiteral(":/voxtrack/scenarios/") + QLatin1String(file)));
            QVERIFY2(index >= 0, file);
            QVERIFY(!combo->itemData(index, Qt::ToolTipRole).toString().isEmpty()); // the description
        }
        // tesla is the default; its numbers fill the overrides.
        QCOMPARE(panel.scenarioPath(), QString(teslaScenario));
        QCOMPARE(combo->currentText(), QStringLiteral("tesla"));
        QVERIFY(panel.selectScenario(QStringLiteral(":/voxtrack/scenarios/demo.json")));
        QCOMPARE(combo->currentText(), QStringLiteral("demo"));
        QCOMPARE(child<QSpinBox>(panel, "sessionsSpin")->value(), 100000);
        QCOMPARE(child<QSpinBox>(panel, "concurrencySpin")->value(), 4);
        QVERIFY(qAbs(child<QDoubleSpinBox>(panel, "rateSpin")->value() - 0.33) < 0.01);
        // Choosing in the list selects too.
        combo->setCurrentIndex(combo->findData(QString(teslaScenario)));
        QCOMPARE(panel.scenarioPath(), QString(teslaScenario));
        QCOMPARE(child<QSpinBox>(panel, "sessionsSpin")->value(), 1);
    }

    void startNeedsAServer()
    {
        LoadPanel panel;
        auto* runButton = child<QPushButton>(panel, "runButton");
        auto* stopButton = child<QPushButton>(panel, "stopButton");
        auto* hint = child<QLabel>(panel, "serverHintLabel");
        auto* verify = child<QCheckBox>(panel, "verifyCheck");
        QCOMPARE(runButton->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
        QCOMPARE(stopButton->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Period));
        QVERIFY(!runButton->isEnabled());
        QVERIFY(!stopButton->isEnabled());
        QCOMPARE(hint->text(), QStringLiteral("Connect to a server first."));
        QVERIFY(!verify->isEnabled()); // no database
        panel.start(); // nothing to run against
        QVERIFY(!panel.isRunning());
        QVERIFY(!panel.runner());

        panel.setServerUrl(QUrl(QStringLiteral("ws://127.0.0.1:9/v1/conversation")));
        QVERIFY(runButton->isEnabled());
        QVERIFY(hint->text().isEmpty());
        panel.setDatabase(m_database->url());
        QVERIFY(verify->isEnabled());
        panel.setVerifyDatabase(true);
        QVERIFY(verify->isChecked());
        panel.setDatabase(std::nullopt);
        QVERIFY(!verify->isEnabled());
        QVERIFY(!verify->isChecked());
        panel.setServerUrl(QUrl());
        QVERIFY(!runButton->isEnabled());
    }

    void runsAScenarioLive()
    {
        startServer();
        LoadPanel panel;
        panel.resize(560, 700);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.setServerUrl(m_server->url());
        panel.setDatabase(m_database->url());
        QVERIFY(panel.selectScenario(teslaScenario));
        panel.setSessions(20);
        panel.setConcurrency(5);
        panel.setVerifyDatabase(true);

        QSignalSpy started(&panel, &LoadPanel::runStarted);
        QSignalSpy finished(&panel, &LoadPanel::runFinished);
        auto* runButton = child<QPushButton>(panel, "runButton");
        QVERIFY(runButton->isEnabled());
        runButton->click();
        QCOMPARE(started.size(), 1);
        QVERIFY(panel.runner());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 60000);
        QCOMPARE(finished.size(), 1);
        QVERIFY(!panel.runner()->fatalError());
        QVERIFY(runButton->isEnabled()); // ready for another run

        auto* progress = child<QProgressBar>(panel, "progressBar");
        QCOMPARE(progress->maximum(), 20);
        QCOMPARE(progress->value(), progress->maximum());
        QVERIFY(child<QLabel>(panel, "progressLabel")
                    ->text()
                    .contains(QStringLiteral("20\u00a0of\u00a020\u00a0sessions\u00a0done")));
        for (const char* name : {"messages sent per second", "reply p50", "reply p95", "reply p99"}) {
            QLineSeries* line = series(panel, QLatin1String(name));
            QVERIFY2(line, name);
            QVERIFY2(line->count() > 0, name);
            QVERIFY2(line->count() <= LoadPanel::maxChartPoints, name);
        }
        QVERIFY(series(panel, QStringLiteral("reply p50"))->at(0).y() > 0);

        const QString summary = child<QTextBrowser>(panel, "summaryView")->toPlainText();
        QVERIFY2(summary.contains(QStringLiteral("20 completed, 0 failed")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("0 findings")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("Passed")), qPrintable(summary));
        QCOMPARE(panel.runner()->report().sessionsCompleted, 20);
        QVERIFY(panel.runner()->report().verified);

        QVERIFY(m_server->waitForPersisted());
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions")), 20);
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions "
                                      "WHERE is_active = FALSE AND ended_at IS NOT NULL")),
            20);
    }

    void aBrokenScenarioSaysWhy()
    {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString path = writeScenario(directory, QStringLiteral("assistant.json"),
            "{\"version\": 1, \"turns\": [{\"say\": \"Hello\", \"role\": \"assistant\"}]}");
        LoadPanel panel;
        panel.setServerUrl(QUrl(QStringLiteral("ws://127.0.0.1:9/v1/conversation")));
        auto* runButton = child<QPushButton>(panel, "runButton");
        auto* error = child<QLabel>(panel, "scenarioErrorLabel");
        QVERIFY(runButton->isEnabled());

        QSignalSpy status(&panel, &LoadPanel::statusMessage);
        QVERIFY(!panel.selectScenario(path));
        QVERIFY(!error->isHidden());
        QVERIFY2(error->text().contains(QStringLiteral("assistant.json")), qPrintable(error->text()));
        QVERIFY2(error->text().contains(QStringLiteral("\"assistant\"")), qPrintable(error->text()));
        QVERIFY2(error->text().contains(QStringLiteral("turns[0].role")), qPrintable(error->text()));
        QCOMPARE(panel.scenarioError(), error->text());
        QCOMPARE(status.size(), 1);
        QVERIFY(!runButton->isEnabled());
        panel.start();
        QVERIFY(!panel.isRunning());
        QCOMPARE(child<QComboBox>(panel, "scenarioCombo")->currentText(), QStringLiteral("assistant (assistant.json)"));

        // A file that cannot be read says so too.
        QVERIFY(!panel.selectScenario(directory.filePath(QStringLiteral("missing.json"))));
        QVERIFY(error->text().contains(QStringLiteral("missing.json")));

        // Fixed, it loads.
        writeScenario(directory, QStringLiteral("assistant.json"),
            "{\"version\": 1, \"name\": \"fixed\", \"sessions\": 3, \"turns\": [{\"say\": \"Hello\", \"role\": "
            "\"agent\"}]}");
        QVERIFY(panel.selectScenario(path));
        QVERIFY(error->isHidden());
        QVERIFY(panel.scenarioError().isEmpty());
        QVERIFY(runButton->isEnabled());
        QCOMPARE(child<QSpinBox>(panel, "sessionsSpin")->value(), 3);
        QCOMPARE(child<QComboBox>(panel, "scenarioCombo")->currentText(), QStringLiteral("fixed (assistant.json)"));
    }

    void stopEndsEveryStartedSession()
    {
        startServer();
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        // A second turn far in the future: every session waits for it when the run is stopped.
        const QString path = writeScenario(directory, QStringLiteral("long.json"),
            "{\"version\": 1, \"name\": \"long\", \"sessions\": 50, \"concurrency\": 4,"
            " \"turns\": [{\"say\": \"Hello\"}, {\"say\": \"What's the price of Tesla?\", \"think_ms\": [20000, "
            "30000]}]}");
        LoadPanel panel;
        panel.resize(560, 700);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.setServerUrl(m_server->url());
        panel.setDatabase(m_database->url());
        QVERIFY(panel.selectScenario(path));
        panel.setVerifyDatabase(true);
        panel.start();
        QVERIFY(panel.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(panel.runner()->progress().replies, qint64(4), 20000);

        auto* stopButton = child<QPushButton>(panel, "stopButton");
        QSignalSpy finished(&panel, &LoadPanel::runFinished);
        QVERIFY(stopButton->isEnabled());
        QCOMPARE(stopButton->text(), QStringLiteral("Stop"));
        panel.stop();
        QVERIFY(finished.wait(20000));
        QVERIFY(!panel.isRunning());
        const client::RunReport& report = panel.runner()->report();
        QVERIFY(report.interrupted);
        QCOMPARE(report.sessionsStarted, 4);
        QCOMPARE(report.sessionsFailed, 0);
        QVERIFY(report.findings.isEmpty());
        QVERIFY(!stopButton->isEnabled());
        const QString summary = child<QTextBrowser>(panel, "summaryView")->toPlainText();
        QVERIFY2(summary.contains(QStringLiteral("stopped early")), qPrintable(summary));
        QVERIFY2(
            summary.contains(QStringLiteral("0 completed, 0 failed, of 50 planned (4 started)")), qPrintable(summary));

        QVERIFY(m_server->waitForPersisted());
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions")), 4);
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE is_active = FALSE")), 4);
    }

    void aSecondStopDropsTheConnections()
    {
        startServer();
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        // The agent's reply to the second turn is awaited when the run is stopped: a graceful stop
        // waits for it, a second stop does not.
        const QString path = writeScenario(directory, QStringLiteral("long.json"),
            "{\"version\": 1, \"name\": \"long\", \"sessions\": 10, \"concurrency\": 2,"
            " \"turns\": [{\"say\": \"Hello\"}, {\"say\": \"Still there?\", \"think_ms\": 600000}]}");
        LoadPanel panel;
        panel.setServerUrl(m_server->url());
        QVERIFY(panel.selectScenario(path));
        panel.start();
        QTRY_COMPARE_WITH_TIMEOUT(panel.runner()->progress().replies, qint64(2), 20000);
        auto* stopButton = child<QPushButton>(panel, "stopButton");
        QSignalSpy finished(&panel, &LoadPanel::runFinished);
        stopButton->click();
        // Thinking sessions end at once on a graceful stop; the run may be over already.
        if (panel.isRunning()) {
            QCOMPARE(stopButton->text(), QStringLiteral("Stop now"));
            stopButton->click();
        }
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 20000);
        QCOMPARE(finished.size(), 1);
        QVERIFY(panel.runner()->report().interrupted);
    }

    void closingThePanelDuringARunEndsItsSessions()
    {
        startServer();
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString path = writeScenario(directory, QStringLiteral("long.json"),
            "{\"version\": 1, \"sessions\": 10, \"concurrency\": 3,"
            " \"turns\": [{\"say\": \"Hello\"}, {\"say\": \"Still there?\", \"think_ms\": 600000}]}");
        {
            LoadPanel panel;
            panel.setServerUrl(m_server->url());
            QVERIFY(panel.selectScenario(path));
            panel.start();
            QTRY_COMPARE_WITH_TIMEOUT(panel.runner()->progress().replies, qint64(3), 20000);
        } // the open connections are dropped; the server ends their sessions
        QTRY_COMPARE_WITH_TIMEOUT(
            count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE is_active = FALSE")), qint64(3),
            20000);
        QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions")), 3);
    }

    void anUnreachableServerIsReported()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close(); // nothing listens there now
        LoadPanel panel;
        panel.setServerUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(port)));
        QVERIFY(panel.selectScenario(teslaScenario));
        QSignalSpy status(&panel, &LoadPanel::statusMessage);
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 20000);
        QVERIFY(panel.runner()->fatalError());
        const QString summary = child<QTextBrowser>(panel, "summaryView")->toPlainText();
        QVERIFY2(summary.contains(QStringLiteral("could not take place")), qPrintable(summary));
        QVERIFY2(summary.contains(QString::number(port)), qPrintable(summary));
        QVERIFY(!status.isEmpty());
        QCOMPARE(status.constLast().constFirst().toString(), panel.runner()->fatalError()->message);
    }
};

QTEST_MAIN(TestLoadPanel)
#include "tst_loadpanel.moc"
