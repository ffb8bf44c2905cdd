// SPDX-License-Identifier: MIT
#include "core/role.h"
#include "core/wav.h"
#include "gui/bubbledelegate.h"
#include "gui/loadpanel.h"
#include "gui/simulatorpage.h"
#include "models/messagesmodel.h"
#include "store/connection.h"
#include "support/testdatabase.h"
#include "support/testserver.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLoggingCategory>
#include <QMediaDevices>
#include <QPushButton>
#include <QSignalSpy>
#include <QSplitter>
#include <QTcpServer>
#include <QTest>

using namespace voxtrack;
using voxtrack::gui::BubbleDelegate;
using voxtrack::gui::SimulatorPage;
using voxtrack::models::MessagesModel;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

namespace {

constexpr int waitMs = 10'000;

/// The rows of the chat with a role (not error reports), as (role, content).
QList<std::pair<int, QString>> messagesOf(const QAbstractItemModel& chat)
{
    QList<std::pair<int, QString>> rows;
    for (int row = 0; row < chat.rowCount(); ++row) {
        const QModelIndex index = chat.index(row, 0);
        if (!index.data(BubbleDelegate::ErrorRole).toBool())
            rows.append(
                {index.data(MessagesModel::RoleRole).toInt(), index.data(MessagesModel::ContentRole).toString()});
    }
    return rows;
}

} // namespace

class TestSimulatorPage : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;

    template <typename T> T* child(QWidget& page, const char* name)
    {
        return page.findChild<T*>(QString::fromLatin1(name));
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        QVERIFY(m_database->connectMigrated());
    }

    void cleanup() { m_database.reset(); }

    void talksToTheAgentAndTheDatabaseRecordsIt()
    {
        auto started = TestServer::start(m_database->url());
        QVERIFY2(started.hasValue(), qPrintable(started.errorText()));
        std::unique_ptr<TestServer> server = std::move(*started);

        SimulatorPage page;
        QAbstractItemModelTester tester(page.chatModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1100, 700);
        page.show();
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        auto* startButton = child<QPushButton>(page, "startButton");
        auto* endButton = child<QPushButton>(page, "endButton");
        auto* utterance = child<QLineEdit>(page, "utteranceEdit");
        auto* header = child<QLabel>(page, "headerLabel");
        QVERIFY(startButton && endButton && utterance && header);
        QCOMPARE(child<QLineEdit>(page, "userEdit")->text(), QStringLiteral("demo-user"));
        QVERIFY(page.loadPanel());
        QCOMPARE(child<QSplitter>(page, "splitter")->widget(1), page.loadPanel());

        page.setServerUrl(server->url());
        page.setDatabase(m_database->url());
        QVERIFY(startButton->isEnabled());
        QVERIFY(!endButton->isEnabled());

        // Ctrl+N starts a session.
        QSignalSpy sessionStarted(&page, &SimulatorPage::sessionStarted);
        QTest::keyClick(&page, Qt::Key_N, Qt::ControlModifier);
        QVERIFY(sessionStarted.wait(waitMs));
        const QString sessionId = sessionStarted.constFirst().constFirst().toString();
        QVERIFY(!sessionId.isEmpty());
        QCOMPARE(page.sessionId(), sessionId);
        QVERIFY(page.isSessionOpen());
        QVERIFY(endButton->isEnabled());
        QVERIFY(!startButton->isEnabled());
        QVERIFY(header->text().startsWith(QStringLiteral("Session %1").arg(sessionId.left(8))));
        QVERIFY(header->text().contains(QStringLiteral("active")));

        // Typed and sent with Return: the user's message, then the agent's reply with its latency.
        const QString question = QStringLiteral("What's the price of a Model 3?");
        utterance->setFocus();
        QTest::keyClicks(utterance, question);
        QTest::keyClick(utterance, Qt::Key_Return);
        QCOMPARE(utterance->text(), QString());
        QAbstractItemModel* chat = page.chatModel();
        QTRY_COMPARE_WITH_TIMEOUT(messagesOf(*chat).size(), 3, waitMs); // session line, user, agent
        const auto messages = messagesOf(*chat);
        QCOMPARE(messages.at(0).first, int(Role::System));
        QCOMPARE(messages.at(1), std::make_pair(int(Role::User), question));
        QCOMPARE(messages.at(2).first, int(Role::Agent));
        QVERIFY(messages.at(2).second.contains(QStringLiteral("Model 3")));
        const QModelIndex reply = chat->index(2, 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            reply.data(BubbleDelegate::DetailRole).toString().contains(QStringLiteral("saved in")), waitMs);
        QVERIFY(reply.data(BubbleDelegate::DetailRole).toString().startsWith(QStringLiteral("reply in ")));
        QVERIFY(reply.data(MessagesModel::CreatedAtRole).toDateTime().isValid());
        QVERIFY2(header->text().contains(QStringLiteral(" · 1 turn")), qPrintable(header->text()));

        // A second turn through the API.
        page.sendText(QStringLiteral("Goodbye"));
        QTRY_COMPARE_WITH_TIMEOUT(messagesOf(*chat).size(), 5, waitMs);
        QVERIFY2(header->text().contains(QStringLiteral(" · 2 turn")), qPrintable(header->text()));

        // Ctrl+E ends it: the summary as a system line.
        QSignalSpy sessionEnded(&page, &SimulatorPage::sessionEnded);
        QTest::keyClick(&page, Qt::Key_E, Qt::ControlModifier);
        QVERIFY(sessionEnded.wait(waitMs));
        QCOMPARE(sessionEnded.constFirst().constFirst().toString(), sessionId);
        QTRY_VERIFY_WITH_TIMEOUT(startButton->isEnabled(), waitMs);
        QVERIFY(!page.isSessionOpen());
        const auto afterEnd = messagesOf(*chat);
        QCOMPARE(afterEnd.constLast().first, int(Role::System));
        QVERIFY2(afterEnd.constLast().second.startsWith(QStringLiteral("Session ended after")),
            qPrintable(afterEnd.constLast().second));
        QVERIFY(afterEnd.constLast().second.contains(QStringLiteral("message")));
        QVERIFY(header->text().contains(QStringLiteral("ended")));

        // What reached the database: the session ended, the user's and the agent's messages in order.
        QVERIFY(server->waitForPersisted());
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto active = connection->scalar(
            QStringLiteral("SELECT is_active FROM conversation_sessions WHERE session_id = ?"), {sessionId});
        QVERIFY2(active.hasValue(), qPrintable(active.errorText()));
        QCOMPARE(active->toBool(), false);
        const auto endedAt = connection->scalar(
            QStringLiteral("SELECT ended_at FROM conversation_sessions WHERE session_id = ?"), {sessionId});
        QVERIFY(endedAt.hasValue() && !endedAt->isNull());
        QStringList roles;
        QStringList contents;
        VOXTRACK_VERIFY_OK(store::forEachRow(*connection,
            QStringLiteral("SELECT role, content FROM conversation_messages WHERE session_id = ? AND role <> 'system' "
                           "ORDER BY seq"),
            {sessionId}, [&](const QSqlQuery& query) {
                roles << query.value(0).toString();
                contents << query.value(1).toString();
            }));
        QCOMPARE(roles,
            (QStringList {
                QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("user"), QStringLiteral("agent")}));
        QCOMPARE(contents.at(0), question);
        QCOMPARE(contents.at(1), messages.at(2).second);
        QCOMPARE(contents.at(2), QStringLiteral("Goodbye"));
    }

    void speaksWhenAskedTo()
    {
        auto started = TestServer::start(m_database->url());
        QVERIFY2(started.hasValue(), qPrintable(started.errorText()));
        std::unique_ptr<TestServer> server = std::move(*started);
        SimulatorPage page;
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setServerUrl(server->url());
        auto* spoken = child<QCheckBox>(page, "voiceCheck");
        QVERIFY(spoken);
        spoken->setChecked(true);
        // "Aloud" needs a sound device; without one it says why.
        auto* aloud = child<QCheckBox>(page, "aloudCheck");
        QCOMPARE(aloud->isEnabled(), !QMediaDevices::audioOutputs().isEmpty());

        QSignalSpy sessionStarted(&page, &SimulatorPage::sessionStarted);
        page.startSession();
        QVERIFY(sessionStarted.wait(waitMs));
        page.sendText(QStringLiteral("What is the price of Tesla?"));
        QAbstractItemModel* chat = page.chatModel();
        QTRY_COMPARE_WITH_TIMEOUT(messagesOf(*chat).size(), 3, waitMs); // session line, user, agent
        QVERIFY(messagesOf(*chat).at(2).second.contains(QStringLiteral("Tesla")));
        QVERIFY2(chat->index(1, 0).data(BubbleDelegate::DetailRole).toString().startsWith(QStringLiteral("spoken")),
            qPrintable(chat->index(1, 0).data(BubbleDelegate::DetailRole).toString()));

        // The utterance reached the database with its audio, stored by the server as a WAV file.
        QVERIFY(server->waitForPersisted());
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto url = connection->scalar(QStringLiteral("SELECT audio_url FROM conversation_messages WHERE role = "
                                                           "'user' AND content = 'What is the price of Tesla?'"));
        QVERIFY2(url.hasValue(), qPrintable(url.errorText()));
        const QString file = QDir(server->audioDirectory()).filePath(QUrl(url->toString()).fileName());
        QFile wavFile(file);
        QVERIFY2(wavFile.open(QIODevice::ReadOnly), qPrintable(file));
        const auto format = wav::parse(wavFile.readAll());
        QVERIFY2(format.hasValue(), qPrintable(format.errorText()));
        QCOMPARE(format->sampleRate, 16000);
        QVERIFY2(format->durationSeconds() > 1.0 && format->durationSeconds() < 4.0,
            qPrintable(QString::number(format->durationSeconds())));
    }

    void aServerThatIsNotListeningIsAClearError()
    {
        // A port that was free a moment ago: nothing listens there.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();

        SimulatorPage page;
        QAbstractItemModelTester tester(page.chatModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setServerUrl(QUrl(QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(port)));
        QSignalSpy status(&page, &SimulatorPage::statusMessage);
        QSignalSpy sessionStarted(&page, &SimulatorPage::sessionStarted);
        page.startSession();
        QTRY_COMPARE_WITH_TIMEOUT(page.chatModel()->rowCount(), 1, waitMs);
        const QModelIndex error = page.chatModel()->index(0, 0);
        QVERIFY(error.data(BubbleDelegate::ErrorRole).toBool());
        QCOMPARE(BubbleDelegate::kindOf(error), BubbleDelegate::Kind::Error);
        const QString message = error.data(MessagesModel::ContentRole).toString();
        QVERIFY2(message.startsWith(QStringLiteral("Could not connect to ws://127.0.0.1:%1").arg(port)),
            qPrintable(message));
        QVERIFY(message.contains(QStringLiteral("check the server URL")));
        QVERIFY(!status.isEmpty());
        QCOMPARE(status.constLast().constFirst().toString(), message);
        // Nothing is left half-open: a new attempt can be made.
        QTRY_VERIFY_WITH_TIMEOUT(child<QPushButton>(page, "startButton")->isEnabled(), waitMs);
        QVERIFY(!page.isSessionOpen());
        QCOMPARE(sessionStarted.size(), 0);
        page.sendText(QStringLiteral("Hello?"));
        QVERIFY(status.constLast().constFirst().toString().startsWith(QStringLiteral("No session is open")));
        QCOMPARE(page.chatModel()->rowCount(), 1);
    }

    void withoutAServerTheControlsSayWhy()
    {
        SimulatorPage page;
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setServerUrl({});
        QVERIFY(!child<QPushButton>(page, "startButton")->isEnabled());
        QVERIFY(!child<QPushButton>(page, "sendButton")->isEnabled());
        auto* hint = child<QLabel>(page, "hintLabel");
        QVERIFY(hint->isVisible());
        QVERIFY(hint->text().startsWith(QStringLiteral("No server")));
        QSignalSpy status(&page, &SimulatorPage::statusMessage);
        page.startSession();
        QCOMPARE(status.size(), 1);
        QVERIFY(status.constFirst().constFirst().toString().contains(QStringLiteral("connection bar")));
        QCOMPARE(page.chatModel()->rowCount(), 0);
    }
};

QTEST_MAIN(TestSimulatorPage)
#include "tst_simulatorpage.moc"
