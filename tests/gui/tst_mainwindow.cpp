// SPDX-License-Identifier: MIT
#include "gui/activitypane.h"
#include "gui/connectionbar.h"
#include "gui/conversationpage.h"
#include "gui/dashboardpage.h"
#include "gui/healthpage.h"
#include "gui/mainwindow.h"
#include "gui/sessionspage.h"
#include "models/activitylog.h"
#include "models/doctorreportmodel.h"
#include "models/messagesmodel.h"
#include "models/sessionsmodel.h"
#include "models/statisticsmodels.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"
#include "tracker/seeder.h"

#include <QLoggingCategory>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace voxtrack;
using gui::MainWindow;

/// The whole window on a seeded database: every page shows what the database holds.
class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_settings;

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
        // The user's settings (profiles, window state) are never read or written.
        QVERIFY(m_settings.isValid());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settings.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settings.path());
    }

    void everyPageShowsTheDatabase()
    {
        VOXTRACK_TEST_DATABASE(database);
        {
            auto writer = database->connectMigrated();
            QVERIFY(writer);
            tracker::SeedOptions options;
            options.sessions = 40;
            options.messagesPerSession = 6;
            options.activePercent = 5;
            options.seed = 7;
            const auto seeded = tracker::Seeder(*writer, options).run();
            QVERIFY2(seeded.hasValue(), qPrintable(seeded.errorText()));
        }

        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy connected(window.connectionBar(), &gui::ConnectionBar::databaseConnected);
        QSignalSpy doctor(window.healthPage(), &gui::HealthPage::doctorFinished);
        window.connectionBar()->connectTo({}, database->url().toString());
        QVERIFY(connected.wait(10000));
        QVERIFY(window.changeFeed());
        QTRY_COMPARE_WITH_TIMEOUT(window.changeFeed()->state(), store::ChangeFeed::State::Live, 10000);

        // Sessions: every seeded session.
        window.showPage(MainWindow::Page::Sessions);
        models::SessionsModel* sessions = window.sessionsPage()->model();
        QTRY_COMPARE_WITH_TIMEOUT(sessions->rowCountState(), models::SessionsModel::RowCountState::Complete, 10000);
        QCOMPARE(sessions->rowCount(), 40);

        // Conversation: the session opened shows its six messages, in order.
        QTRY_VERIFY_WITH_TIMEOUT(sessions->index(0, 0).data(models::SessionsModel::LoadedRole).toBool(), 10000);
        const QString first = sessions->index(0, 0).data(models::SessionsModel::SessionIdRole).toString();
        window.openSession(first);
        QCOMPARE(window.currentPage(), MainWindow::Page::Conversation);
        models::MessagesModel* messages = window.conversationPage()->model();
        QTRY_COMPARE_WITH_TIMEOUT(messages->rowCount(), 6, 10000);
        QCOMPARE(messages->index(0, 0).data(models::MessagesModel::RoleNameRole).toString(), QStringLiteral("system"));

        // Dashboard: the numbers of the database.
        window.showPage(MainWindow::Page::Dashboard);
        models::StatisticsLoader* statistics = window.dashboardPage()->loader();
        QTRY_VERIFY_WITH_TIMEOUT(statistics->messagesByRoleModel()->hasResults(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statistics->messagesByRoleModel()->total(), qint64(40 * 6), 10000);

        // Health: the doctor ran on the same database, and a seeded database is clean.
        if (doctor.isEmpty())
            QVERIFY(doctor.wait(20000));
        QCOMPARE(doctor.constLast().constFirst().toBool(), true);
        QVERIFY(window.healthPage()->model()->rowCount() > 10);
        QCOMPARE(window.healthPage()->model()->report().count(store::Severity::Error), 0);

        // The activity log starts empty and tells what is written from now on.
        QCOMPARE(window.activityLog()->rowCount(), 0);
        {
            auto writer = database->connect();
            VOXTRACK_VERIFY_OK(writer->exec(QStringLiteral(
                "INSERT INTO conversation_sessions (session_id, user_id) VALUES ('late-1', 'late-user')")));
        }
        QTRY_COMPARE_WITH_TIMEOUT(window.activityLog()->rowCount(), 1, 10000);
        QCOMPARE(window.activityLog()->index(0).data(models::ActivityLog::TextRole).toString(),
            QStringLiteral("Started session late-1 for user late-user"));
        QTRY_COMPARE_WITH_TIMEOUT(sessions->rowCount(), 41, 10000);

        // A line of the log opens its session.
        Q_EMIT window.activityPane()->sessionRequested(QStringLiteral("late-1"));
        QCOMPARE(window.conversationPage()->sessionId(), QStringLiteral("late-1"));

        // Shortcuts: Ctrl+1 … Ctrl+5 switch pages; F5 runs the doctor again on the Health page.
        QTest::keyClick(&window, Qt::Key_5, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), MainWindow::Page::Health);
        const qsizetype runs = doctor.size();
        QTest::keyClick(&window, Qt::Key_F5);
        QTRY_COMPARE_WITH_TIMEOUT(doctor.size(), runs + 1, 20000);
        QTest::keyClick(&window, Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(window.currentPage(), MainWindow::Page::Sessions);

        // Disconnecting leaves no page on the old database.
        QSignalSpy disconnected(window.connectionBar(), &gui::ConnectionBar::databaseDisconnected);
        window.connectionBar()->disconnectAll();
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, 5000);
        QCOMPARE(window.changeFeed(), nullptr);
        QCOMPARE(sessions->rowCount(), 0);
        QVERIFY(!window.sessionsPage()->isEnabled());
    }

    void remembersItsPageAndLayout()
    {
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.showPage(MainWindow::Page::Dashboard);
            window.close();
        }
        MainWindow again;
        QCOMPARE(again.currentPage(), MainWindow::Page::Dashboard);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
