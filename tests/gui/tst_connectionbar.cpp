// SPDX-License-Identifier: MIT
#include "gui/connectionbar.h"
#include "gui/connectionprofiles.h"
#include "gui/settingsdialog.h"
#include "support/testdatabase.h"
#include "support/testserver.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using namespace voxtrack;
using voxtrack::gui::ConnectionBar;
using voxtrack::test::TestDatabase;
using State = ConnectionBar::State;

namespace {

/// A loopback port where nothing listens: one the system just handed out and took back.
quint16 closedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

QString settingsText()
{
    QFile file(gui::userSettings()->fileName());
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

bool anyMessageContains(const QSignalSpy& spy, const QString& text)
{
    for (const QList<QVariant>& arguments : spy) {
        if (arguments.constFirst().toString().contains(text))
            return true;
    }
    return false;
}

} // namespace

class TestConnectionBar : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_settingsDirectory;

    template <typename T> static T* child(const QWidget& parent, const char* name)
    {
        auto* widget = parent.findChild<T*>(QLatin1String(name));
        if (!widget)
            qFatal("no child %s", name);
        return widget;
    }

    void addSessions(store::Connection& connection, int count)
    {
        for (int i = 0; i < count; ++i) {
            VOXTRACK_VERIFY_OK(connection.exec(QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, "
                                                              "is_active, metadata) VALUES (?, 'user-1', ?, '{}')"),
                {QStringLiteral("s-%1").arg(i), connection.isPostgreSql() ? QVariant(false) : QVariant(0)}));
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
        // No session bus, so no Secret Service: the user's keychain is never touched either.
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
        qunsetenv("DISPLAY");
        qunsetenv("XDG_CURRENT_DESKTOP");
        // The user's own settings are never touched.
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_settingsDirectory.isValid());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDirectory.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDirectory.path());
        QVERIFY(gui::userSettings()->fileName().startsWith(m_settingsDirectory.path()));
    }

    void init() { gui::userSettings()->clear(); }

    void connectsToAMigratedDatabase()
    {
        VOXTRACK_TEST_DATABASE(database);
        const auto writer = database->connectMigrated();
        QVERIFY(writer);
        addSessions(*writer, 3);

        ConnectionBar bar;
        QSignalSpy connected(&bar, &ConnectionBar::databaseConnected);
        QSignalSpy disconnected(&bar, &ConnectionBar::databaseDisconnected);
        QSignalSpy serverConnected(&bar, &ConnectionBar::serverConnected);
        bar.connectTo(QString(), database->url().toString());
        QCOMPARE(bar.databaseState(), State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Connected, 15000);
        QCOMPARE(connected.size(), 1);
        QCOMPARE(connected.constFirst().constFirst().value<DatabaseUrl>(), database->url());
        QCOMPARE(bar.database(), std::optional<DatabaseUrl>(database->url()));
        QVERIFY2(bar.databaseMessage().contains(database->isPostgreSql() ? u"PostgreSQL " : u"SQLite"),
            qPrintable(bar.databaseMessage()));
        QVERIFY2(bar.databaseMessage().contains(u"3 session(s)"), qPrintable(bar.databaseMessage()));
        const QString statusText = child<QLabel>(bar, "databaseStatus")->text();
        QVERIFY2(statusText.contains(database->isPostgreSql() ? u"PostgreSQL" : u"SQLite"), qPrintable(statusText));

        // No server is not an error.
        QCOMPARE(bar.serverState(), State::Disconnected);
        QVERIFY(bar.serverMessage().startsWith(u"No server"));
        QCOMPARE(serverConnected.size(), 0);

        // A password given in the URL lives in the password field, and in no text shown.
        if (!database->url().password().isEmpty()) {
            const QString password = database->url().password();
            QCOMPARE(child<QLineEdit>(bar, "passwordEdit")->text(), password);
            QVERIFY(!child<QLineEdit>(bar, "databaseEdit")->text().contains(password));
            QVERIFY(!bar.databaseMessage().contains(password));
            QVERIFY(!child<QLabel>(bar, "databaseStatus")->toolTip().contains(password));
        }

        // Return in the database field connects again: the connected database is let go first.
        QTest::keyClick(child<QLineEdit>(bar, "databaseEdit"), Qt::Key_Return);
        QCOMPARE(disconnected.size(), 1);
        QCOMPARE(bar.databaseState(), State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Connected, 15000);
        QCOMPARE(connected.size(), 2);

        bar.disconnectAll();
        QCOMPARE(disconnected.size(), 2);
        QCOMPARE(bar.databaseState(), State::Disconnected);
        QVERIFY(!bar.database());
    }

    void refusesAMalformedUrl_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addRow("empty") << QString();
        QTest::addRow("no scheme") << QStringLiteral("localhost:5432/voxtrack");
        QTest::addRow("port out of range") << QStringLiteral("postgresql://alice@db.example:99999/voxtrack");
        QTest::addRow("unknown option") << QStringLiteral("postgresql://alice@db.example/voxtrack?colour=blue");
    }

    void refusesAMalformedUrl()
    {
        QFETCH(QString, text);
        const auto parsed = DatabaseUrl::parse(text);
        QVERIFY(!parsed);

        ConnectionBar bar;
        QSignalSpy connected(&bar, &ConnectionBar::databaseConnected);
        QSignalSpy status(&bar, &ConnectionBar::statusMessage);
        bar.connectTo(QString(), text);
        QCOMPARE(bar.databaseState(), State::Refused);
        QCOMPARE(bar.databaseMessage(), parsed.error().message);
        QVERIFY(anyMessageContains(status, parsed.error().message));
        QCOMPARE(child<QLabel>(bar, "databaseStatus")->text(), QStringLiteral("Invalid URL"));
        QTest::qWait(0); // nothing is still on its way
        QCOMPARE(connected.size(), 0);
    }

    void refusesADatabaseWithoutTheConversationTables()
    {
        VOXTRACK_TEST_DATABASE(database);
        QVERIFY(database->connect()); // exists, but was never migrated

        ConnectionBar bar;
        QSignalSpy connected(&bar, &ConnectionBar::databaseConnected);
        bar.connectTo(QString(), database->url().toString());
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Refused, 15000);
        QVERIFY2(bar.databaseMessage().contains(u"has no conversation tables: run voxtrack-cli migrate --db "),
            qPrintable(bar.databaseMessage()));
        QCOMPARE(child<QLabel>(bar, "databaseStatus")->text(), QStringLiteral("No conversation tables"));
        QCOMPARE(connected.size(), 0);
        if (!database->url().password().isEmpty())
            QVERIFY(!bar.databaseMessage().contains(database->url().password()));
    }

    void refusesAMissingSqliteFileWithoutCreatingIt()
    {
        QTemporaryDir directory;
        const QString path = directory.filePath(QStringLiteral("missing.db"));
        ConnectionBar bar;
        bar.connectTo(QString(), QStringLiteral("sqlite://") + path);
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Refused, 15000);
        QVERIFY2(bar.databaseMessage().contains(u"voxtrack-cli migrate"), qPrintable(bar.databaseMessage()));
        QVERIFY(!QFile::exists(path));
    }

    void refusesPostgresWhereNothingListens()
    {
        const quint16 port = closedPort();
        QVERIFY(port != 0);
        ConnectionBar bar;
        QSignalSpy connected(&bar, &ConnectionBar::databaseConnected);
        QSignalSpy status(&bar, &ConnectionBar::statusMessage);
        bar.connectTo(QString(), QStringLiteral("postgresql://alice:N0t-Shown-Pw@127.0.0.1:%1/voxtrack").arg(port));
        // connectTo() returned before the answer: the probe runs off the GUI thread.
        QCOMPARE(bar.databaseState(), State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Refused, 15000);
        QVERIFY2(bar.databaseMessage().contains(QStringLiteral("127.0.0.1:%1").arg(port)),
            qPrintable(bar.databaseMessage()));
        QVERIFY2(bar.databaseMessage().contains(u"start the server"), qPrintable(bar.databaseMessage()));
        QCOMPARE(child<QLabel>(bar, "databaseStatus")->text(), QStringLiteral("Unreachable"));
        QCOMPARE(connected.size(), 0);
        // The password went to its field, and nowhere a user or a log could read it.
        QCOMPARE(child<QLineEdit>(bar, "passwordEdit")->text(), QStringLiteral("N0t-Shown-Pw"));
        QVERIFY(!child<QLineEdit>(bar, "databaseEdit")->text().contains(u"N0t-Shown-Pw"));
        QVERIFY(!bar.databaseMessage().contains(u"N0t-Shown-Pw"));
        QVERIFY(!child<QLabel>(bar, "databaseStatus")->toolTip().contains(u"N0t-Shown-Pw"));
        for (const QList<QVariant>& arguments : status)
            QVERIFY(!arguments.constFirst().toString().contains(u"N0t-Shown-Pw"));
    }

    void connectsToAServer()
    {
        VOXTRACK_TEST_DATABASE(database);
        QVERIFY(database->connectMigrated());
        auto started = test::TestServer::start(database->url());
        QVERIFY2(started, qPrintable(started.errorText()));
        const std::unique_ptr<test::TestServer> server = std::move(*started);

        ConnectionBar bar;
        QSignalSpy serverConnected(&bar, &ConnectionBar::serverConnected);
        QSignalSpy serverDisconnected(&bar, &ConnectionBar::serverDisconnected);
        bar.connectTo(server->url().toString(), database->url().toString());
        QCOMPARE(bar.serverState(), State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(bar.serverState(), State::Connected, 10000);
        QCOMPARE(serverConnected.size(), 1);
        QCOMPARE(serverConnected.constFirst().constFirst().toUrl(), server->url());
        QCOMPARE(bar.conversationUrl(), server->url());
        QVERIFY2(bar.serverMessage().contains(u"voxtrackd"), qPrintable(bar.serverMessage()));
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Connected, 15000);

        // http://host:port names the same server.
        QUrl http = server->url();
        http.setScheme(QStringLiteral("http"));
        http.setPath(QString());
        bar.connectTo(http.toString(), database->url().toString());
        QCOMPARE(serverDisconnected.size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(bar.serverState(), State::Connected, 10000);
        QCOMPARE(serverConnected.size(), 2);
        QCOMPARE(serverConnected.at(1).constFirst().toUrl(), server->url());
    }

    void followsTheServersHealth()
    {
        VOXTRACK_TEST_DATABASE(database);
        QVERIFY(database->connectMigrated());
        auto started = test::TestServer::start(database->url());
        QVERIFY2(started, qPrintable(started.errorText()));
        std::unique_ptr<test::TestServer> server = std::move(*started);

        ConnectionBar bar;
        bar.setHealthInterval(100);
        QSignalSpy messages(&bar, &ConnectionBar::statusMessage);
        QSignalSpy serverDisconnected(&bar, &ConnectionBar::serverDisconnected);
        bar.connectTo(server->url().toString(), database->url().toString());
        QTRY_COMPARE_WITH_TIMEOUT(bar.serverState(), State::Connected, 10000);
        // Up with its database (a server still reaching it says "degraded" first, and is followed).
        QTRY_VERIFY2_WITH_TIMEOUT(
            bar.serverMessage().contains(u"0 live session"), qPrintable(bar.serverMessage()), 10000);

        // A caller connects: the bar counts it without being asked; it hangs up: back to none.
        QWebSocket caller;
        QUrl url = server->url();
        url.setQuery(QStringLiteral("user_id=watcher"));
        caller.open(url);
        QTRY_VERIFY2_WITH_TIMEOUT(
            bar.serverMessage().contains(u"1 live session"), qPrintable(bar.serverMessage()), 10000);
        caller.close();
        QTRY_VERIFY2_WITH_TIMEOUT(
            bar.serverMessage().contains(u"0 live session"), qPrintable(bar.serverMessage()), 10000);
        const qsizetype before = messages.size();

        // The server goes away: the bar says so, once, and keeps the connection for its return.
        server.reset();
        QTRY_VERIFY2_WITH_TIMEOUT(
            bar.serverMessage().contains(u"stopped answering"), qPrintable(bar.serverMessage()), 10000);
        QVERIFY2(bar.serverMessage().contains(u"Nothing answers at"), qPrintable(bar.serverMessage()));
        QCOMPARE(bar.serverState(), State::Connected);
        QCOMPARE(serverDisconnected.size(), 0);
        QCOMPARE(messages.size(), before + 1);

        bar.disconnectAll();
        QCOMPARE(bar.serverState(), State::Disconnected);
        QCOMPARE(serverDisconnected.size(), 1);
    }

    void refusesAServerThatIsNotThere_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("shortText");
        QTest::addColumn<QString>("expected");
        const quint16 port = closedPort();
        QTest::addRow("closed port")
            << QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(port) << QStringLiteral("Refused")
            << QStringLiteral("Nothing answers at 127.0.0.1:%1: start voxtrackd there").arg(port);
        QTest::addRow("not a server URL") << QStringLiteral("ftp://127.0.0.1/x") << QStringLiteral("Invalid URL")
                                          << QStringLiteral("is not valid: write it as ws://");
    }

    void refusesAServerThatIsNotThere()
    {
        QFETCH(QString, url);
        QFETCH(QString, shortText);
        QFETCH(QString, expected);
        ConnectionBar bar;
        QSignalSpy serverConnected(&bar, &ConnectionBar::serverConnected);
        bar.connectTo(url, QStringLiteral("sqlite::memory:"));
        QTRY_COMPARE_WITH_TIMEOUT(bar.serverState(), State::Refused, 10000);
        QVERIFY2(bar.serverMessage().contains(expected), qPrintable(bar.serverMessage()));
        QCOMPARE(child<QLabel>(bar, "serverStatus")->text(), shortText);
        QCOMPARE(serverConnected.size(), 0);
    }

    void savesProfilesWithoutPasswords()
    {
        const QString password = QStringLiteral("Secr3t-Pa55");
        {
            ConnectionBar bar;
            QSignalSpy status(&bar, &ConnectionBar::statusMessage);
            auto* profile = child<QComboBox>(bar, "profileCombo");
            QCOMPARE(profile->count(), 0);
            profile->setEditText(QStringLiteral("Staging"));
            child<QLineEdit>(bar, "serverEdit")->setText(QStringLiteral("ws://10.0.0.7:8787/v1/conversation"));
            child<QLineEdit>(bar, "databaseEdit")
                ->setText(QStringLiteral("postgresql://alice:%1@db.example:5432/voxtrack").arg(password));
            bar.saveProfile();
            // The password moved to its field; the keychain answers (offscreen: there is none).
            QCOMPARE(child<QLineEdit>(bar, "passwordEdit")->text(), password);
            QCOMPARE(child<QLineEdit>(bar, "databaseEdit")->text(),
                QStringLiteral("postgresql://alice@db.example:5432/voxtrack"));
            QTRY_VERIFY_WITH_TIMEOUT(anyMessageContains(status,
                                         QStringLiteral("No system keychain: the password was not saved; put it in "
                                                        "~/.pgpass or PGPASSWORD.")),
                30000);
            for (const QList<QVariant>& arguments : status)
                QVERIFY(!arguments.constFirst().toString().contains(password));

            profile->setEditText(QStringLiteral("Local"));
            child<QLineEdit>(bar, "serverEdit")->clear();
            child<QLineEdit>(bar, "databaseEdit")->setText(QStringLiteral("sqlite:///srv/voxtrack/demo.db"));
            bar.saveProfile();
            QCOMPARE(profile->count(), 2);

            // A name that cannot be a settings group is refused with the reason.
            profile->setEditText(QStringLiteral("a/b"));
            bar.saveProfile();
            QVERIFY(status.constLast().constFirst().toString().contains(u"cannot hold /"));
            QCOMPARE(profile->count(), 2);
        }

        const QString text = settingsText();
        QVERIFY2(text.contains(u"postgresql://alice@db.example:5432/voxtrack"), qPrintable(text));
        QVERIFY2(text.contains(u"ws://10.0.0.7:8787/v1/conversation"), qPrintable(text));
        QVERIFY2(text.contains(u"sqlite:///srv/voxtrack/demo.db"), qPrintable(text));
        QVERIFY(!text.contains(password));
        QVERIFY(!text.contains(QString::fromLatin1(QUrl::toPercentEncoding(password))));
        QVERIFY(!text.contains(QString::fromLatin1(password.toUtf8().toBase64())));

        // A new bar lists the profiles and starts on the one used last.
        ConnectionBar bar;
        auto* profile = child<QComboBox>(bar, "profileCombo");
        QCOMPARE(profile->count(), 2);
        QCOMPARE(profile->itemText(0), QStringLiteral("Local"));
        QCOMPARE(profile->itemText(1), QStringLiteral("Staging"));
        QCOMPARE(bar.currentProfile(), QStringLiteral("Local"));
        QCOMPARE(child<QLineEdit>(bar, "databaseEdit")->text(), QStringLiteral("sqlite:///srv/voxtrack/demo.db"));
        QVERIFY(!child<QLineEdit>(bar, "passwordEdit")->isVisibleTo(&bar));

        // Choosing a profile fills the fields.
        profile->setCurrentIndex(1);
        Q_EMIT profile->activated(1);
        QCOMPARE(child<QLineEdit>(bar, "serverEdit")->text(), QStringLiteral("ws://10.0.0.7:8787/v1/conversation"));
        QCOMPARE(child<QLineEdit>(bar, "databaseEdit")->text(),
            QStringLiteral("postgresql://alice@db.example:5432/voxtrack"));
        QVERIFY(child<QLineEdit>(bar, "passwordEdit")->isVisibleTo(&bar));
        QCOMPARE(gui::ConnectionProfiles().lastUsed(), QStringLiteral("Staging"));

        // Deleting one removes it from the bar and from the settings.
        bar.deleteProfile();
        QCOMPARE(profile->count(), 1);
        QCOMPARE(gui::ConnectionProfiles().names(), QStringList {QStringLiteral("Local")});
        QVERIFY(!settingsText().contains(u"db.example"));
    }

    void connectsOnceTheKeychainHasAnswered()
    {
        const quint16 port = closedPort();
        QVERIFY(port != 0);
        const QString url = QStringLiteral("postgresql://alice@127.0.0.1:%1/voxtrack").arg(port);
        VOXTRACK_VERIFY_OK(gui::ConnectionProfiles().save({QStringLiteral("Closed"), QString(), url}));
        gui::ConnectionProfiles().setLastUsed(QStringLiteral("Closed"));

        // The bar starts on the last profile and asks the keychain for its password; Connect waits for the answer.
        ConnectionBar bar;
        QSignalSpy status(&bar, &ConnectionBar::statusMessage);
        QCOMPARE(bar.currentProfile(), QStringLiteral("Closed"));
        QCOMPARE(child<QLineEdit>(bar, "databaseEdit")->text(), url);
        bar.connectFields();
        QCOMPARE(bar.databaseState(), State::Connecting);
        QVERIFY2(bar.databaseMessage().contains(u"keychain"), qPrintable(bar.databaseMessage()));
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Refused, 30000);
        QVERIFY2(bar.databaseMessage().contains(QStringLiteral("127.0.0.1:%1").arg(port)),
            qPrintable(bar.databaseMessage()));
        const QString noKeychain = QStringLiteral(
            "No system keychain: the profile's password was not read; put it in ~/.pgpass or PGPASSWORD.");
        QVERIFY(anyMessageContains(status, noKeychain));

        // Said once: choosing the profile again reads again, quietly.
        QVERIFY(bar.selectProfile(QStringLiteral("Closed")));
        bar.connectFields();
        QTRY_COMPARE_WITH_TIMEOUT(bar.databaseState(), State::Refused, 30000);
        int told = 0;
        for (const QList<QVariant>& arguments : status)
            told += arguments.constFirst().toString().startsWith(u"No system keychain") ? 1 : 0;
        QCOMPARE(told, 1);
    }

    void fitsTheWindow()
    {
        ConnectionBar bar;
        bar.resize(1100, bar.sizeHint().height());
        bar.show();
        QVERIFY(QTest::qWaitForWindowExposed(&bar));
        QVERIFY2(bar.minimumSizeHint().width() <= 1100, qPrintable(QString::number(bar.minimumSizeHint().width())));
        for (const char* name : {"profileLabel", "serverLabel", "databaseLabel", "passwordLabel"}) {
            auto* label = child<QLabel>(bar, name);
            QVERIFY2(label->width() >= label->sizeHint().width(), name);
        }
    }

    void settingsDialogStoresOnOkOnly()
    {
        QCOMPARE(gui::storedLanguage(), QString());
        QVERIFY(gui::confirmQuitDuringLoadRun());
        {
            gui::SettingsDialog dialog;
            auto* language = child<QComboBox>(dialog, "languageCombo");
            QCOMPARE(language->currentText(), QStringLiteral("System default"));
            QStringList names;
            for (int i = 0; i < language->count(); ++i)
                names << language->itemText(i);
            QCOMPARE(names,
                (QStringList {QStringLiteral("System default"), QStringLiteral("English"), QStringLiteral("Deutsch"),
                    QStringLiteral("Français"), QStringLiteral("Español")}));
            language->setCurrentIndex(language->findText(QStringLiteral("Deutsch")));
            child<QCheckBox>(dialog, "confirmQuitCheck")->setChecked(false);
            child<QDialogButtonBox>(dialog, "buttons")->button(QDialogButtonBox::Ok)->click();
            QCOMPARE(dialog.result(), int(QDialog::Accepted));
        }
        QCOMPARE(gui::storedLanguage(), QStringLiteral("de"));
        QCOMPARE(gui::userSettings()->value(QStringLiteral("General/language")).toString(), QStringLiteral("de"));
        QVERIFY(!gui::confirmQuitDuringLoadRun());
        {
            gui::SettingsDialog dialog;
            auto* language = child<QComboBox>(dialog, "languageCombo");
            QCOMPARE(language->currentText(), QStringLiteral("Deutsch"));
            QVERIFY(!child<QCheckBox>(dialog, "confirmQuitCheck")->isChecked());
            language->setCurrentIndex(language->findText(QStringLiteral("Español")));
            child<QCheckBox>(dialog, "confirmQuitCheck")->setChecked(true);
            child<QDialogButtonBox>(dialog, "buttons")->button(QDialogButtonBox::Cancel)->click();
            QCOMPARE(dialog.result(), int(QDialog::Rejected));
        }
        QCOMPARE(gui::storedLanguage(), QStringLiteral("de"));
        QVERIFY(!gui::confirmQuitDuringLoadRun());
    }
};

QTEST_MAIN(TestConnectionBar)
#include "tst_connectionbar.moc"
