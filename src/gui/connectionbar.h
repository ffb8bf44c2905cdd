// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QPointer>
#include <QUrl>
#include <QWidget>

#include <memory>
#include <optional>

class QLabel;
class QNetworkAccessManager;
class QTimer;
class QNetworkReply;

namespace Ui {
class ConnectionBar;
}

namespace QKeychain {
class Job;
}

namespace voxtrack::gui {

/// The bar at the top of the main window: where the server and the database are, as saved
/// profiles, and whether each answers. Connecting probes both sides without blocking the GUI:
/// the database is opened and checked for the conversation tables on a pool thread, the server's
/// /healthz is fetched with a 5 s timeout. The server is optional; an empty server URL is "no
/// server". Passwords are kept in the system keychain, never in the settings, a message or a log.
class ConnectionBar : public QWidget {
    Q_OBJECT

public:
    enum class State { Disconnected, Connecting, Connected, Refused };
    Q_ENUM(State)

    explicit ConnectionBar(QWidget* parent = nullptr);
    ~ConnectionBar() override;

    /// Fills the URL fields (a password inside databaseUrl moves to the password field) and
    /// connects both sides. An empty serverUrl means no server.
    void connectTo(const QString& serverUrl, const QString& databaseUrl);
    /// Connects with what the fields hold. While a profile's password is still being read from
    /// the keychain, the connection starts when the keychain has answered.
    void connectFields();
    /// Abandons probes in flight and sets both sides to Disconnected.
    void disconnectAll();

    [[nodiscard]] State databaseState() const { return m_databaseState; }
    [[nodiscard]] State serverState() const { return m_serverState; }
    /// The full text behind each side's indicator: the summary, or the reason it was refused.
    [[nodiscard]] QString databaseMessage() const { return m_databaseMessage; }
    [[nodiscard]] QString serverMessage() const { return m_serverMessage; }
    /// The connected database, password applied, while databaseState() is Connected.
    [[nodiscard]] std::optional<DatabaseUrl> database() const { return m_database; }
    /// ws(s)://host:port/v1/conversation while serverState() is Connected.
    [[nodiscard]] QUrl conversationUrl() const { return m_conversationUrl; }

    /// The name in the profile box (saved or not).
    [[nodiscard]] QString currentProfile() const;
    /// Fills the fields from a saved profile and asks the keychain for its password. False when
    /// there is no profile of that name.
    bool selectProfile(const QString& name);
    /// Saves the fields as the profile named in the profile box; the password goes to the
    /// keychain. Reports through statusMessage().
    void saveProfile();
    /// Deletes the profile named in the profile box, and its keychain entry.
    void deleteProfile();

    /// Puts the keyboard focus in the database URL field, its text selected (Ctrl+L).
    void focusDatabaseField();

    /// How often a connected server's /healthz is asked again, for its live sessions and whether
    /// it still answers.
    static constexpr int healthIntervalMs = 5000;
    void setHealthInterval(int milliseconds);

Q_SIGNALS:
    /// The database probe succeeded; url has the password field applied.
    void databaseConnected(const voxtrack::DatabaseUrl& url);
    /// The connected database was let go: Disconnect, or a new Connect started.
    void databaseDisconnected();
    /// The server answered its health check.
    void serverConnected(const QUrl& conversationUrl);
    /// The connected server was let go: Disconnect, or a new Connect started.
    void serverDisconnected();
    /// A one-line message for the status bar.
    void statusMessage(const QString& message);

private:
    void startDatabaseProbe();
    void finishDatabaseProbe(int generation, const DatabaseUrl& url, const Error& error, const QString& summary);
    void startServerProbe();
    /// What a /healthz reply says: the server's health, or why it is refused (refusedShort set).
    struct HealthAnswer {
        QString refusedShort;
        QString refusedMessage;
        bool degraded = false;
        int liveSessions = 0;
        QString version;
    };
    [[nodiscard]] static HealthAnswer readHealth(QNetworkReply* reply, const QUrl& conversationUrl);
    void showHealth(const HealthAnswer& health);
    void finishServerProbe(QNetworkReply* reply, const QUrl& conversationUrl);
    void refreshHealth();
    void setDatabaseState(State state, const QString& shortText, const QString& message);
    void setServerState(State state, const QString& shortText, const QString& message, bool warning = false);
    void showState(
        QLabel* dot, QLabel* label, State state, bool warning, const QString& shortText, const QString& message);
    void releaseDatabase();
    void releaseServer();
    void moveTypedPassword();
    void updatePasswordVisibility();
    void updateButtons();
    void reloadProfiles(const QString& current);
    void readPassword(const QString& profile);
    void passwordRead(QKeychain::Job* job);
    /// Tells the user once that there is no usable keychain.
    void reportKeychainFailure(QKeychain::Job* job, const QString& consequence);

    std::unique_ptr<Ui::ConnectionBar> ui;
    QNetworkAccessManager* m_network;
    QTimer* m_healthTimer;
    QUrl m_healthUrl;
    bool m_serverAnswering = false; ///< the last health check was answered
    QPointer<QNetworkReply> m_serverReply;
    QPointer<QKeychain::Job> m_passwordRead;
    bool m_connectWhenPasswordRead = false;
    bool m_keychainFailureReported = false;
    int m_databaseGeneration = 0;
    State m_databaseState = State::Disconnected;
    State m_serverState = State::Disconnected;
    QString m_databaseMessage;
    QString m_serverMessage;
    std::optional<DatabaseUrl> m_database;
    QUrl m_conversationUrl;
};

} // namespace voxtrack::gui
