// SPDX-License-Identifier: MIT
#include "gui/connectionbar.h"
#include "gui/demo.h"
#include "gui/mainwindow.h"
#include "gui/sessionspage.h"
#include "models/activitylog.h"
#include "models/sessionsmodel.h"
#include "store/connection.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QLoggingCategory>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace voxtrack;
using gui::MainWindow;

/// `voxtrack --demo`: the embedded server, the seeded history and live conversations, pictured.
class TestDemo : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_settings;

    static bool logHas(const models::ActivityLog& log, const QString& start)
    {
        for (int row = 0; row < log.rowCount(); ++row) {
            if (log.index(row).data(models::ActivityLog::TextRole).toString().startsWith(start))
                return true;
        }
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
        QVERIFY(m_settings.isValid());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settings.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settings.path());
    }

    void runsLiveAndIsPictured()
    {
        QTemporaryDir data;
        QVERIFY(data.isValid());
        // The demo's own scenario, quicker: three sessions of two turns, without pauses.
        const QString scenario = data.filePath(QStringLiteral("quick.json"));
        {
            QFile file(scenario);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("{\"version\": 1, \"name\": \"quick\", \"sessions\": 3, \"concurrency\": 3, "
                       "\"user_id\": \"demo-caller-{n}\", \"session_metadata\": {\"channel\": \"demo\"}, "
                       "\"turns\": [{\"say\": \"What is the price of Tesla?\"}, {\"say\": \"Goodbye\"}]}");
        }

        MainWindow window;
        window.resize(1280, 820);
        gui::Demo::Options options;
        options.dataDirectory = data.path();
        options.historySessions = 30;
        options.scenario = scenario;
        auto demo = gui::Demo::start(window, options);
        QVERIFY2(demo.hasValue(), qPrintable(demo.errorText()));
        QSignalSpy running(demo->get(), &gui::Demo::running);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.windowTitle().contains(QStringLiteral("Demo")));
        QVERIFY(QFile::exists(QDir(data.path()).filePath(QStringLiteral("demo.db"))));

        QVERIFY(running.wait(15000));
        QCOMPARE(window.connectionBar()->databaseState(), gui::ConnectionBar::State::Connected);
        QCOMPARE(window.connectionBar()->serverState(), gui::ConnectionBar::State::Connected);

        // The history is there, the new conversations arrive, and the log tells how they end.
        models::SessionsModel* sessions = window.sessionsPage()->model();
        QTRY_VERIFY_WITH_TIMEOUT(sessions->rowCount() >= 33, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(logHas(*window.activityLog(), QStringLiteral("Ended session ")), 30000);
        QVERIFY(logHas(*window.activityLog(), QStringLiteral("Started session ")));
        QVERIFY(logHas(*window.activityLog(), QStringLiteral("Saved agent message for session ")));

        // Every recording offered for playing is one the embedded server stored: the seeded
        // history carries no audio_url.
        {
            const auto url = DatabaseUrl::parse(
                QStringLiteral("sqlite://") + QDir(data.path()).absoluteFilePath(QStringLiteral("demo.db")));
            QVERIFY2(url.hasValue(), qPrintable(url.errorText()));
            auto connection = store::Connection::open(*url);
            QVERIFY2(connection.hasValue(), qPrintable(connection.errorText()));
            const QString served = QStringLiteral("audio_url LIKE 'http://127.0.0.1:%/audio/%.wav'");
            const auto foreign
                = (*connection)
                      ->scalar(QStringLiteral(
                                   "SELECT count(*) FROM conversation_messages WHERE audio_url IS NOT NULL AND NOT ")
                          + served);
            QVERIFY2(foreign.hasValue(), qPrintable(foreign.errorText()));
            QCOMPARE(foreign->toLongLong(), 0);
            // The agent's spoken replies are there to play.
            const auto ours
                = (*connection)->scalar(QStringLiteral("SELECT count(*) FROM conversation_messages WHERE ") + served);
            QVERIFY2(ours.hasValue(), qPrintable(ours.errorText()));
            QVERIFY(ours->toLongLong() > 0);
        }

        // A picture of the window, as scripts/screenshots takes them.
        const QString picture = data.filePath(QStringLiteral("main.png"));
        QVERIFY(window.grab().save(picture, "PNG"));
        const QImage image(picture);
        QCOMPARE(image.size(), window.size() * window.devicePixelRatio());
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7) {
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        }
        QVERIFY2(colours.size() > 50, "the picture is nearly blank");
    }
};

QTEST_MAIN(TestDemo)
#include "tst_demo.moc"
